-- enqueue: add jobs to one queue, each with its idempotency check, in one call.
-- (Runs after idempotency.LuaLib and lib.lua.)
-- KEYS[1] stream        work stream (entries: id, type, payload, attempt, max)
-- KEYS[2] delayed       zset job id -> due (unix ms)
-- KEYS[3] delayed_data  hash job id -> json {type, payload, attempt, max}
-- KEYS[4] meta          hash job id -> json job record
-- KEYS[5] stats         hash of counters
-- KEYS[6..] the idempotency records of the jobs that have a key
--               (<prefix>:q:{<queue>}:idem:<sha256 of the key>)
-- ARGV[1] number of jobs, then 9 per job:
--   id, type, payload, max_attempts, delay_ms, run_at_ms (0: use delay),
--   index in KEYS of its idempotency record (0: no key) and payload hash,
--   record: the job record as JSON without its times and state (built by
--   the client; the script appends those, so the common path encodes no JSON)
-- A job with a key is an idempotency claim completed at once with the job id
-- as its response (idem_claim with a response: one HSET; no expiry, the
-- record goes with the job's record, see purge_expired). The job is written
-- in this same script, right after. A record whose job is dead or purged
-- (or was never written) no longer holds its key: it is released and
-- claimed again.
-- Returns per job {code, job id}: 0 created, 1 duplicate (the original id),
-- 2 key reused with another payload (the original id), 3 key held by a claim
-- in progress (not made by enqueue; the owner).
local now = now_ms()
local out = {}
local n = tonumber(ARGV[1])
local created, dups = 0, 0
for j = 0, n - 1 do
  local a = 2 + j * 9
  local id, typ, payload = ARGV[a], ARGV[a + 1], ARGV[a + 2]
  local max, delay, run_at = tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5])
  local ki, phash, base = tonumber(ARGV[a + 6]), ARGV[a + 7], ARGV[a + 8]
  local rk, claim = nil, {0}
  if ki > 0 then
    rk = KEYS[ki]
    claim = idem_claim(rk, id, phash, now, 0, id, 0)
    if claim[1] ~= 0 then
      local raw = redis.call('HGET', KEYS[4], claim[2])
      if not raw or cjson.decode(raw).state == 'dead' then
        idem_release(rk, claim[2])
        claim = idem_claim(rk, id, phash, now, 0, id, 0)
      end
    end
  end
  if claim[1] == 1 then
    out[#out + 1] = {1, claim[3]}
    dups = dups + 1
  elseif claim[1] ~= 0 then
    out[#out + 1] = {claim[1] == 3 and 2 or 3, claim[2]}
  else
    local due = now + delay
    if run_at > 0 then due = run_at end
    local state, entry = 'queued', ''
    if due > now then
      state = 'delayed'
      redis.call('ZADD', KEYS[2], due, id)
      redis.call('HSET', KEYS[3], id, cjson.encode({type = typ, payload = payload, attempt = 1, max = max}))
    else
      entry = redis.call('XADD', KEYS[1], '*', 'id', id, 'type', typ, 'payload', payload, 'attempt', 1, 'max', max)
    end
    redis.call('HSET', KEYS[4], id, string.sub(base, 1, -2) .. ',"state":"' .. state .. '","entry":"' .. entry ..
      '","created_ms":' .. now .. ',"updated_ms":' .. now .. ',"run_at_ms":' .. due .. '}')
    out[#out + 1] = {0, id}
    created = created + 1
  end
end
if created + dups > 0 then
  redis.call('HINCRBY', KEYS[5], 'enqueued', created + dups)
end
if dups > 0 then redis.call('HINCRBY', KEYS[5], 'deduplicated', dups) end
return out
