-- fetch: one poll of a queue by a worker run: purge expired records, promote
-- due delayed jobs, read new entries, and hold the queue's wake lease.
-- (Runs after lib.lua.)
-- KEYS[1] stream  KEYS[2] delayed  KEYS[3] delayed_data  KEYS[4] meta
-- KEYS[5] done    KEYS[6] idem_gc  KEYS[7] expiry        KEYS[8] stats
-- KEYS[9] awake   (the wake lease: "waking", "busy" or "idle")
-- ARGV[1] group; ARGV[2] this consumer; ARGV[3] entries to read (0: none,
-- the run is full: only promote and hold the lease); ARGV[4] lease ms;
-- ARGV[5] at most this many jobs promoted (and records purged); ARGV[6] at
-- most this many idem_gc members returned; ARGV[7] the run's id (the
-- lease names its run, so a run that returns gives up only its own)
-- A missing consumer group (or stream) is created again at once: Redis lost
-- it (a restart without persistence, FLUSHALL, a failover to a replica that
-- had not received it). healed is 2 when the stats hash says the group had
-- existed (a loss), 1 when this is the queue's first read.
-- The lease says a worker is awake on the queue ("<state>:<run id>"): "busy" after a read that
-- filled its count (the run reads again at once), "idle" after one that
-- emptied the queue (the next enqueue then rings the doorbell instead of
-- waking another worker); a fetch of 0 entries only renews it.
-- Returns {promoted, healed, next due ms (-1: nothing delayed), now ms,
-- number of gc members, the gc members ("<job id> <record key>"), then the
-- entries read as XREADGROUP returns them: {entry id, {field, value, ...}}}.
local now = now_ms()
local limit = tonumber(ARGV[5])
purge_expired(KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], now, limit)
local promoted = promote_due(KEYS[1], KEYS[2], KEYS[3], KEYS[4], now, limit)
local healed = 0
local count = tonumber(ARGV[3])
local read = {}
if count > 0 then
  local r = redis.pcall('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', count, 'STREAMS', KEYS[1], '>')
  if type(r) == 'table' and r.err then
    if not string.find(r.err, 'NOGROUP', 1, true) then return redis.error_reply(r.err) end
    redis.call('XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM')
    healed = 1
    if redis.call('HSETNX', KEYS[8], 'group', 1) == 0 then healed = 2 end
    r = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', count, 'STREAMS', KEYS[1], '>')
  end
  if type(r) == 'table' and r[1] then read = r[1][2] end
  if #read >= count then
    redis.call('SET', KEYS[9], 'busy:' .. ARGV[7], 'PX', ARGV[4])
  else
    redis.call('SET', KEYS[9], 'idle:' .. ARGV[7], 'PX', ARGV[4])
  end
elseif redis.call('PEXPIRE', KEYS[9], ARGV[4]) == 0 then
  redis.call('SET', KEYS[9], 'busy:' .. ARGV[7], 'PX', ARGV[4])
end
local next_due = -1
local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if first[2] then next_due = tonumber(first[2]) end
local gc = redis.call('SRANDMEMBER', KEYS[6], tonumber(ARGV[6]))
local out = {promoted, healed, next_due, now, #gc}
for _, m in ipairs(gc) do out[#out + 1] = m end
out[#out + 1] = read -- as XREADGROUP gave it: no per-entry work here
return out
