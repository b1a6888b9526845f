-- delete: remove a player from every window of a board it can be on.
-- (Runs after lib.lua.)
-- KEYS[2i-1], KEYS[2i]  sorted set and players hash of window i (1 = all-time,
--                       whose hash holds the board's last seq)
-- ARGV[1]               player
-- A walk in progress may have listed the player already, and the player may
-- come back with a lower score: leaving is a lowering, as joining is (in
-- submit.lua). Every window the player leaves records the removal's seq in
-- LOWERED, so a walk in progress leaves out players that join after it,
-- that one too. Returns the numbers i of the windows the player left.
local player = ARGV[1]
local out = {}
local seq
for i = 1, #KEYS, 2 do
  local v = redis.call('HGET', KEYS[i + 1], player)
  if v then
    if not seq then seq = next_seq(tonumber(redis.call('HGET', KEYS[2], '#seq')) or 0) end
    -- add before removing: removing a set's only member would delete the
    -- key and its expiry with it
    redis.call('ZADD', KEYS[i], seq * BASE, LOWERED)
    redis.call('ZREM', KEYS[i], string.sub(v, 1, 16) .. player)
    redis.call('HDEL', KEYS[i + 1], player)
    out[#out + 1] = (i + 1) / 2
  end
end
if seq then redis.call('HSET', KEYS[2], '#seq', seq) end
return out
