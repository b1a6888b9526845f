-- enqueue: add jobs to one queue, each with its idempotency check, in one call.
-- (Runs after lib.lua.)
-- KEYS[1] stream        work stream (entries: id, type, payload, attempt, max)
-- KEYS[2] delayed       zset job id -> due (unix ms)
-- KEYS[3] delayed_data  hash job id -> json {type, payload, attempt, max}
-- KEYS[4] meta          hash job id -> json job record
-- KEYS[5] dedup         hash idempotency key -> "<job id> <payload hash>"
-- KEYS[6] expiry        zset job id -> unix ms when its finished record goes
-- KEYS[7] stats         hash of counters
-- KEYS[8] done          hash job id -> "<finished ms> <attempts>" (succeeded)
-- ARGV[1] number of jobs, then 8 per job:
--   id, type, payload, max_attempts, delay_ms, run_at_ms (0: use delay),
--   idempotency key ("" for none), payload hash
-- Returns per job {code, job id}: 0 created, 1 duplicate (the original id),
-- 2 key reused with another payload (the original id).
local now = now_ms()
purge_expired(KEYS[4], KEYS[8], KEYS[5], KEYS[6], now, 100)
local out = {}
local n = tonumber(ARGV[1])
local created, dups = 0, 0
for j = 0, n - 1 do
  local a = 2 + j * 8
  local id, typ, payload = ARGV[a], ARGV[a + 1], ARGV[a + 2]
  local max, delay, run_at = tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5])
  local idem, phash = ARGV[a + 6], ARGV[a + 7]
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
    local rec = {id = id, type = typ, state = 'queued', attempts = 0, max_attempts = max,
      created_ms = now, updated_ms = now, run_at_ms = due, idempotency_key = idem}
    if due > now then
      rec.state = 'delayed'
      redis.call('ZADD', KEYS[2], due, id)
      redis.call('HSET', KEYS[3], id, cjson.encode({type = typ, payload = payload, attempt = 1, max = max}))
    else
      rec.entry = redis.call('XADD', KEYS[1], '*', 'id', id, 'type', typ, 'payload', payload, 'attempt', 1, 'max', max)
    end
    redis.call('HSET', KEYS[4], id, cjson.encode(rec))
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
