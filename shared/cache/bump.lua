-- bump: move a namespace's generation on, killing its entries and leases.
-- (Runs after lib.lua.)
-- KEYS[1] namespace generation
-- Returns the new generation.
-- An existing counter is INCRed. A missing one (never used, deleted by a
-- second delete, evicted) starts from the clock in microseconds, as get.lua
-- does, never from 1: a counter restarted at 1 could meet old entries again.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('INCR', KEYS[1])
end
local gen = gen_from_clock()
redis.call('SET', KEYS[1], gen)
return tonumber(gen)
