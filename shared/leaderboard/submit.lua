-- submit: apply one score to every window a board declares, at once.
-- KEYS[1]   the board hash: the all-time window's players hash, which also
--           holds the board's settings ('#order', '#ties', '#windows',
--           '#modes'; absent ones take the defaults: desc,
--           earliest, all,day,week, every mode) and write sequence ('#seq')
-- KEYS[2k], KEYS[2k+1]
--           sorted set and players hash of the k-th window the caller
--           believes declared, in the order all, day, week, month
-- KEYS[#KEYS] (when #KEYS is even) the board's player data hash
-- ARGV[1]   player
-- ARGV[2]   mode: best | increment | set
-- ARGV[3]   score (an integer, in decimal)
-- ARGV[4]   the windows the caller believes declared ("all,day,week")
-- ARGV[4+k] when window k expires, unix ms (0 = never)
-- ARGV[#ARGV] (with the data hash) the player's data, a JSON object
-- Each window applies the mode on its own (best keeps the better score,
-- increment adds, set replaces). Every new score is checked before anything
-- is written: if one is out of range the call writes nothing.
-- Returns {0, score, rank, previous rank (-1 = was not on it)} for the first
-- window, {1, k} when window k's new score would be out of range, {2} when
-- the board does not accept the mode, or {3, windows} when the board's
-- windows are not those of ARGV[4] (nothing written: the caller retries
-- with these).
--
-- The settings are read here, in the same call, so no writer ever uses stale
-- ones (the caller's cached windows are checked, never trusted).
-- Lowest-wins boards store the negated score: "best" then keeps the higher
-- stored score and every read stays a descending walk. Scores go to
-- redis.call as numbers (Redis prints them with 17 digits, exactly for these
-- integers), the 16-digit sequence as text made by num (much cheaper to
-- print; see lib.lua). Scores are integers, so "above x" is ZCOUNT from
-- x + 1 to MAX (LOWERED, above MAX, is no player).
--
-- One HMGET of the board hash reads the settings, the board's write
-- sequence ('#seq': the previous one + 1; Redis TIME only starts a new
-- board) and the player's all-time value together.
--
local player, mode, arg = ARGV[1], ARGV[2], ARGV[3]
local cfg = redis.call('HMGET', KEYS[1], '#order', '#ties', '#windows', '#modes', '#seq', player)
local wins = cfg[3] or 'all,day,week'
if wins ~= ARGV[4] then return {3, wins} end
-- no mode's name is part of another's, so a plain find is exact
if cfg[4] and not string.find(cfg[4], mode, 1, true) then return {2} end
local asc, none = cfg[1] == 'asc', cfg[2] == 'none'
local n = math.floor((#KEYS - 1) / 2)
local score = tonumber(arg)
if asc then score = -score end
local max = tonumber(MAX)
local allfirst = string.sub(wins, 1, 3) == 'all'

local olds, vals, news = {}, {}, {}
for k = 1, n do
  local old, v
  if none then
    old = tonumber(redis.call('ZSCORE', KEYS[2 * k], player))
  else
    if k == 1 and allfirst then
      v = cfg[6] -- read with the settings: KEYS[1] is this hash
    else
      v = redis.call('HGET', KEYS[2 * k + 1], player)
    end
    if v then old = tonumber(string.sub(v, 33)) end
  end
  local new = score
  if mode == 'increment' then
    new = (old or 0) + score
  elseif mode == 'best' and old and old >= score then
    new = old
  end
  if new > max or new < -max then return {1, k} end
  olds[k], vals[k], news[k] = old or false, v or false, new
end

local first = KEYS[2]
local prev = -1
if olds[1] then
  prev = redis.call('ZCOUNT', first, olds[1] + 1, MAX) + 1
end

-- seq, the write's sequence, is taken by the first window that needs one
local seq, prefix, lowtext, name, seqdone
for k = 1, n do
  local old, new = olds[k], news[k]
  if old ~= new then
    local z, h = KEYS[2 * k], KEYS[2 * k + 1]
    local lowered = not old or new < old
    if not seq and (lowered or not none) then
      seq = tonumber(cfg[5]) or 0
      if seq == 0 then
        local t = redis.call('TIME')
        seq = tonumber(t[1]) * 1000000 + tonumber(t[2])
      else
        seq = seq + 1
      end
    end
    if lowered then
      lowtext = lowtext or pad16(seq)
      name = name or lowered_name(asc, none)
    end
    if none then
      if lowered then
        -- joining (maybe back after a delete) or going down: a change walks
        -- in progress leave out (see delete.lua and top.lua)
        redis.call('ZADD', z, new, player, seq * BASE, name)
        redis.call('HSET', h, player, lowtext)
      else
        redis.call('ZADD', z, new, player)
      end
    else
      prefix = prefix or pad16(BASE - seq)
      local v, low = vals[k], lowtext
      -- add before removing: removing a set's only member would delete the
      -- key and its expiry with it
      if lowered then
        redis.call('ZADD', z, new, prefix .. player, seq * BASE, name)
      else
        low = string.sub(v, 17, 32)
        redis.call('ZADD', z, new, prefix .. player)
      end
      if v then redis.call('ZREM', z, string.sub(v, 1, 16) .. player) end
      local text = arg
      if new ~= score or asc then text = num(new) end
      if k == 1 and allfirst then
        -- the board's sequence goes with the all-time player
        redis.call('HSET', h, player, prefix .. low .. text, '#seq', num(seq))
        seqdone = true
      else
        redis.call('HSET', h, player, prefix .. low .. text)
      end
    end
    local at = ARGV[4 + k]
    if not old and at ~= '0' then
      redis.call('PEXPIREAT', z, at)
      redis.call('PEXPIREAT', h, at)
    end
  end
end
-- ties=none takes a seq only to lower or join
if seq and not seqdone then
  redis.call('HSET', KEYS[1], '#seq', num(seq))
end
if #KEYS % 2 == 0 then
  redis.call('HSET', KEYS[#KEYS], player, ARGV[#ARGV])
end

local rank = prev
if olds[1] ~= news[1] then
  rank = redis.call('ZCOUNT', first, news[1] + 1, MAX) + 1
end
local out = news[1]
if asc then out = -out end
return {0, out, rank, prev}
