-- giveback: return fetched but unstarted entries so that the next drain takes
-- them at once (XNACK emulation for Redis 7.0): their idle time is set past
-- the reclaim threshold and their delivery count restored, so no attempt and
-- no delivery is spent on them.
-- KEYS[1] stream
-- ARGV[1] group; ARGV[2] the given-back consumer (not counted as active);
-- ARGV[3] idle ms to set; then pairs of
-- entry id, delivery count before this fetch
-- Returns the number of entries given back.
local n = 0
for i = 4, #ARGV, 2 do
  local r = redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'IDLE', ARGV[3], 'RETRYCOUNT', ARGV[i + 1], 'JUSTID')
  n = n + #r
end
return n
