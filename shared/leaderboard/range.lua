-- range: a page of a window from a place, best first, with competition
-- ranks and the walk's start (a walk from a rank, or with data).
-- KEYS[1]  the window's sorted set
-- KEYS[2]  the board's player data hash
-- ARGV[1]  the 0-based position of the first player listed
-- ARGV[2]  page size
-- ARGV[3]  1 to return each entry's data
-- Returns {more (1 if a player follows the page), the window's LOWERED
-- name, the seq of its latest lowering (the walk's seq), the number of
-- players, then member, score, rank, data for each entry}.
local z = KEYS[1]
local from, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local name, low, off, none = head(z)
local batch = redis.call('ZREVRANGE', z, from + off, from + off + limit, 'WITHSCORES')
local got = #batch / 2
local out = {0, name, num(low), redis.call('ZCARD', z) - off}
if got > limit then
  out[1] = 1
  got = limit
end
local players = append_ranked(out, z, batch, from, got, none)
return with_data(out, players, KEYS[2], ARGV[3] == '1', 4)
