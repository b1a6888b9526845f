-- refresh: give the lock a new TTL only if this owner still holds it.
-- KEYS[1] lock key
-- ARGV[1] owner token   ARGV[2] new TTL, ms
-- Returns 1 when extended, 0 when the lock is gone or held by another owner
-- (then nothing changes).
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
