-- claim: claim an idempotency record or return it. (Runs after lib.lua.)
-- KEYS[1] record
-- ARGV[1] owner token; ARGV[2] payload hash; ARGV[3] in-progress lease ms
-- Returns idem_claim's reply: {0, owner} | {1, owner, resp, code} |
-- {2, owner} | {3, owner}.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return idem_claim(KEYS[1], ARGV[1], ARGV[2], now, tonumber(ARGV[3]))
