-- get: read a session and record the use (sliding expiry).
-- KEYS[1]  session hash   KEYS[2]  session index   KEYS[3]  revoke-all cut-off
-- ARGV[1]  handle         ARGV[2]  subject         ARGV[3]  1 = touch, 0 = peek
-- Returns {0, reason} (1 no session, 2 cut off) or {1, expiry ms, field,
-- value, ...} (every field of the hash, after the touch).
local now = now_ms()
local s, why = session_live(KEYS[1], KEYS[2], ARGV[1], ARGV[2], now, redis.call('GET', KEYS[3]))
if not s then return {0, why} end
local e = session_expiry(s, now)
if ARGV[3] == '1' then
  e = session_touch(KEYS[1], KEYS[2], ARGV[1], s, now)
end
local out = redis.call('HGETALL', KEYS[1])
table.insert(out, 1, e)
table.insert(out, 1, 1)
return out
