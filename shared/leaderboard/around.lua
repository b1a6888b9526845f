-- around: a player's place on a period board and its neighbours.
-- KEYS[1]  the period board's sorted set
-- KEYS[2]  its players hash
-- ARGV[1]  player
-- ARGV[2]  neighbours wanted on each side
-- Returns {-1} when the player is not on the board, else {the player's
-- 0-based position among the players, the first listed position, then member, score, rank
-- for each listed entry (fewer neighbours at the edges)}.
local z, player = KEYS[1], ARGV[1]
local v = redis.call('HGET', KEYS[2], player)
if not v then return {-1} end
local pos = redis.call('ZREVRANK', z, string.sub(v, 1, 16) .. player)
if not pos then return {-1} end
local _, off = lowered(z)
pos = pos - off
local n = tonumber(ARGV[2])
local lo = pos - n
if lo < 0 then lo = 0 end
local batch = redis.call('ZREVRANGE', z, lo + off, pos + n + off, 'WITHSCORES')
local out = {pos, lo}
local prev_s, rank
for i = 0, #batch / 2 - 1 do
  local s = batch[2 * i + 2]
  rank = rank_at(z, lo + i, s, prev_s, rank)
  prev_s = s
  out[#out + 1] = batch[2 * i + 1]
  out[#out + 1] = s
  out[#out + 1] = rank
end
return out
