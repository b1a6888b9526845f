-- decide: the authorizer's whole decision in one round trip.
-- (Runs after ratelimit's gcra.lua, which defines clock and gcra.)
-- KEYS[1]     revocation of this token: exists while it is revoked  (only if ARGV[1] = 2)
-- KEYS[2]     revoke-all cut-off of the subject: unix seconds        (only if ARGV[1] = 2)
-- KEYS[#KEYS] the subject's rate-limit state, same hash tag
-- ARGV[1]     number of revocation keys: 2 for a token, 0 for an anonymous caller
-- ARGV[2]     token iat minus the verification leeway, unix seconds (a token
--             is cut off when iat <= cut-off + leeway; see Store.RevokeAll)
-- ARGV[3]     cost; ARGV[4..] per policy: name, emission interval (µs), burst
-- Every key is read by one MGET. Returns {reason, gcra reply...}: reason 0
-- ok, 1 revoked, 2 cut off, 3 rate limited. A revoked or cut-off token
-- returns {reason} and spends nothing.
local now = clock()
local vals = redis.call('MGET', unpack(KEYS))
if ARGV[1] == '2' then
  if vals[1] then
    return {1}
  end
  if vals[2] and tonumber(ARGV[2]) <= tonumber(vals[2]) then
    return {2}
  end
end
local out = gcra({0}, KEYS[#KEYS], vals[#KEYS], 4, (#ARGV - 3) / 3, tonumber(ARGV[3]), now)
if out[2] == 0 then out[1] = 3 end
return out
