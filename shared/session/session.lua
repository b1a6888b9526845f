-- Session core shared by every script of shared/session (each is this file
-- followed by its body; the authorizer's decision also prepends ratelimit's
-- gcra.lua). It defines local functions and touches no key by itself.
--
-- A session is a hash <prefix>:auth:{<user tag>}:sess:<handle> with fields
--   sub      subject
--   created  creation time, ms since the Unix epoch (Redis TIME)
--   seen     last use, ms
--   idle     idle TTL, ms: the session ends idle ms after its last use
--   exp      absolute expiry, ms; 0 = none
--   scope    space-separated scopes
--   d:<name> user data
-- and its handle is a member of the subject's index, the sorted set
-- <prefix>:auth:{<user tag>}:sessions scored by the session's expiry (ms). A
-- session is valid only while its hash exists, its handle is listed in the
-- index, it is neither idle nor past exp, and it was created after the
-- subject's revoke-all cut-off (KEYS nbf, unix seconds). Deleting the index
-- ends every session of the subject at once.

-- now_ms converts a clock() reading (µs since 2025-01-01, gcra.lua) or reads
-- TIME when given nothing: ms since the Unix epoch.
local function now_ms(us)
  if us then return math.floor(us / 1000) + 1735689600000 end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- session_end deletes what is left of a dead session.
local function session_end(skey, ikey, handle)
  redis.call('DEL', skey)
  redis.call('ZREM', ikey, handle)
end

-- session_live returns the session's metadata when it is valid at now, or
-- nil and the reason (1 no session, 2 cut off) after cleaning up what is
-- left of it. cutoff is the GET of the nbf key (false when none).
local function session_live(skey, ikey, handle, sub, now, cutoff)
  local h = redis.call('HMGET', skey, 'sub', 'created', 'seen', 'idle', 'exp', 'scope')
  local listed = redis.call('ZSCORE', ikey, handle)
  if not h[1] or not listed or h[1] ~= sub then
    if h[1] or listed then session_end(skey, ikey, handle) end
    return nil, 1
  end
  local s = {created = tonumber(h[2]), seen = tonumber(h[3]), idle = tonumber(h[4]),
             exp = tonumber(h[5]), scope = h[6] or ''}
  if not (s.created and s.seen and s.idle and s.exp) or now >= s.seen + s.idle
      or (s.exp > 0 and now >= s.exp) then
    session_end(skey, ikey, handle)
    return nil, 1
  end
  if cutoff and math.floor(s.created / 1000) <= tonumber(cutoff) then
    session_end(skey, ikey, handle)
    return nil, 2
  end
  return s
end

-- session_expiry is when a session used at now ends if unused.
local function session_expiry(s, now)
  local e = now + s.idle
  if s.exp > 0 and s.exp < e then e = s.exp end
  return e
end

-- index_keep makes the index live at least until e (it lives as long as its
-- longest-lived session and never shorter).
local function index_keep(ikey, e, now)
  local ttl = redis.call('PTTL', ikey)
  if ttl == -1 then
    local top = redis.call('ZRANGE', ikey, -1, -1, 'WITHSCORES')
    if top[2] and tonumber(top[2]) > e then e = tonumber(top[2]) end
  end
  if ttl < e - now then redis.call('PEXPIRE', ikey, e - now) end
end

-- session_touch records a use at now: the sliding expiry.
local function session_touch(skey, ikey, handle, s, now)
  local e = session_expiry(s, now)
  s.seen = now
  redis.call('HSET', skey, 'seen', now)
  redis.call('PEXPIRE', skey, e - now)
  redis.call('ZADD', ikey, e, handle)
  index_keep(ikey, e, now)
  return e
end
