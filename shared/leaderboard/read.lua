-- Helpers of the scripts that find players on a window: the reads (top,
-- range, around, ranks) and delete. Each such script is lib.lua, this file,
-- then its body; submit.lua and settings.lua need lib.lua only (every local
-- function defined here is a closure built on every call).

-- next_seq returns the board's next write sequence after last: Redis TIME
-- in microseconds, or last + 1 when the clock has not moved past it.
local function next_seq(last)
  local t = redis.call('TIME')
  local seq = tonumber(t[1]) * 1000000 + tonumber(t[2])
  if seq <= last then seq = last + 1 end
  return seq
end

-- before reports whether a sorts before b byte by byte (Lua's '<' on
-- strings follows the server's locale).
local function before(a, b)
  local n = #a
  if #b < n then n = #b end
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

-- rank_at returns the competition rank of the player at 0-based position
-- pos among the players (LOWERED not counted) with score s (a reply
-- string), given the entry scanned just before it (prev_s, prev_rank;
-- prev_s nil when pos is the first scanned). Equal scores share a rank; the
-- next score's rank is its position + 1.
local function rank_at(z, pos, s, prev_s, prev_rank)
  if s == prev_s then return prev_rank end
  if pos == 0 then return 1 end
  if prev_s == nil then
    return redis.call('ZCOUNT', z, '(' .. s, MAX) + 1
  end
  return pos + 1
end

-- head reads a window's first member: it returns the LOWERED member's name
-- (LOWERED when the window has none), the seq of the window's latest
-- lowering (0 = never), the position of its first player (1 when LOWERED
-- is there, else 0) and whether ties are unbroken (':none').
local function head(z)
  local r = redis.call('ZREVRANGE', z, 0, 0, 'WITHSCORES')
  local m = r[1]
  if m and string.byte(m, 1) == 35 then -- '#'
    return m, tonumber(r[2]) / BASE, 1, string.find(m, ':none', 1, true) ~= nil
  end
  return LOWERED, 0, 0, false
end

-- member returns the sorted-set member of a player from its players-hash
-- value v (nil when the player is not on the window).
local function member_of(none, player, v)
  if not v then return nil end
  if none then return player end
  return string.sub(v, 1, 16) .. player
end

-- player_of returns the player of a sorted-set member.
local function player_of(none, m)
  if none then return m end
  return string.sub(m, 17)
end

-- low_of returns a player's lowered seq from its players-hash value.
local function low_of(none, v)
  if none then return tonumber(v) end
  return tonumber(string.sub(v, 17, 32))
end

-- with_data fills the data slot (every fourth value after the first skip
-- values of out) of each listed player from the data hash d with one HMGET,
-- when wanted; it returns out.
local function with_data(out, players, d, wanted, skip)
  if not wanted or #players == 0 then return out end
  skip = skip or 3
  local vals = redis.call('HMGET', d, unpack(players))
  for i = 1, #players do
    out[skip + 4 * i] = vals[i]
  end
  return out
end

-- append_ranked appends the first n entries of a ZREVRANGE ... WITHSCORES
-- batch that starts at position from of z to out, four values each (player,
-- score, rank, false for data filled later), and returns the players' ids.
local function append_ranked(out, z, batch, from, n, none)
  local prev_s, rank
  local players = {}
  for i = 0, n - 1 do
    local s = batch[2 * i + 2]
    rank = rank_at(z, from + i, s, prev_s, rank)
    prev_s = s
    out[#out + 1] = batch[2 * i + 1]
    out[#out + 1] = s
    out[#out + 1] = rank
    out[#out + 1] = false
    players[#players + 1] = player_of(none, batch[2 * i + 1])
  end
  return players
end
