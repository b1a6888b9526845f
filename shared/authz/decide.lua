-- decide: the authorizer's whole decision in one round trip.
-- (Runs after ratelimit's gcra.lua, which defines clock and gcra.)
-- KEYS[1]     revocation of this token: exists while it is revoked  (only if ARGV[1] = 2)
-- KEYS[2]     revoke-all cut-off of the subject: unix seconds        (only if ARGV[1] = 2)
-- KEYS[n..]   rate-limit state per policy (n = ARGV[1] + 1), same hash tag
-- ARGV[1]     number of revocation keys: 2 for a token, 0 for an anonymous caller
-- ARGV[2]     token iat, unix seconds
-- ARGV[3]     cost; ARGV[4..] per policy: emission interval (µs), burst
-- Every key is read by one MGET. Returns {reason, gcra reply...}: reason 0
-- ok, 1 revoked, 2 cut off, 3 rate limited. A revoked or cut-off token
-- returns {reason} and spends nothing.
local now = clock()
local nauth = tonumber(ARGV[1])
local vals = redis.call('MGET', unpack(KEYS))
if nauth == 2 then
  if vals[1] then
    return {1}
  end
  if vals[2] and tonumber(ARGV[2]) <= tonumber(vals[2]) then
    return {2}
  end
end
local out = gcra({0}, nauth + 1, 4, #KEYS - nauth, tonumber(ARGV[3]), now, vals)
if out[2] == 0 then out[1] = 3 end
return out
