-- release: delete the lock only if this owner still holds it.
-- KEYS[1] lock key
-- ARGV[1] owner token
-- Returns 1 when deleted, 0 when the lock is gone or held by another owner
-- (then nothing changes). The fence key is left alone: tokens must keep
-- increasing across holders.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
