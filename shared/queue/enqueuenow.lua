-- enqueuenow: add jobs due now without idempotency keys to one queue (the
-- common case; enqueue.lua does every case, this one only what it needs).
-- (Runs after wake.lua.)
-- KEYS[1] stream    work stream (entries: id, type, payload, attempt, max)
-- KEYS[2] meta      hash job id -> json job record
-- KEYS[3] stats     hash of counters (its "registered" field)
-- KEYS[4] awake     the queue's wake lease (see wake_or_ring)
-- ARGV[1] wake lease ms; ARGV[2] doorbell channel; ARGV[3] the queue's name;
-- then 5 per job: id, type, payload, max_attempts, record (as enqueue.lua)
-- A job's creation time is its stream entry id's (the record has no
-- created_ms until the entry changes, see update_record): no TIME. Nothing
-- is counted: the books count jobs by their records (see books.lua).
-- Returns one integer: the number of jobs created (all of them) * 4 + the
-- wake flags (0-3). Not a table: Redis spends ~1 µs more converting a table
-- reply, an eighth of this script's cost (docs/performance.md).
local n = 0
for a = 4, #ARGV, 5 do
  local id = ARGV[a]
  local entry = redis.call('XADD', KEYS[1], '*', 'id', id, 'type', ARGV[a + 1], 'payload', ARGV[a + 2], 'attempt', '1', 'max', ARGV[a + 3])
  redis.call('HSET', KEYS[2], id, ARGV[a + 4] .. ',"state":"queued","entry":"' .. entry .. '"}')
  n = n + 1
end
return n * 4 + wake_or_ring(KEYS[3], KEYS[4], true)
