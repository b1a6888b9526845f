-- status: a job's record, with "active" for a queued job a worker holds.
-- KEYS[1] meta  KEYS[2] stream  KEYS[3] done
-- ARGV[1] job id; ARGV[2] group; ARGV[3] the given-back consumer (its
-- entries wait for the next drain: queued, not active)
-- Returns {record json, 1 if its stream entry is pending in the group,
-- "<finished ms> <attempts>" if it succeeded or ""} or {}.
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return {} end
local done = redis.call('HGET', KEYS[3], ARGV[1])
if done then return {raw, 0, done} end
local rec = cjson.decode(raw)
local active = 0
if rec.state == 'queued' and rec.entry then
  local ok, p = pcall(redis.call, 'XPENDING', KEYS[2], ARGV[2], rec.entry, rec.entry, 1)
  if ok and p[1] and p[1][2] ~= ARGV[3] then active = 1 end
end
return {raw, active, ''}
