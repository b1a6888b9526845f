-- complete: store the response of an owned claim. (Runs after lib.lua.)
-- KEYS[1] record
-- ARGV[1] owner token; ARGV[2] response; ARGV[3] status code;
-- ARGV[4] retention ms
-- Returns 1, or 0 when the claim is no longer the caller's.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return idem_complete(KEYS[1], ARGV[1], ARGV[2], ARGV[3], now, tonumber(ARGV[4]))
