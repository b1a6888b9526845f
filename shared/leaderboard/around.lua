-- around: a player's place on a window and its neighbours.
-- KEYS[1]  the window's sorted set
-- KEYS[2]  its players hash
-- KEYS[3]  the board's player data hash
-- ARGV[1]  player
-- ARGV[2]  neighbours wanted on each side
-- ARGV[3]  1 to return each entry's data
-- Returns {-1} when the player is not on the window, else {the player's
-- 0-based position among the players, the first listed position, the
-- window's LOWERED name, the number of players, then member, score, rank,
-- data for each listed entry (fewer neighbours at the edges)}.
local z, player = KEYS[1], ARGV[1]
local v = redis.call('HGET', KEYS[2], player)
if not v then return {-1} end
local name, _, off, none = head(z)
local pos = redis.call('ZREVRANK', z, member_of(none, player, v))
if not pos then return {-1} end
pos = pos - off
local n = tonumber(ARGV[2])
local lo = pos - n
if lo < 0 then lo = 0 end
local batch = redis.call('ZREVRANGE', z, lo + off, pos + n + off, 'WITHSCORES')
local out = {pos, lo, name, redis.call('ZCARD', z) - off}
local players = append_ranked(out, z, batch, lo, #batch / 2, none)
return with_data(out, players, KEYS[3], ARGV[3] == '1', 4)
