-- obtain: take a free lock and mint its fencing token, atomically.
-- KEYS[1] lock key   KEYS[2] fence key (same hash tag)
-- ARGV[1] owner token   ARGV[2] lock TTL, ms   ARGV[3] fence key TTL, ms
-- Returns the fencing token (> 0) when the lock was taken, 0 when another
-- owner holds it.
--
-- The token is max(last token + 1, Redis TIME in µs). While the fence key
-- exists, tokens strictly increase whatever the clock does. Should the key
-- go (its TTL, eviction, or a failover that lost the last write), the clock
-- takes over: every token ever minted was at most the µs it was minted in
-- (one obtain takes longer than 1 µs), and the key only expires ARGV[3] ms
-- after the last obtain, so the next token is still larger unless Redis's
-- clock stepped back by more than that. Tokens stay below 2^53 (exact in a
-- Lua number) until the year 2255.
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return 0
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local last = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
local fence = math.max(last + 1, now)
redis.call('SET', KEYS[2], string.format('%.0f', fence), 'PX', ARGV[3])
return fence
