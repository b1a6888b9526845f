-- enqueue: add jobs to one queue, each with its idempotency check, in one call.
-- (Runs after idempotency.LuaLib and wake.lua.)
-- KEYS[1] stream        work stream (entries: id, type, payload, attempt, max)
-- KEYS[2] meta          hash job id -> json job record
-- KEYS[3] stats         hash of counters
-- KEYS[4] delayed       zset job id -> due (unix ms)
-- KEYS[5] delayed_data  hash job id -> json {type, payload, attempt, max}
-- KEYS[6] awake         the queue's wake lease (see wake_or_ring)
-- KEYS[7..] the idempotency records of the jobs that have a key
--               (<prefix>:q:{<queue>}:idem:<sha256 of the key>)
-- ARGV[1] wake lease ms; ARGV[2] doorbell channel; ARGV[3] the queue's
-- name; then 6 per job:
--   id, type, payload, max_attempts,
--   record: the job record as JSON without its state, entry, times and
--     closing brace (built by the client; the script appends the rest, so
--     no path encodes JSON; updated_ms is created_ms until the job moves),
--   options: "" for a job due now without a key, else "<delay_ms>
--     <run_at_ms, 0: use delay> <index in KEYS of its idempotency record,
--     0: no key> <payload hash, empty without a key>"
-- (A call whose jobs all have empty options runs enqueuenow.lua instead.)
-- A job with a key is an idempotency claim completed at once with the job id
-- as its response (idem_claim with a response: one HSET; no expiry, the
-- record goes with the job's record, see purge_expired). The job is written
-- in this same script, right after. A record whose job is dead or purged
-- (or was never written) no longer holds its key: it is released and
-- claimed again.
-- A job due now (no delay, no run_at) needs no clock: its times are those
-- of its stream entry id (Redis takes ids from its clock, never going back).
-- Redis TIME is read only for a key or a schedule.
-- Returns per job two values, code and job id: 0 created, 1 duplicate (the
-- original id), 2 key reused with another payload (the original id), 3 key
-- held by a claim in progress (not made by enqueue; the owner); then the
-- wake flags (see wake_or_ring).

local now -- Redis TIME in unix ms, read when first needed
local function clock()
  if not now then
    local t = redis.call('TIME')
    now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  return now
end
local out = {}
local dups = 0
local due_now, added = false, false
for a = 4, #ARGV, 6 do
  local id, typ, payload, max, opts = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 5]
  local delay, run_at, ki, phash = 0, 0, 0, nil
  if opts ~= '' then
    delay, run_at, ki, phash = string.match(opts, '^(%d+) (%d+) (%d+) (%S*)$')
    delay, run_at, ki = tonumber(delay), tonumber(run_at), tonumber(ki)
  end
  local code, oid = 0, id
  if ki > 0 then
    local rk = KEYS[ki]
    local claim = idem_claim(rk, id, phash, clock(), 0, id, 0)
    if claim[1] ~= 0 then
      local raw = redis.call('HGET', KEYS[2], claim[2])
      if not raw or cjson.decode(raw).state == 'dead' then
        idem_release(rk, claim[2])
        claim = idem_claim(rk, id, phash, now, 0, id, 0)
      end
    end
    if claim[1] == 1 then
      code, oid = 1, claim[3]
      dups = dups + 1
    elseif claim[1] ~= 0 then
      code, oid = claim[1] == 3 and 2 or 3, claim[2]
    end
  end
  if code == 0 then
    local rec
    if delay == 0 and run_at == 0 then
      local entry = redis.call('XADD', KEYS[1], '*', 'id', id, 'type', typ, 'payload', payload, 'attempt', '1', 'max', max)
      due_now = true
      rec = ',"state":"queued","entry":"' .. entry .. '"' -- created at the entry id's time
    else
      local due = run_at
      if due == 0 then due = clock() + delay end
      if due > clock() then
        redis.call('ZADD', KEYS[4], due, id)
        redis.call('HSET', KEYS[5], id, cjson.encode({type = typ, payload = payload, attempt = 1, max = tonumber(max)}))
        rec = ',"state":"delayed","run_at_ms":' .. string.format('%d', due)
      else
        local entry = redis.call('XADD', KEYS[1], '*', 'id', id, 'type', typ, 'payload', payload, 'attempt', '1', 'max', max)
        due_now = true
        rec = ',"state":"queued","entry":"' .. entry .. '"'
      end
      rec = rec .. ',"created_ms":' .. string.format('%d', now)
    end
    redis.call('HSET', KEYS[2], id, ARGV[a + 4] .. rec .. '}')
    added = true
  end
  out[#out + 1], out[#out + 2] = code, oid
end
-- created jobs are counted by their records (see books.lua)
if dups > 0 then redis.call('HINCRBY', KEYS[3], 'deduplicated', dups) end
local flags = 0
if added then flags = wake_or_ring(KEYS[3], KEYS[6], due_now) end
out[#out + 1] = flags
return out
