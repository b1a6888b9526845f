-- release: a worker run that is about to return gives up its wake lease.
-- KEYS[1] awake (the queue's wake lease)
-- ARGV[1] "1": the run is out of time and reads no more; ARGV[2] the run's id
-- The lease goes only if it is this run's: "idle:<run>", as its last poll
-- left it, or, out of time, "busy:<run>" too (an enqueue then wakes a fresh
-- run at once instead of waiting for the lease to lapse). Another run's
-- lease is that run's to give up, and "waking" is an enqueue's. A bare
-- "busy" means an enqueue rang since this run's last poll: the run polls
-- again rather than leave a job behind a lease no worker honours (out of
-- time, it gives it up).
-- Returns 1 if the run is done with the lease, 0 if it must poll again.
local v = redis.call('GET', KEYS[1])
if v == 'idle:' .. ARGV[2] or (ARGV[1] == '1' and (v == 'busy:' .. ARGV[2] or v == 'busy')) then
  redis.call('DEL', KEYS[1])
  return 1
end
if v == 'busy' then return 0 end
return 1
