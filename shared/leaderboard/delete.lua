-- delete: remove a player from period boards.
-- KEYS[2i-1], KEYS[2i]  sorted set and players hash of period board i
-- ARGV[1]               player
-- Returns the numbers i of the boards the player was removed from.
local player = ARGV[1]
local out = {}
for i = 1, #KEYS, 2 do
  local v = redis.call('HGET', KEYS[i + 1], player)
  if v then
    redis.call('ZREM', KEYS[i], string.sub(v, 1, 16) .. player)
    redis.call('HDEL', KEYS[i + 1], player)
    out[#out + 1] = (i + 1) / 2
  end
end
return out
