-- revoke_all: reject every token of a subject issued at or before now.
-- KEYS[1]  revoke-all cut-off of the subject (unix seconds of Redis TIME)
-- ARGV[1]  how long the cut-off must last, ms (longest token lifetime + leeway);
--          0 keeps it forever
-- The cut-off only moves forward. Returns the cut-off in unix seconds.
local sec = tonumber(redis.call('TIME')[1])
local old = tonumber(redis.call('GET', KEYS[1]) or 0) or 0
if old > sec then sec = old end
if tonumber(ARGV[1]) > 0 then
  redis.call('SET', KEYS[1], sec, 'PX', ARGV[1])
else
  redis.call('SET', KEYS[1], sec)
end
return sec
