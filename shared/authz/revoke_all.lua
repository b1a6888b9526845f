-- revoke_all: reject every token of a subject issued at or before now, and
-- end every session of the subject.
-- KEYS[1]  revoke-all cut-off of the subject (unix seconds of Redis TIME)
-- KEYS[2]  session index of the subject (a sorted set of session handles;
--          shared/session): a session is valid only while listed in it
-- ARGV[1]  how long the cut-off must last, ms (longest token lifetime + leeway);
--          0 keeps it forever
-- The cut-off only moves forward. Deleting the index ends every session at
-- once, in this script; the session hashes it listed are returned so that the
-- caller can delete them too (their keys are not known before this script
-- runs, and a script may touch only the keys it is given). Returns
-- {cut-off in unix seconds, session handle...}.
local sec = tonumber(redis.call('TIME')[1])
local old = tonumber(redis.call('GET', KEYS[1]) or 0) or 0
if old > sec then sec = old end
if tonumber(ARGV[1]) > 0 then
  redis.call('SET', KEYS[1], sec, 'PX', ARGV[1])
else
  redis.call('SET', KEYS[1], sec)
end
local out = redis.call('ZRANGE', KEYS[2], 0, -1)
redis.call('DEL', KEYS[2])
table.insert(out, 1, sec)
return out
