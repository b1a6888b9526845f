-- settings: declare a board's settings.
-- KEYS[1]  the board hash (the all-time players hash), which holds the
--          settings: '#order', '#ties', '#windows', '#modes'
-- KEYS[2..] the sorted set of every window of the board that can still
--          exist
-- ARGV[1]  order: desc | asc
-- ARGV[2]  ties: earliest | none
-- ARGV[3]  windows, comma-separated (all, day, week, month)
-- ARGV[4]  modes, comma-separated (best, increment, set)
-- The order and the tie rule say how a window stores its players (see
-- lib.lua), so they can change only while no window has a player: a window
-- with players and another layout refuses the change, writing nothing.
-- Windows left with only their LOWERED member (every player deleted) are
-- dropped on a change, so the new layout starts clean. Windows and modes
-- may change at any time; a window added later starts empty.
-- Returns {0} when set, {1, i} when KEYS[i] has players in another layout.
local want = lowered_name(ARGV[1] == 'asc', ARGV[2] == 'none')
local cur = redis.call('HMGET', KEYS[1], '#order', '#ties')
local drop = {}
if (cur[1] or 'desc') ~= ARGV[1] or (cur[2] or 'earliest') ~= ARGV[2] then
  for i = 2, #KEYS do
    local m = redis.call('ZREVRANGE', KEYS[i], 0, 0)[1]
    if m and m ~= want then
      if string.byte(m, 1) ~= 35 or redis.call('ZCARD', KEYS[i]) > 1 then
        return {1, i}
      end
      drop[#drop + 1] = KEYS[i]
    end
  end
end
for _, k in ipairs(drop) do redis.call('DEL', k) end
redis.call('HSET', KEYS[1], '#order', ARGV[1], '#ties', ARGV[2], '#windows', ARGV[3], '#modes', ARGV[4])
return {0}
