-- fill: store a loaded value only if the caller's lease is still the entry's
-- lease (no invalidation since the lease was granted, hence since the load
-- began) and, in a namespace, the generation has not moved.
-- KEYS[1] entry hash
-- KEYS[2] namespace generation (namespaced entries only)
-- ARGV[1] lease token
-- ARGV[2] kind: 'v' value, 'n' not found
-- ARGV[3] value
-- ARGV[4] ttl ms
-- Returns 1 stored, 0 refused.
local e = redis.call('HMGET', KEYS[1], 't', 'lg')
if e[1] ~= ARGV[1] then return 0 end
local gen = ''
if #KEYS > 1 then
  gen = redis.call('GET', KEYS[2])
  if gen ~= e[2] then return 0 end
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'k', ARGV[2], 'v', ARGV[3], 'g', gen)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
