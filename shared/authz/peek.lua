-- peek: a subject's state as the authorizer sees it, read without spending
-- or writing anything (the admin API's GET /admin/subjects/{sub}/limits).
-- (Runs after ratelimit's gcra.lua, which defines clock and gcra.)
-- KEYS[1]   revoke-all cut-off of the subject: unix seconds
-- KEYS[2]   the subject's rate-limit state, same hash tag
-- ARGV[1..] per policy: name, emission interval (µs), burst
-- Returns {cut-off (unix seconds, 0 if none), its remaining ttl in ms (-1:
-- kept forever, -2: none), then gcra's reply at cost 0 (which writes nothing)}.
local vals = redis.call('MGET', KEYS[1], KEYS[2])
local cut = tonumber(vals[1] or 0) or 0
local ttl = redis.call('PTTL', KEYS[1])
local out = {cut, ttl}
-- gcra appends after out's slots; its first argument index is 1 here
return gcra(out, KEYS[2], vals[2], 1, #ARGV / 3, 0, clock())
