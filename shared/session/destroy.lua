-- destroy: end one session.
-- KEYS[1]  session hash   KEYS[2]  session index
-- ARGV[1]  handle
-- Returns 1 when the session was listed, 0 when there was none.
local listed = redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[1])
return listed
