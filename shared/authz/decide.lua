-- decide: the authorizer's whole decision in one round trip.
-- (Runs after ratelimit's gcra.lua, which defines clock and gcra.)
-- KEYS[1]     revoked tokens of the subject: zset, member = token id, score =
--             unix ms after which the entry no longer matters      (only if ARGV[1] = 2)
-- KEYS[2]     revoke-all cut-off of the subject: unix seconds         (only if ARGV[1] = 2)
-- KEYS[n..]   rate-limit state per policy (n = ARGV[1] + 1), same hash tag
-- ARGV[1]     number of revocation keys: 2 for a token, 0 for an anonymous caller
-- ARGV[2]     token id ("" when the token has no jti)
-- ARGV[3]     token iat, unix seconds
-- ARGV[4]     cost; ARGV[5..] per policy: emission interval (µs), burst
-- Returns {reason, gcra reply...}: reason 0 ok, 1 revoked, 2 cut off, 3 rate
-- limited. A revoked or cut-off token returns {reason} and spends nothing.
local now, sec, ms = clock()
local nauth = tonumber(ARGV[1])
if nauth == 2 then
  if ARGV[2] ~= '' then
    local until_ms = redis.call('ZSCORE', KEYS[1], ARGV[2])
    if until_ms and tonumber(until_ms) > ms then
      return {1}
    end
  end
  local cutoff = redis.call('GET', KEYS[2])
  if cutoff and tonumber(ARGV[3]) <= tonumber(cutoff) then
    return {2}
  end
end
local out = gcra(nauth + 1, 5, #KEYS - nauth, tonumber(ARGV[4]), now)
local reason = 0
if out[1] == 0 then reason = 3 end
table.insert(out, 1, reason)
return out
