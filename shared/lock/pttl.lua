-- pttl: the lock's remaining TTL, if this owner still holds it.
-- KEYS[1] lock key
-- ARGV[1] owner token
-- Returns the remaining TTL in ms (>= 0), or -1 when the lock is gone or held
-- by another owner.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return math.max(redis.call('PTTL', KEYS[1]), 0)
end
return -1
