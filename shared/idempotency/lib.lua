-- The idempotency record library, prepended to every script that keeps
-- idempotency records (this package's and shared/queue's enqueue).
--
-- A record is a hash at its own key (passed in KEYS by the caller):
--   state       in_progress | completed
--   owner       the claim's owner token (the queue: the job id)
--   hash        the request's payload hash
--   resp        the stored response (bytes; completed records)
--   code        the stored status code (completed records)
--   created_ms  when it was claimed; done_ms when it completed (Redis TIME)
-- Expiry is the key's TTL (none when the caller passes 0 and removes the
-- record itself, as the queue does).

-- idem_claim claims key for owner unless a record exists. Returns
--   {0, owner}               claimed: the caller runs the request
--   {1, owner, resp, code}   completed: replay resp
--   {2, owner}               in progress under another claim (409)
--   {3, owner}               exists with another payload hash (422)
-- lease_ms > 0 expires the in_progress record after that long. A caller
-- whose request is done by the time it claims (the queue's enqueue: the job
-- is written in the same script) passes resp and code: a claim is then
-- written completed at once, in one HSET, and lease_ms is its retention.
local function idem_claim(key, owner, hash, now, lease_ms, resp, code)
  local r = redis.call('HMGET', key, 'state', 'owner', 'hash', 'resp', 'code')
  if r[1] then
    if r[3] ~= hash then return {3, r[2]} end
    if r[1] == 'completed' then return {1, r[2], r[4] or '', tonumber(r[5]) or 0} end
    return {2, r[2]}
  end
  if resp then
    redis.call('HSET', key, 'state', 'completed', 'owner', owner, 'hash', hash, 'created_ms', now,
      'resp', resp, 'code', code or 0, 'done_ms', now)
  else
    redis.call('HSET', key, 'state', 'in_progress', 'owner', owner, 'hash', hash, 'created_ms', now)
  end
  if lease_ms > 0 then redis.call('PEXPIRE', key, lease_ms) end
  return {0, owner}
end

-- idem_complete stores the response of owner's in_progress claim and keeps
-- the record retain_ms (0: no expiry). Returns 1, or 0 when the record is
-- gone, completed or owned by another claim (a late finisher).
local function idem_complete(key, owner, resp, code, now, retain_ms)
  local r = redis.call('HMGET', key, 'state', 'owner')
  if r[1] ~= 'in_progress' or r[2] ~= owner then return 0 end
  redis.call('HSET', key, 'state', 'completed', 'resp', resp, 'code', code, 'done_ms', now)
  if retain_ms > 0 then
    redis.call('PEXPIRE', key, retain_ms)
  else
    redis.call('PERSIST', key)
  end
  return 1
end

-- idem_release deletes the record if owner still holds it (in progress or
-- completed). Returns 1 if deleted, else 0.
local function idem_release(key, owner)
  if redis.call('HGET', key, 'owner') ~= owner then return 0 end
  redis.call('DEL', key)
  return 1
end
