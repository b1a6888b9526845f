-- allow: rate-limit one subject against several policies, all-or-nothing.
-- (Runs after gcra.lua, which defines clock and gcra.)
-- KEYS[1]     the subject's rate-limit state
-- ARGV[1]     cost (requests to spend; 0 = peek)
-- ARGV[2..]   per policy: name, emission interval (µs), burst
-- Returns gcra's reply.
return gcra({}, KEYS[1], redis.call('GET', KEYS[1]), 2, (#ARGV - 1) / 3, tonumber(ARGV[1]), clock())
