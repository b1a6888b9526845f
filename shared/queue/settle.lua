-- settle: record the outcome of a batch of jobs atomically.
-- (Runs after lib.lua.)
-- KEYS[1] stream  KEYS[2] delayed  KEYS[3] delayed_data  KEYS[4] dead
-- KEYS[5] meta    KEYS[6] stats    KEYS[7] expiry        KEYS[8] done
-- ARGV[1] group; ARGV[2] retention of finished records, ms; ARGV[3] worker
-- version; ARGV[4] this consumer; ARGV[5] number of jobs; ARGV[6], ARGV[7]
-- the lowest and highest entry id of the batch; then 6 per job:
--   stream entry id, job id, attempt, outcome (ok | retry | dead), error, backoff ms
-- A job this worker no longer owns (its entry is not in this consumer's
-- pending list: another worker reclaimed it) is left alone. Every other job is acked and
-- deleted from the stream in the same call that records where it went:
--   ok    -> acked together, and recorded in the done hash (id -> "<finished
--            ms> <attempts>") kept for the retention; the entries are then
--            removed by trim_acked (run after every settle), which deletes
--            only acknowledged entries.
--            The common path touches no JSON.
--   retry -> delayed set, due after the backoff, attempt + 1
--   dead  -> dead-letter stream with the error history and worker version;
--            its idempotency key is released (enqueue no longer honours a
--            record whose job is dead) so a client may retry
-- Returns per job 1 (settled) or 0 (not owned).
local now = now_ms()
local retention = tonumber(ARGV[2])
local n = tonumber(ARGV[5])
local out = {}
local counts = {succeeded = 0, retried = 0, dead = 0}
-- This consumer's pending entries between the batch's lowest and highest
-- ids (ARGV[6], ARGV[7]), read in pages: the ownership check.
local mine = {}
local from = ARGV[6]
while true do
  local page = redis.call('XPENDING', KEYS[1], ARGV[1], from, ARGV[7], 1000, ARGV[4])
  for _, p in ipairs(page) do mine[p[1]] = true end
  if #page < 1000 then break end
  from = '(' .. page[#page][1]
end
local ok_entries, done, done_ids = {}, {}, {}
for j = 0, n - 1 do
  local a = 8 + j * 6
  local eid, id, attempt, outcome, err, backoff = ARGV[a], ARGV[a + 1], tonumber(ARGV[a + 2]), ARGV[a + 3], ARGV[a + 4], tonumber(ARGV[a + 5])
  if not mine[eid] then
    out[#out + 1] = 0
  elseif outcome == 'ok' then
    ok_entries[#ok_entries + 1] = eid
    done[#done + 1], done[#done + 2] = id, now .. ' ' .. attempt
    done_ids[#done_ids + 1] = id
    out[#out + 1] = 1
  else
    local entry = redis.call('XRANGE', KEYS[1], eid, eid)
    redis.call('XACK', KEYS[1], ARGV[1], eid)
    redis.call('XDEL', KEYS[1], eid)
    local f = {}
    if entry[1] then f = entry_fields(entry[1][2]) end
    if outcome == 'retry' then
      local due = now + backoff
      redis.call('HSET', KEYS[3], id, cjson.encode({type = f.type, payload = f.payload, attempt = attempt + 1, max = tonumber(f.max)}))
      redis.call('ZADD', KEYS[2], due, id)
      local raw = redis.call('HGET', KEYS[5], id)
      if raw then
        local rec = cjson.decode(raw)
        rec.state, rec.attempts, rec.updated_ms, rec.run_at_ms, rec.last_error = 'retrying', attempt, now, due, err
        add_error(rec, attempt, err, now)
        redis.call('HSET', KEYS[5], id, cjson.encode(rec))
      end
      counts.retried = counts.retried + 1
    else
      local raw = redis.call('HGET', KEYS[5], id)
      local rec = {id = id}
      if raw then rec = cjson.decode(raw) end
      rec.state, rec.attempts, rec.updated_ms, rec.finished_ms, rec.last_error = 'dead', attempt, now, now, err
      add_error(rec, attempt, err, now)
      redis.call('XADD', KEYS[4], '*', 'id', id, 'type', f.type or rec.type or '', 'payload', f.payload or '',
        'attempts', attempt, 'max', f.max or rec.max_attempts or attempt, 'error', err,
        'errors', cjson.encode(rec.errors), 'version', ARGV[3], 'died_ms', now)
      if raw then redis.call('HSET', KEYS[5], id, cjson.encode(rec)) end
      redis.call('ZADD', KEYS[7], now + retention, id)
      counts.dead = counts.dead + 1
    end
    out[#out + 1] = 1
  end
end
if #ok_entries > 0 then
  redis.call('XACK', KEYS[1], ARGV[1], unpack(ok_entries))
  redis.call('HSET', KEYS[8], unpack(done))
  -- The batch expires as one member: "<first id> <n>|<id> <id> ...".
  redis.call('ZADD', KEYS[7], now + retention, '#' .. table.concat(done_ids, ' '))
  counts.succeeded = #ok_entries
end
-- After every settle, not only one with successes: a success settled while
-- an older entry was still pending stays on the stream until a later settle
-- (of any outcome) finds nothing older pending.
if #out > 0 then trim_acked(KEYS[1], ARGV[1]) end
for k, v in pairs(counts) do
  if v > 0 then redis.call('HINCRBY', KEYS[6], k, v) end
end
return out
