-- idemgc: delete the idempotency records of purged jobs.
-- (Runs after idempotency.LuaLib.)
-- KEYS[1] idem_gc  KEYS[2..] the record keys named by ARGV
-- ARGV[1] at most this many members returned for the next call; ARGV[2..]
-- members of idem_gc, "<job id> <record key>", KEYS[i] holding ARGV[i]'s
-- record. Each record is deleted only if that job still owns it (a newer job
-- may have claimed the key since: its record stays).
-- Returns {deleted, then up to ARGV[1] members still in idem_gc}.
local deleted = 0
for i = 2, #ARGV do
  local id, rk = string.match(ARGV[i], '^(%S+) (.+)$')
  if rk == KEYS[i] then
    deleted = deleted + idem_release(rk, id)
    redis.call('SREM', KEYS[1], ARGV[i])
  end
end
local out = {deleted}
for _, m in ipairs(redis.call('SRANDMEMBER', KEYS[1], tonumber(ARGV[1]))) do out[#out + 1] = m end
return out
