-- release: a worker run that is about to return gives up its wake lease.
-- KEYS[1] awake (the queue's wake lease)
-- The lease goes only if it still says "idle", as this run's last poll left
-- it. Anything else means an enqueue rang the doorbell since (or another
-- run is busy on the queue): the run polls again rather than leave a job
-- behind a lease that no worker will honour.
-- Returns 1 if released, 0 if not.
local v = redis.call('GET', KEYS[1])
if v == 'idle' then
  redis.call('DEL', KEYS[1])
  return 1
end
if not v then return 1 end -- expired: nothing to give up
return 0
