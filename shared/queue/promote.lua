-- promote: move due delayed and retrying jobs onto the work stream.
-- (Runs after lib.lua.)
-- KEYS[1] stream  KEYS[2] delayed  KEYS[3] delayed_data  KEYS[4] meta
-- KEYS[5] done    KEYS[6] idem_gc  KEYS[7] expiry  KEYS[8] stats
-- ARGV[1] at most this many jobs (and finished records purged); ARGV[2] at
-- most this many gc members returned
-- Returns {promoted, due jobs left, then up to ARGV[2] members of idem_gc
-- ("<job id> <record key>") for the worker to pass to idemgc.lua}.
local now = now_ms()
purge_expired(KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], now, tonumber(ARGV[1]))
local promoted = promote_due(KEYS[1], KEYS[2], KEYS[3], KEYS[4], now, tonumber(ARGV[1]))
local out = {promoted, redis.call('ZCOUNT', KEYS[2], '-inf', now)}
for _, m in ipairs(redis.call('SRANDMEMBER', KEYS[6], tonumber(ARGV[2]))) do out[#out + 1] = m end
return out
