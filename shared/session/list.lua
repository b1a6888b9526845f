-- list: the valid sessions of a subject, after the caller read their handles
-- from the index (a script may touch only the keys it is given, and the
-- session keys are not known before that read).
-- KEYS[1]  session index   KEYS[2]  revoke-all cut-off
-- KEYS[3..] session hashes
-- ARGV[1]  subject         ARGV[2..] handles, in the order of KEYS[3..]
-- Each session is checked as get checks it (a dead one is cleaned up) and is
-- not touched: listing is not a use. Returns one array per valid session,
-- {handle, expiry ms, field, value, ...}: the expiry as of its last use.
local now = now_ms()
local cutoff = redis.call('GET', KEYS[2])
local out = {}
for i = 3, #KEYS do
  local handle = ARGV[i - 1]
  local s = session_live(KEYS[i], KEYS[1], handle, ARGV[1], now, cutoff)
  if s then
    local h = redis.call('HGETALL', KEYS[i])
    -- when it ends unless used again (session_expiry(s, seen))
    table.insert(h, 1, session_expiry(s, s.seen))
    table.insert(h, 1, handle)
    out[#out + 1] = h
  end
end
return out
