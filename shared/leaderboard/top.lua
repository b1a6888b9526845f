-- top: a page of a window after a cursor, best first, with competition
-- ranks. (The first page of a walk is one ZREVRANGE from the top: LOWERED,
-- if there, then the players.)
-- KEYS[1]  the window's sorted set
-- KEYS[2]  its players hash
-- KEYS[3]  the board's player data hash
-- ARGV[1]  page size
-- ARGV[2]  the walk's seq: the seq of LOWERED when the walk began (0 if
--          it was not there)
-- ARGV[3]  cursor score, ARGV[4] cursor member
-- ARGV[5]  1 to return each entry's data
-- A page starts right after the cursor's place in the order (score
-- descending, then member descending), wherever the cursor's player has
-- moved since. Players whose score went down after the walk began are left
-- out: they may have been listed above the cursor already.
-- Returns {more (1 if another page has entries), the window's LOWERED name,
-- the number of players, then member, score, rank, data for each entry}.
local z, h = KEYS[1], KEYS[2]
local limit, walk = tonumber(ARGV[1]), tonumber(ARGV[2])
local start
do
  local s, m = ARGV[3], ARGV[4]
  local cur = redis.call('ZSCORE', z, m)
  if cur and tonumber(cur) == tonumber(s) then
    start = redis.call('ZREVRANK', z, m) + 1
  else
    -- the cursor's player moved: find where (s, m) would be among the
    -- members scored s, which ZREVRANGE lists by descending member
    -- (positions count LOWERED, so this count does too)
    local lo = redis.call('ZCOUNT', z, '(' .. s, '+inf')
    local hi = lo + redis.call('ZCOUNT', z, s, s)
    while lo < hi do
      local mid = math.floor((lo + hi) / 2)
      if before(redis.call('ZREVRANGE', z, mid, mid)[1], m) then
        hi = mid
      else
        lo = mid + 1
      end
    end
    start = lo
  end
end
local name, low, off, none = head(z)
local filter = low > walk

local out = {0, name, redis.call('ZCARD', z) - off}
local kept, pos = 0, start
local prev_s, rank
local players = {}
while true do
  local batch = redis.call('ZREVRANGE', z, pos, pos + limit, 'WITHSCORES')
  local got = #batch / 2
  for i = 0, got - 1 do
    local m, s = batch[2 * i + 1], batch[2 * i + 2]
    rank = rank_at(z, pos + i - off, s, prev_s, rank)
    prev_s = s
    local keep = true
    if filter then
      local v = redis.call('HGET', h, player_of(none, m))
      keep = v ~= false and low_of(none, v) <= walk
    end
    if keep then
      if kept == limit then
        out[1] = 1
        return with_data(out, players, KEYS[3], ARGV[5] == '1')
      end
      kept = kept + 1
      out[#out + 1] = m
      out[#out + 1] = s
      out[#out + 1] = rank
      out[#out + 1] = false
      players[#players + 1] = player_of(none, m)
    end
  end
  if got < limit + 1 then return with_data(out, players, KEYS[3], ARGV[5] == '1') end
  pos = pos + got
end
