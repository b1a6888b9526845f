-- delete: remove a player, and its data, from every window of a board it
-- can be on.
-- KEYS[1]               the board hash (the all-time players hash: holds
--                       the board's seq)
-- KEYS[2]               the board's player data hash
-- KEYS[2i+1], KEYS[2i+2]
--                       sorted set and players hash of window i (1 =
--                       all-time, whose hash may hold the board's seq)
-- ARGV[1]               player
-- A walk in progress may have listed the player already, and the player may
-- come back with a lower score: leaving is a lowering, as joining is (in
-- submit.lua). Every window the player leaves records the removal's seq in
-- its LOWERED member, so a walk in progress leaves out players that join
-- after it, that one too. Returns {data removed (0/1), then the numbers i of
-- the windows the player left}.
local player = ARGV[1]
local out = {redis.call('HDEL', KEYS[2], player)}
local seq
for i = 3, #KEYS, 2 do
  local v = redis.call('HGET', KEYS[i + 1], player)
  if v then
    if not seq then seq = next_seq(tonumber(redis.call('HGET', KEYS[1], '#seq')) or 0) end
    local name, _, _, none = head(KEYS[i])
    -- add before removing: removing a set's only member would delete the
    -- key and its expiry with it
    redis.call('ZADD', KEYS[i], seq * BASE, name)
    redis.call('ZREM', KEYS[i], member_of(none, player, v))
    redis.call('HDEL', KEYS[i + 1], player)
    out[#out + 1] = (i - 1) / 2
  end
end
if seq then redis.call('HSET', KEYS[1], '#seq', seq) end
return out
