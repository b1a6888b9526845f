-- ranks: the standing of several players on one window (friends).
-- KEYS[1]  the window's sorted set
-- KEYS[2]  its players hash
-- KEYS[3]  the board's player data hash
-- ARGV[1]  1 to return each player's data
-- ARGV[2..] the players (distinct)
-- Returns {the window's LOWERED name, the number of players, then score,
-- rank, data for each player asked, in order (false, false, data for a
-- player not on the window)}.
local z = KEYS[1]
local name, _, off, none = head(z)
local players = {}
for i = 2, #ARGV do players[#players + 1] = ARGV[i] end
local scores
if none then
  scores = redis.call('ZMSCORE', z, unpack(players))
else
  scores = redis.call('HMGET', KEYS[2], unpack(players))
  for i = 1, #scores do
    if scores[i] then scores[i] = string.sub(scores[i], 33) end
  end
end
local out = {name, redis.call('ZCARD', z) - off}
for i = 1, #players do
  local s = scores[i]
  if s then
    out[#out + 1] = s
    out[#out + 1] = redis.call('ZCOUNT', z, '(' .. s, MAX) + 1
  else
    out[#out + 1] = false
    out[#out + 1] = false
  end
  out[#out + 1] = false
end
if ARGV[1] == '1' then
  local vals = redis.call('HMGET', KEYS[3], unpack(players))
  for i = 1, #players do out[2 + 3 * i] = vals[i] end
end
return out
