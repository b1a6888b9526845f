-- Helpers shared by every leaderboard script (each script is this file
-- followed by its body). It defines local functions and touches no key.
--
-- A period board is two keys: a sorted set whose members are
-- <16-digit tie-break prefix><player> scored by the player's score, and a
-- players hash, player -> <prefix (16)><lowered (16)><score (decimal)>:
--   prefix   BASE - seq, zero-padded: the larger the prefix, the earlier the
--            player reached the score, and ZREVRANGE lists equal scores by
--            descending member, so the earlier achiever comes first
--   lowered  the seq at which the player's score last went down on this
--            board, or at which it joined it
--   score    the player's score, an integer within +-(2^53 - 1)
-- seq is the board's write sequence: Redis TIME in microseconds, or the
-- last value + 1 when the clock has not moved past it. The last seq handed
-- out is the field '#seq' of the all-time players hash.
--
-- Once a player has joined the board, the sorted set also holds the member
-- LOWERED scored seq * BASE, seq that of the board's latest lowering (a
-- score going down, a player joining or leaving):
-- above every player (a score of at least 2^53, exact for every seq below
-- 2^53), so the first page's ZREVRANGE reads it first. Ranks count players
-- up to MAX, never it; positions from ZREVRANK and ZREVRANGE include it when
-- it is there (off = 1).

-- BASE is 2^53: prefixes stay positive and exact for every seq below it.
local BASE = 9007199254740992
-- MAX is the largest score, 2^53 - 1, as text (ZCOUNT takes it as is).
local MAX = '9007199254740991'
local LOWERED = '#lowered'

-- num formats an integer-valued number without losing digits (Lua's own
-- conversion keeps only 14 significant digits).
local function num(x)
  return string.format('%.0f', x)
end

local function pad16(x)
  return string.format('%016.0f', x)
end

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

-- lowered returns the seq of the board's latest lowering (0 = never) and
-- the position of its first player (1 when LOWERED is in the set, else 0).
local function lowered(z)
  local v = redis.call('ZSCORE', z, LOWERED)
  if not v then return 0, 0 end
  return tonumber(v) / BASE, 1
end
