-- books: one consistent snapshot of a queue's counters and sizes.
-- KEYS[1] stream  KEYS[2] delayed  KEYS[3] stats  KEYS[4] dead
-- ARGV[1] group
-- Returns {counters (flat hash), stream length, delayed, pending, dead}.
local pending = 0
local ok, p = pcall(redis.call, 'XPENDING', KEYS[1], ARGV[1])
if ok and p then pending = p[1] end
return {redis.call('HGETALL', KEYS[3]), redis.call('XLEN', KEYS[1]), redis.call('ZCARD', KEYS[2]), pending, redis.call('XLEN', KEYS[4])}
