-- update: set and delete user data of a valid session (not a use: the
-- expiry does not move).
-- KEYS[1]  session hash   KEYS[2]  session index   KEYS[3]  revoke-all cut-off
-- ARGV[1]  handle         ARGV[2]  subject         ARGV[3]  most data fields
-- ARGV[4]  number of fields to set, n
-- ARGV[5 .. 4+2n]  field, value pairs to set; then fields to delete
-- (fields already "d:"-prefixed). All or nothing: when the session would hold
-- more than ARGV[3] data fields nothing is written. Returns {1} updated,
-- {0, reason} (1 no session, 2 cut off) or {-1, fields it would hold}.
local now = now_ms()
local s, why = session_live(KEYS[1], KEYS[2], ARGV[1], ARGV[2], now, redis.call('GET', KEYS[3]))
if not s then return {0, why} end
local n = tonumber(ARGV[4])
local last_set = 4 + 2 * n
local count = redis.call('HLEN', KEYS[1]) - 6
local gone = {}
for i = last_set + 1, #ARGV do
  if not gone[ARGV[i]] and redis.call('HEXISTS', KEYS[1], ARGV[i]) == 1 then
    gone[ARGV[i]] = true
    count = count - 1
  end
end
local added = {}
for i = 5, last_set, 2 do
  local f = ARGV[i]
  if not added[f] and (gone[f] or redis.call('HEXISTS', KEYS[1], f) == 0) then
    added[f] = true
    count = count + 1
  end
end
if count > tonumber(ARGV[3]) then return {-1, count} end
for i = last_set + 1, #ARGV do
  redis.call('HDEL', KEYS[1], ARGV[i])
end
for i = 5, last_set, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
end
return {1}
