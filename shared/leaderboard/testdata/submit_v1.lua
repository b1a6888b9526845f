-- submit: apply one score to every window of a board at once.
-- KEYS[2i-1], KEYS[2i]
--           sorted set and players hash of window i (1 = all-time, whose
--           hash also holds the board's last seq, then the day and week)
-- ARGV[1]   player
-- ARGV[2]   mode: best | increment | set
-- ARGV[3]   score (an integer, in decimal)
-- ARGV[4]   the largest score magnitude allowed (2^53 - 1)
-- ARGV[4+i] when window i expires, unix ms (0 = never)
-- Each window applies the mode on its own (best keeps the higher score,
-- increment adds, set replaces). Every new score is checked before anything
-- is written: if one is out of range the call writes nothing.
-- Returns {0, score, rank, previous rank (-1 = was not on it)} for window 1,
-- or {1, i} when window i's new score would be out of range.
--
-- Numbers go to redis.call as numbers (Redis prints them with 17 digits,
-- exactly for these integers); string.format is costly and used only where a
-- number must become part of a string. Scores are integers, so "above x" is
-- ZCOUNT from x + 1 to MAX (LOWERED, above MAX, is no player).
local player, mode, arg = ARGV[1], ARGV[2], ARGV[3]
local score, max = tonumber(arg), tonumber(ARGV[4])
local n = #KEYS / 2
local olds, prefixes, lows, news = {}, {}, {}, {}
local last
for i = 1, n do
  local v
  if i == 1 then
    local r = redis.call('HMGET', KEYS[2], player, '#seq')
    v, last = r[1], tonumber(r[2]) or 0
  else
    v = redis.call('HGET', KEYS[2 * i], player)
  end
  local old
  if v then
    old = tonumber(string.sub(v, 33))
    prefixes[i], lows[i] = string.sub(v, 1, 16), string.sub(v, 17, 32)
  end
  local new = score
  if mode == 'increment' then
    new = (old or 0) + score
  elseif mode == 'best' and old and old >= score then
    new = old
  end
  if new > max or new < -max then return {1, i} end
  olds[i], news[i] = old or false, new
end

local prev = -1
if olds[1] then
  prev = redis.call('ZCOUNT', KEYS[1], olds[1] + 1, MAX) + 1
end

local seq, prefix
for i = 1, n do
  local old, new = olds[i], news[i]
  if old ~= new then
    if not seq then
      seq = next_seq(last)
      prefix = pad16(BASE - seq)
    end
    local z, h = KEYS[2 * i - 1], KEYS[2 * i]
    -- add before removing: removing a set's only member would delete the
    -- key and its expiry with it
    redis.call('ZADD', z, new, prefix .. player)
    local low = lows[i]
    if old then
      redis.call('ZREM', z, prefixes[i] .. player)
      if new < old then
        low = pad16(seq)
        redis.call('ZADD', z, seq * BASE, LOWERED)
      end
    else
      -- joining the window, maybe back after a delete (a walk in progress
      -- may have listed it before, see delete.lua): a change walks in
      -- progress leave out, as a lowering
      low = pad16(seq)
      redis.call('ZADD', z, seq * BASE, LOWERED)
    end
    local text = arg
    if new ~= score then text = num(new) end
    if i == 1 then
      redis.call('HSET', h, player, prefix .. low .. text, '#seq', seq)
    else
      redis.call('HSET', h, player, prefix .. low .. text)
    end
    local at = tonumber(ARGV[4 + i])
    if not old and at > 0 then
      redis.call('PEXPIREAT', z, at)
      redis.call('PEXPIREAT', h, at)
    end
  end
end
if seq and olds[1] == news[1] then
  redis.call('HSET', KEYS[2], '#seq', seq)
end

local rank = prev
if olds[1] ~= news[1] then
  rank = redis.call('ZCOUNT', KEYS[1], news[1] + 1, MAX) + 1
end
return {0, news[1], rank, prev}
