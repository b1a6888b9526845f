-- destroy_others: end every session of a subject but one ("log out other
-- devices").
-- KEYS[1]  session index
-- ARGV[1]  the handle to keep ('' keeps none)
-- Unlisting ends a session (a session is valid only while listed); returns
-- the handles it unlisted so that the caller can delete their hashes. A
-- session created after this script is not affected.
local out = {}
for _, h in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if h ~= ARGV[1] then out[#out + 1] = h end
end
for i = 1, #out, 1000 do
  redis.call('ZREM', KEYS[1], unpack(out, i, math.min(i + 999, #out)))
end
return out
