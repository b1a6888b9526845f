-- settle: record the outcome of a batch of jobs atomically.
-- (Runs after lib.lua.)
-- KEYS[1] stream  KEYS[2] delayed  KEYS[3] delayed_data  KEYS[4] dead
-- KEYS[5] meta    KEYS[6] stats    KEYS[7] dedup         KEYS[8] expiry
-- ARGV[1] group; ARGV[2] retention of finished records, ms; ARGV[3] worker
-- version; ARGV[4] number of jobs, then 5 per job:
--   stream entry id, job id, outcome (ok | retry | dead), error, backoff ms
-- A job this worker no longer owns (XACK acknowledges nothing: the entry was
-- reclaimed by another worker) is left alone. Every other job is acked and
-- deleted from the stream in the same call that records where it went:
--   ok    -> record succeeded (kept for the retention)
--   retry -> delayed set, due after the backoff, attempt + 1
--   dead  -> dead-letter stream with the error history and worker version;
--            the idempotency key is released so a client may retry
-- Returns per job 1 (settled) or 0 (not owned).
local now = now_ms()
local retention = tonumber(ARGV[2])
local n = tonumber(ARGV[4])
local out = {}
local counts = {succeeded = 0, retried = 0, dead = 0}
for j = 0, n - 1 do
  local a = 5 + j * 5
  local eid, id, outcome, err, backoff = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], tonumber(ARGV[a + 4])
  local entry = redis.call('XRANGE', KEYS[1], eid, eid)
  if redis.call('XACK', KEYS[1], ARGV[1], eid) == 0 then
    out[#out + 1] = 0
  else
    redis.call('XDEL', KEYS[1], eid)
    local f = {}
    if entry[1] then f = entry_fields(entry[1][2]) end
    local attempt = tonumber(f.attempt) or 1
    if outcome == 'ok' then
      update_record(KEYS[5], id, {state = 'succeeded', attempts = attempt, updated_ms = now, finished_ms = now})
      redis.call('ZADD', KEYS[8], now + retention, id)
      counts.succeeded = counts.succeeded + 1
    elseif outcome == 'retry' then
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
      release_dedup(KEYS[7], rec)
      redis.call('ZADD', KEYS[8], now + retention, id)
      counts.dead = counts.dead + 1
    end
    out[#out + 1] = 1
  end
end
for k, v in pairs(counts) do
  if v > 0 then redis.call('HINCRBY', KEYS[6], k, v) end
end
return out
