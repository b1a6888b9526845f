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
--            board (0 = never); the field '#lowered' holds the board's latest
--   score    the player's score, an integer within +-(2^53 - 1)
-- seq is the board's write sequence: Redis TIME in microseconds, or the
-- last value + 1 when the clock has not moved past it. The last seq handed
-- out is the field '#seq' of the all-time players hash.

-- BASE is 2^53: prefixes stay positive and exact for every seq below it.
local BASE = 9007199254740992
local ZERO16 = '0000000000000000'

-- num formats an integer-valued number without losing digits (Lua's own
-- conversion keeps only 14 significant digits).
local function num(x)
  return string.format('%.0f', x)
end

local function pad16(x)
  return string.format('%016.0f', x)
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

-- rank_at returns the competition rank of the entry at 0-based position pos
-- with score s (a reply string), given the entry scanned just before it
-- (prev_pos, prev_s, prev_rank; prev_s nil when pos is the first scanned).
-- Equal scores share a rank; the next score's rank is its position + 1.
local function rank_at(z, pos, s, prev_s, prev_rank)
  if s == prev_s then return prev_rank end
  if pos == 0 then return 1 end
  if prev_s == nil then
    return redis.call('ZCOUNT', z, '(' .. s, '+inf') + 1
  end
  return pos + 1
end
