-- release: give up a lease after a failed load, so a waiter can take it now.
-- KEYS[1] entry hash
-- ARGV[1] lease token
-- Returns 1 released, 0 the lease was no longer the caller's.
local e = redis.call('HMGET', KEYS[1], 't', 'k')
if e[1] ~= ARGV[1] then return 0 end
if e[2] then
  redis.call('HDEL', KEYS[1], 't', 'u', 'lg')
else
  redis.call('DEL', KEYS[1])
end
return 1
