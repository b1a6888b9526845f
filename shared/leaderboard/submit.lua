-- submit: apply one score to every window a board declares, at once.
-- KEYS[1]   the board's settings hash (order, ties, windows, modes, seq;
--           absent fields take the defaults: desc, earliest,
--           all,day,week, every mode)
-- KEYS[2]   the board's player data hash
-- KEYS[2i+1], KEYS[2i+2]
--           sorted set and players hash of window i: 1 all-time, 2 day,
--           3 week, 4 month (only the declared ones are touched)
-- ARGV[1]   player
-- ARGV[2]   mode: best | increment | set
-- ARGV[3]   score (an integer, in decimal)
-- ARGV[4]   the largest score magnitude allowed (2^53 - 1)
-- ARGV[4+i] when window i expires, unix ms (0 = never)
-- ARGV[9]   the player's data (a JSON object) to store, '' = keep
-- Each window applies the mode on its own (best keeps the better score,
-- increment adds, set replaces). Every new score is checked before anything
-- is written: if one is out of range the call writes nothing.
-- Returns {0, score, rank, previous rank (-1 = was not on it), i, mask} for
-- the first declared window i (mask: bit i-1 set for each declared window),
-- {1, i} when window i's new score would be out of range, or {2} when the
-- board does not accept the mode.
--
-- The settings are read here, in the same call, so no writer ever uses stale
-- ones. Lowest-wins boards store the negated score: "best" then keeps the
-- higher stored score and every read stays a descending walk. Numbers go to
-- redis.call as numbers (Redis prints them with 17 digits, exactly for these
-- integers); string.format is costly and used only where a number must
-- become part of a string. Scores are integers, so "above x" is ZCOUNT from
-- x + 1 to MAX (LOWERED, above MAX, is no player).
--
-- The board's write sequence: with earliest-first ties and an all-time
-- window it is the field '#seq' of the all-time players hash (written with
-- the player, as before settings existed); otherwise the settings hash's
-- seq. Both are read (the settings one comes with the settings) and the
-- larger wins, so a change of windows never reuses a seq.
local player, mode, arg = ARGV[1], ARGV[2], ARGV[3]
local max = tonumber(ARGV[4])
local cfg = redis.call('HMGET', KEYS[1], 'order', 'ties', 'windows', 'modes', 'seq')
if cfg[4] and not string.find(',' .. cfg[4] .. ',', ',' .. mode .. ',', 1, true) then
  return {2}
end
local asc, none = cfg[1] == 'asc', cfg[2] == 'none'
local wins = cfg[3] or 'all,day,week'
local score = tonumber(arg)
if asc then score = -score end
local last = tonumber(cfg[5]) or 0
local ids, mask = {}, 0
for i, name in ipairs({'all', 'day', 'week', 'month'}) do
  if string.find(wins, name, 1, true) then
    ids[#ids + 1] = i
    mask = mask + 2 ^ (i - 1)
  end
end
local allseq = not none and ids[1] == 1

local olds, prefixes, lows, news = {}, {}, {}, {}
for k, i in ipairs(ids) do
  local z, h = KEYS[2 * i + 1], KEYS[2 * i + 2]
  local old
  if none then
    old = tonumber(redis.call('ZSCORE', z, player))
  else
    local v
    if i == 1 then
      local r = redis.call('HMGET', h, player, '#seq')
      v = r[1]
      local s = tonumber(r[2])
      if s and s > last then last = s end
    else
      v = redis.call('HGET', h, player)
    end
    if v then
      old = tonumber(string.sub(v, 33))
      prefixes[k], lows[k] = string.sub(v, 1, 16), string.sub(v, 17, 32)
    end
  end
  local new = score
  if mode == 'increment' then
    new = (old or 0) + score
  elseif mode == 'best' and old and old >= score then
    new = old
  end
  if new > max or new < -max then return {1, i} end
  olds[k], news[k] = old or false, new
end

local first = KEYS[2 * ids[1] + 1]
local prev = -1
if olds[1] then
  prev = redis.call('ZCOUNT', first, olds[1] + 1, MAX) + 1
end

local name = lowered_name(asc, none)
local seq, prefix, lowtext, seqdone
local function take_seq()
  if not seq then
    if last == 0 then
      local t = redis.call('TIME')
      seq = tonumber(t[1]) * 1000000 + tonumber(t[2])
    else
      seq = last + 1
    end
  end
  return seq
end
for k, i in ipairs(ids) do
  local old, new = olds[k], news[k]
  if old ~= new then
    local z, h = KEYS[2 * i + 1], KEYS[2 * i + 2]
    local lowered = not old or new < old
    if none then
      if lowered then
        take_seq()
        lowtext = lowtext or pad16(seq)
        -- joining (maybe back after a delete) or going down: a change walks
        -- in progress leave out (see delete.lua and top.lua)
        redis.call('ZADD', z, new, player, seq * BASE, name)
        redis.call('HSET', h, player, lowtext)
      else
        redis.call('ZADD', z, new, player)
      end
    else
      take_seq()
      prefix = prefix or pad16(BASE - seq)
      local low = lows[k]
      -- add before removing: removing a set's only member would delete the
      -- key and its expiry with it
      if lowered then
        lowtext = lowtext or pad16(seq)
        low = lowtext
        redis.call('ZADD', z, new, prefix .. player, seq * BASE, name)
      else
        redis.call('ZADD', z, new, prefix .. player)
      end
      if old then redis.call('ZREM', z, prefixes[k] .. player) end
      local text = arg
      if new ~= score or asc then text = num(new) end
      if i == 1 then
        redis.call('HSET', h, player, prefix .. low .. text, '#seq', seq)
        seqdone = true
      else
        redis.call('HSET', h, player, prefix .. low .. text)
      end
    end
    local at = tonumber(ARGV[4 + i])
    if not old and at > 0 then
      redis.call('PEXPIREAT', z, at)
      redis.call('PEXPIREAT', h, at)
    end
  end
end
if seq and not seqdone then
  if allseq then
    redis.call('HSET', KEYS[4], '#seq', seq)
  else
    redis.call('HSET', KEYS[1], 'seq', seq)
  end
end
if ARGV[9] ~= '' then
  redis.call('HSET', KEYS[2], player, ARGV[9])
end

local rank = prev
if olds[1] ~= news[1] then
  rank = redis.call('ZCOUNT', first, news[1] + 1, MAX) + 1
end
local out = news[1]
if asc then out = -out end
return {0, out, rank, prev, ids[1], mask}
