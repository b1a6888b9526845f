-- Helpers shared by the queue scripts (prepended to each of them).

-- update_record rewrites job id's json record in the meta hash with fields
-- from changes; returns the record (nil when the record is gone).
local function update_record(meta, id, changes)
  local raw = redis.call('HGET', meta, id)
  if not raw then return nil end
  local rec = cjson.decode(raw)
  if not rec.created_ms and rec.entry then
    -- created on the stream: at its first entry id's time, kept before the
    -- entry changes
    rec.created_ms = tonumber(string.match(rec.entry, '^%d+'))
  end
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

-- purge_expired removes finished records past their retention: up to limit
-- members of the expiry set, each a job id or "#<id> <id> ..." for a batch
-- of succeeded jobs. The idempotency record of a purged job (its key is in
-- the job record) cannot be deleted here, since scripts touch only keys
-- passed in KEYS: "<job id> <record key>" goes to the gc set, which the
-- worker empties with idemgc.lua. Until then enqueue treats the record as
-- released (its job is gone).
local function purge_expired(meta, done, gc, expiry, stats, now, limit)
  local purged = 0
  local members = redis.call('ZRANGEBYSCORE', expiry, '-inf', now, 'LIMIT', 0, limit)
  for _, m in ipairs(members) do
    local ids = {m}
    if string.sub(m, 1, 1) == '#' then
      ids = {}
      for id in string.gmatch(string.sub(m, 2), '%S+') do ids[#ids + 1] = id end
    end
    for _, id in ipairs(ids) do
      local raw = redis.call('HGET', meta, id)
      if raw then
        if string.find(raw, '"idem_record":', 1, true) then
          local rk = cjson.decode(raw).idem_record
          if rk and rk ~= '' then redis.call('SADD', gc, id .. ' ' .. rk) end
        end
        purged = purged + redis.call('HDEL', meta, id)
      end
      redis.call('HDEL', done, id)
    end
    redis.call('ZREM', expiry, m)
  end
  -- the books count every job ever created as records + purged
  if purged > 0 then redis.call('HINCRBY', stats, 'purged', purged) end
end

-- promote_due moves up to limit delayed and retrying jobs whose time has
-- come onto the work stream; returns how many.
local function promote_due(stream, delayed, delayed_data, meta, now, limit)
  local ids = redis.call('ZRANGEBYSCORE', delayed, '-inf', now, 'LIMIT', 0, limit)
  for _, id in ipairs(ids) do
    local raw = redis.call('HGET', delayed_data, id)
    if raw then
      local d = cjson.decode(raw)
      local eid = redis.call('XADD', stream, '*', 'id', id, 'type', d.type, 'payload', d.payload, 'attempt', d.attempt, 'max', d.max)
      redis.call('HDEL', delayed_data, id)
      update_record(meta, id, {state = 'queued', updated_ms = now, entry = eid})
    end
    redis.call('ZREM', delayed, id)
  end
  return #ids
end

-- trim_acked deletes every stream entry below the group's oldest pending
-- entry (or up to its last delivered one when nothing is pending): entries
-- are delivered in id order, so each of those was delivered and is no longer
-- pending, that is acknowledged. Nothing unacknowledged is ever removed.
local function trim_acked(stream, group)
  local p = redis.call('XPENDING', stream, group)
  local minid
  if tonumber(p[1]) > 0 then
    minid = p[2]
  else
    for _, g in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
      local f = {}
      for i = 1, #g, 2 do f[g[i]] = g[i + 1] end
      if f.name == group then
        local ms, seq = string.match(f['last-delivered-id'], '^(%d+)-(%d+)$')
        if ms then minid = ms .. '-' .. (tonumber(seq) + 1) end
      end
    end
  end
  if minid then redis.call('XTRIM', stream, 'MINID', minid) end
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
