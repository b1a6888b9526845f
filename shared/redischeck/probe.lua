-- probe: the shape of every Lambdis script (one declared key with a hash tag,
-- the time read from Redis), writing nothing.
--
-- KEYS[1]  the probe key, <prefix>:doctor:{probe}; read, never written
--
-- Returns {seconds, microseconds, EXISTS KEYS[1]}.
local t = redis.call('TIME')
return {t[1], t[2], redis.call('EXISTS', KEYS[1])}
