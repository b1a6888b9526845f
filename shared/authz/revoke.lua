-- revoke: deny one token until it expires.
-- KEYS[1]  revoked tokens of the subject (zset: member = token id, score =
--          unix ms until which the entry matters: exp + leeway)
-- ARGV[1]  token id
-- ARGV[2]  unix ms until which the entry matters
-- Entries past their time are purged here, and the key expires with the last
-- entry, so revocations never outlive the tokens they deny.
-- Returns 1 when the entry was stored, 0 when the token had already expired.
local t = redis.call('TIME')
local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until_ms = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ms)
if until_ms <= ms then
  return 0
end
redis.call('ZADD', KEYS[1], 'GT', until_ms, ARGV[1])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], last[2])
return 1
