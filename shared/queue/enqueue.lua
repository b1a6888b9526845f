-- enqueue: add jobs to one queue, each with its idempotency check, in one call.
-- (Runs after lib.lua.)
-- KEYS[1] stream        work stream (entries: id, type, payload, attempt, max)
-- KEYS[2] delayed       zset job id -> due (unix ms)
-- KEYS[3] delayed_data  hash job id -> json {type, payload, attempt, max}
-- KEYS[4] meta          hash job id -> json job record
-- KEYS[5] dedup         hash idempotency key -> "<job id> <payload hash>"
-- KEYS[6] expiry        zset job id -> unix ms when its finished record goes
-- KEYS[7] stats         hash of counters
-- ARGV[1] number of jobs, then 9 per job:
--   id, type, payload, max_attempts, delay_ms, run_at_ms (0: use delay),
--   idempotency key ("" for none) and payload hash, record: the job record as
--   JSON without its times and state (built by the client; the script
--   appends those, so the common path encodes no JSON)
-- Returns per job {code, job id}: 0 created, 1 duplicate (the original id),
-- 2 key reused with another payload (the original id).
local now = now_ms()
local out = {}
local n = tonumber(ARGV[1])
local created, dups = 0, 0
for j = 0, n - 1 do
  local a = 2 + j * 9
  local id, typ, payload = ARGV[a], ARGV[a + 1], ARGV[a + 2]
  local max, delay, run_at = tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5])
  local idem, phash, base = ARGV[a + 6], ARGV[a + 7], ARGV[a + 8]
  local prior = false
  if idem ~= '' then prior = redis.call('HGET', KEYS[5], idem) end
  if prior then
    local pid, ph = string.match(prior, '^(%S+) (%S+)$')
    if ph == phash then
      out[#out + 1] = {1, pid}
      dups = dups + 1
    else
      out[#out + 1] = {2, pid}
    end
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
    if idem ~= '' then redis.call('HSET', KEYS[5], idem, id .. ' ' .. phash) end
    out[#out + 1] = {0, id}
    created = created + 1
  end
end
if created + dups > 0 then
  redis.call('HINCRBY', KEYS[7], 'enqueued', created + dups)
end
if dups > 0 then redis.call('HINCRBY', KEYS[7], 'deduplicated', dups) end
return out
