-- decide: the authorizer's whole decision for a session, in one round trip.
-- (Runs after ratelimit's gcra.lua and session.lua.)
-- KEYS[1]    session hash   KEYS[2]  session index
-- KEYS[3]    revoke-all cut-off of the subject (unix seconds)
-- KEYS[4]    the subject's rate-limit state, same hash tag
-- ARGV[1]    handle         ARGV[2]  subject
-- ARGV[3]    cost; ARGV[4..] per policy: name, emission interval (µs), burst
-- Returns {reason, scope, gcra reply...}: reason 0 ok, 3 rate limited; or
-- {reason}: 2 cut off, 4 no session (never created, idle, expired, destroyed,
-- evicted). Only an admitted request is a use: it touches the session (sliding
-- expiry) and charges every policy; a denied one writes nothing.
local now = clock()
local ms = now_ms(now)
local mget = redis.call('MGET', KEYS[3], KEYS[4])
local s, why = session_live(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ms, mget[1])
if not s then
  if why == 2 then return {2} end
  return {4}
end
local out = gcra({0, s.scope}, KEYS[4], mget[2], 4, (#ARGV - 3) / 3, tonumber(ARGV[3]), now)
if out[3] == 0 then
  out[1] = 3
else
  session_touch(KEYS[1], KEYS[2], ARGV[1], s, ms)
end
return out
