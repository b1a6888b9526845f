-- reclaim: take over entries whose worker died, and dead-letter those that
-- keep killing workers.
-- (Runs after lib.lua.)
-- KEYS[1] stream  KEYS[2] dead  KEYS[3] meta  KEYS[4] stats  KEYS[5] expiry
-- ARGV[1] group; ARGV[2] this consumer; ARGV[3] min idle ms (the worker's
-- timeout plus a margin: no Lambda outlives its timeout, so such an entry
-- is orphaned); ARGV[4] count; ARGV[5] max deliveries; ARGV[6] version;
-- ARGV[7] retention ms
-- XAUTOCLAIM drops pending entries whose payload is gone (deleted or trimmed
-- by someone else) and reports their ids: they are counted as lost.
-- Returns {lost, the dead-lettered (a list of job id, type, attempts per
-- job), more (1 if the scan is not finished), then per claimed entry: entry
-- id, job id, type, payload, attempt, max, deliveries}.
local now = now_ms()
local r = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], '0-0', 'COUNT', ARGV[4])
local lost = 0
if r[3] then lost = #r[3] end
local out = {lost, {}, 0}
local dead_list = out[2]
if r[1] ~= '0-0' then out[3] = 1 end
local maxd = tonumber(ARGV[5])
local claimed, dead = 0, 0
for _, e in ipairs(r[2]) do
  local eid = e[1]
  if e[2] then
    claimed = claimed + 1
    local f = entry_fields(e[2])
    local p = redis.call('XPENDING', KEYS[1], ARGV[1], eid, eid, 1)
    local deliveries = 1
    if p[1] then deliveries = tonumber(p[1][4]) end
    if deliveries > maxd then
      local err = 'delivered ' .. deliveries .. ' times without settling: the worker crashed or timed out each time'
      redis.call('XACK', KEYS[1], ARGV[1], eid)
      redis.call('XDEL', KEYS[1], eid)
      local raw = redis.call('HGET', KEYS[3], f.id)
      local rec = {id = f.id}
      if raw then rec = cjson.decode(raw) end
      local attempt = tonumber(f.attempt) or 1
      rec.state, rec.attempts, rec.updated_ms, rec.finished_ms, rec.last_error = 'dead', attempt, now, now, err
      add_error(rec, attempt, err, now)
      redis.call('XADD', KEYS[2], '*', 'id', f.id, 'type', f.type, 'payload', f.payload, 'attempts', attempt,
        'max', f.max, 'error', err, 'errors', cjson.encode(rec.errors), 'version', ARGV[6], 'died_ms', now)
      if raw then redis.call('HSET', KEYS[3], f.id, cjson.encode(rec)) end
      redis.call('ZADD', KEYS[5], now + tonumber(ARGV[7]), f.id)
      dead = dead + 1
      local d = #dead_list
      dead_list[d + 1], dead_list[d + 2], dead_list[d + 3] = f.id, f.type, tostring(attempt)
    else
      local o = #out
      out[o + 1], out[o + 2], out[o + 3], out[o + 4], out[o + 5], out[o + 6], out[o + 7] =
        eid, f.id, f.type, f.payload, f.attempt, f.max, deliveries
    end
  else
    lost = lost + 1 -- entry without fields (pre-7.0 servers keep these)
  end
end
out[1] = lost
if claimed > 0 then redis.call('HINCRBY', KEYS[4], 'reclaimed', claimed) end
if lost > 0 then redis.call('HINCRBY', KEYS[4], 'lost', lost) end
if dead > 0 then
  redis.call('HINCRBY', KEYS[4], 'dead', dead)
  trim_acked(KEYS[1], ARGV[1]) -- as after a settle: entries acked above these may go now
end
return out
