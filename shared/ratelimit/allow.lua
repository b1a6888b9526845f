-- allow: rate-limit one subject against several policies, all-or-nothing.
-- (Runs after gcra.lua, which defines clock and gcra.)
-- KEYS[1..n]  GCRA state key per policy, all with the subject's hash tag
-- ARGV[1]     cost (requests to spend; 0 = peek)
-- ARGV[2..]   per policy: emission interval (µs), burst
-- Returns gcra's reply.
return gcra({}, 1, 2, #KEYS, tonumber(ARGV[1]), clock(), redis.call('MGET', unpack(KEYS)))
