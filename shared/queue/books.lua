-- books: one consistent snapshot of a queue's counters and sizes.
-- KEYS[1] stream  KEYS[2] delayed  KEYS[3] stats  KEYS[4] dead
-- KEYS[5] meta (its records count the jobs created and not yet purged)
-- ARGV[1] group; ARGV[2] the given-back consumer (its entries are backlog)
-- Returns {counters (flat hash), stream length, delayed, pending, dead,
-- records}.
local pending = 0
local ok, p = pcall(redis.call, 'XPENDING', KEYS[1], ARGV[1])
if ok and p then
  pending = p[1]
  for _, c in ipairs(p[4] or {}) do
    if c[1] == ARGV[2] then pending = pending - tonumber(c[2]) end
  end
end
return {redis.call('HGETALL', KEYS[3]), redis.call('XLEN', KEYS[1]), redis.call('ZCARD', KEYS[2]), pending, redis.call('XLEN', KEYS[4]),
  redis.call('HLEN', KEYS[5])}
