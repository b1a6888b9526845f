-- create: a new session.
-- KEYS[1]  session hash   KEYS[2]  session index   KEYS[3]  revoke-all cut-off
-- ARGV[1]  handle         ARGV[2]  subject
-- ARGV[3]  idle TTL, ms   ARGV[4]  maximum lifetime, ms (0 = none)
-- ARGV[5]  scope          ARGV[6]  most sessions the subject may hold
-- ARGV[7..] user data: field, value pairs (fields already "d:"-prefixed)
-- Expired handles are pruned from the index; when the subject holds the most
-- sessions it may, those closest to expiry are evicted (unlisted: they are no
-- longer valid, and their hashes go on their next lookup or idle expiry).
-- A session created in the cut-off's second would be born rejected: none is
-- created. Returns {1, created ms, expiry ms, evicted}, {2} cut off, or {0}
-- when the handle exists (never, with 256 random bits).
local now = now_ms()
local cutoff = redis.call('GET', KEYS[3])
if cutoff and math.floor(now / 1000) <= tonumber(cutoff) then
  return {2}
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {0}
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local evicted = 0
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[6]) + 1
if over > 0 then
  redis.call('ZPOPMIN', KEYS[2], over)
  evicted = over
end
local s = {created = now, seen = now, idle = tonumber(ARGV[3]), exp = 0}
if tonumber(ARGV[4]) > 0 then s.exp = now + tonumber(ARGV[4]) end
redis.call('HSET', KEYS[1], 'sub', ARGV[2], 'created', now, 'seen', now,
  'idle', s.idle, 'exp', s.exp, 'scope', ARGV[5])
for i = 7, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
end
local e = session_touch(KEYS[1], KEYS[2], ARGV[1], s, now)
return {1, now, e, evicted}
