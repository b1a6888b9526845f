-- What every leaderboard script starts with: the layout, its constants and
-- the few helpers a write needs (the readers and delete add read.lua). It
-- defines local functions, built again on every call, so it stays small,
-- and touches no key.
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

-- num formats an integer-valued number without losing digits: Lua's own
-- conversion keeps only 14 significant digits; '%d' prints it as a 64-bit
-- integer (exact for every |x| <= 2^53), cheaper than '%.0f' and than the
-- '%.17g' Redis prints a Lua number argument of redis.call with, so a
-- 16-digit sequence goes to redis.call as num's text.
local function num(x)
  return string.format('%d', x)
end

local function pad16(x)
  return string.format('%016d', x)
end

-- The layout of a window is told by the name of its LOWERED member, which
-- every window with a player holds (joining is a lowering), so a reader needs
-- no settings: '#lowered' (desc, earliest first: the default), with ':asc'
-- when lowest wins (scores are stored negated, so every read stays a
-- descending walk) and ':none' when ties are not broken (the member is the
-- player id itself; the players hash maps a player to its 16-digit lowered
-- seq only). A board's order and tie rule are fixed while it has players.
local function lowered_name(asc, none)
  local n = LOWERED
  if asc then n = n .. ':asc' end
  if none then n = n .. ':none' end
  return n
end
