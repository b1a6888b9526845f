-- invalidate: end an entry's value and kill its lease, so a fill whose load
-- began before this call is refused.
-- (Runs after lib.lua.)
-- KEYS[1] entry hash (any key under <prefix>:cache:; a non-hash key, such as
--         a namespace generation, is deleted)
-- ARGV[1] stale grace ms: 0 deletes the value; more keeps it as stale that long
-- Returns 1 when the key existed, 0 otherwise.
local typ = redis.call('TYPE', KEYS[1])
if type(typ) == 'table' then typ = typ.ok end
if typ == 'none' then return 0 end
if typ ~= 'hash' then
  redis.call('DEL', KEYS[1])
  return 1
end
local e = redis.call('HMGET', KEYS[1], 'k', 's')
if e[1] == 'v' and e[2] then
  -- Already stale (e.g. the delayed second delete): the value predates the
  -- first invalidation; keep its stale-until, drop the lease.
  redis.call('HDEL', KEYS[1], 't', 'u', 'lg')
  return 1
end
local grace = tonumber(ARGV[1])
if e[1] == 'v' and grace > 0 then
  redis.call('HSET', KEYS[1], 's', now_ms() + grace)
  redis.call('HDEL', KEYS[1], 't', 'u', 'lg')
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 or ttl > grace then redis.call('PEXPIRE', KEYS[1], grace) end
  return 1
end
redis.call('DEL', KEYS[1])
return 1
