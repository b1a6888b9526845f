-- enqueuenow: add jobs due now without idempotency keys to one queue (the
-- common case; enqueue.lua does every case, this one only what it needs).
-- KEYS[1] stream    work stream (entries: id, type, payload, attempt, max)
-- KEYS[2] meta      hash job id -> json job record
-- ARGV: 5 per job: id, type, payload, max_attempts, record (as enqueue.lua)
-- A job's creation time is its stream entry id's (the record has no
-- created_ms until the entry changes, see update_record): no TIME. Nothing
-- is counted: the books count jobs by their records (see books.lua).
-- Returns the number of jobs created (all of them).
for a = 1, #ARGV, 5 do
  local id = ARGV[a]
  local entry = redis.call('XADD', KEYS[1], '*', 'id', id, 'type', ARGV[a + 1], 'payload', ARGV[a + 2], 'attempt', '1', 'max', ARGV[a + 3])
  redis.call('HSET', KEYS[2], id, ARGV[a + 4] .. ',"state":"queued","entry":"' .. entry .. '"}')
end
return #ARGV / 5
