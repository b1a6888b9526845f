-- Wake helper prepended to the enqueue scripts. Their ARGV[1..3] are the
-- wake lease in ms, the doorbell channel and the queue's name.

-- wake_or_ring: after adding jobs, tell a worker. No lease: no worker is
-- awake on the queue; when a job is due now, take the lease ("waking", for
-- ARGV[1] ms, so a burst causes one wake; 0: the client has no waker) and
-- ask the client to wake one,
-- and ask it to register a queue never registered (stats "registered");
-- and ring the doorbell: a run awake on every queue in use adds this one.
-- "idle:<run>": an awake run found the queue empty; ring its doorbell
-- (PUBLISH ARGV[2] <queue>) once and mark the lease "busy" (no run's: the
-- run's next poll takes it back). "busy…"/"waking": a worker will read the
-- job.
-- Returns flags: 1 wake a worker, 2 register the queue.
local function wake_or_ring(stats, awake, due_now)
  local flags = 0
  local lease = redis.call('GET', awake)
  if not lease then
    if due_now and ARGV[1] ~= '0' then
      redis.call('SET', awake, 'waking', 'PX', ARGV[1])
      flags = 1
    end
    if redis.call('HSETNX', stats, 'registered', 1) == 1 then flags = flags + 2 end
    -- a run awake on other queues takes this one on at once
    redis.call('PUBLISH', ARGV[2], ARGV[3])
  elseif string.sub(lease, 1, 5) == 'idle:' then
    redis.call('SET', awake, 'busy', 'KEEPTTL')
    redis.call('PUBLISH', ARGV[2], ARGV[3])
  end
  return flags
end
