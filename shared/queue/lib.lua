-- Helpers shared by the queue scripts (prepended to each of them).

-- update_record rewrites job id's json record in the meta hash with fields
-- from changes; returns the record (nil when the record is gone).
local function update_record(meta, id, changes)
  local raw = redis.call('HGET', meta, id)
  if not raw then return nil end
  local rec = cjson.decode(raw)
  for k, v in pairs(changes) do rec[k] = v end
  redis.call('HSET', meta, id, cjson.encode(rec))
  return rec
end

-- add_error appends one attempt's error to a record's history (the last 10).
local function add_error(rec, attempt, err, now)
  local errs = rec.errors
  if type(errs) ~= 'table' then errs = {} end
  errs[#errs + 1] = {attempt = attempt, error = err, at_ms = now}
  while #errs > 10 do table.remove(errs, 1) end
  rec.errors = errs
end

-- release_dedup drops the idempotency entry of a job if it still names it.
local function release_dedup(dedup, rec)
  local key = rec.idempotency_key
  if key and key ~= '' then
    local cur = redis.call('HGET', dedup, key)
    if cur and string.match(cur, '^(%S+)') == rec.id then
      redis.call('HDEL', dedup, key)
    end
  end
end

-- purge_expired removes up to 100 finished records past their retention,
-- with their idempotency entries.
local function purge_expired(meta, dedup, expiry, now)
  local ids = redis.call('ZRANGEBYSCORE', expiry, '-inf', now, 'LIMIT', 0, 100)
  for _, id in ipairs(ids) do
    local raw = redis.call('HGET', meta, id)
    if raw then
      release_dedup(dedup, cjson.decode(raw))
      redis.call('HDEL', meta, id)
    end
    redis.call('ZREM', expiry, id)
  end
end

-- entry_fields turns an XRANGE/XREADGROUP field list into a table.
local function entry_fields(list)
  local f = {}
  for i = 1, #list, 2 do f[list[i]] = list[i + 1] end
  return f
end

-- now_ms is Redis TIME in unix milliseconds.
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
