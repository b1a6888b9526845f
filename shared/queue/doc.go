// Package queue is a durable job queue on Redis Streams: enqueue with
// idempotency keys, delays, retries with capped exponential backoff and full
// jitter, dead letters, and books that balance. A Worker run (Run) polls
// every queue of its Plan in one pipelined round trip, shares itself between
// them by weight (or strict priority), and lingers for new work; an enqueue
// that finds no run awake on its queue wakes one through a Waker, and one
// that finds a run idle rings its doorbell (docs/worker.md).
//
// # Keys
//
// Every key of a queue shares the queue's hash tag, so every script is valid
// on Redis Cluster, ElastiCache cluster mode and Serverless:
//
//	<prefix>:q:{<queue>}:stream        work stream (consumer group "workers")
//	<prefix>:q:{<queue>}:delayed       zset: job id -> due time (unix ms)
//	<prefix>:q:{<queue>}:delayed_data  hash: job id -> the job while it waits
//	<prefix>:q:{<queue>}:dead          dead-letter stream
//	<prefix>:q:{<queue>}:meta          hash: job id -> job record (JSON)
//	<prefix>:q:{<queue>}:done          hash: job id -> finish time, attempts (succeeded jobs)
//	<prefix>:q:{<queue>}:expiry        zset: job id -> when its finished record goes
//	<prefix>:q:{<queue>}:stats         hash: counters
//	<prefix>:q:{<queue>}:idem:<sha256> idempotency record of a key (shared/idempotency)
//	<prefix>:q:{<queue>}:idem_gc       set: "<job id> <record key>" of purged jobs
//	<prefix>:q:{<queue>}:awake         the wake lease: waking, busy[:<run>], idle:<run>
//	<prefix>:queues:{registry}         hash: every queue in use -> first use (unix ms)
//
// Doorbells are published on <prefix>:q:doorbell (the message: the queue).
//
// None of them but the lease carries a TTL: finished records and idempotency
// records are purged by the scripts themselves (expiry), so a volatile-*
// eviction policy (ElastiCache Serverless's volatile-lru) can never evict
// queue data (an evicted lease costs one more wake). An
// allkeys-* policy can; the worker checks INFO memory and reports it.
//
// # Idempotency
//
// An enqueue with an idempotency key is a claim of shared/idempotency's
// record (same format, same Lua: idempotency.LuaLib) completed at once, in
// the enqueue script, with the job id as the stored response: a repeat with
// the same payload replays the job id (Enqueued.Duplicate), another payload
// gets ErrIdempotencyConflict (= idempotency.ErrPayloadMismatch, HTTP 422).
// The record carries no TTL and lives as long as its job's record: a record
// whose job is dead or purged is treated as released and claimed again by
// the next enqueue. When a job's record is purged (JOB_RETENTION after it
// finished), a worker poll (fetch.lua) queues its record key in idem_gc
// and the worker deletes the record (owner-checked: the job id) in one more script
// call, since a script may touch only the keys passed to it.
//
// # Nothing is lost silently
//
// An entry leaves the work stream only in the script that records where it
// went (XACK+XDEL with the record, never MAXLEN trimming). Entries whose
// worker died are reclaimed once idle longer than the worker's timeout plus a
// margin (no Lambda outlives its timeout, so they are provably orphaned);
// entries XAUTOCLAIM reports as deleted are counted as lost; a job delivered
// more than MaxDeliveries times (it keeps killing the worker) goes to the
// dead-letter stream. The counters obey
//
//	enqueued + redriven = succeeded + dead + deduplicated + lost + stream length + delayed
//
// (stream length = backlog + pending, since settled entries are deleted),
// where enqueued counts jobs by their records: records + records purged
// after their retention + duplicates (an enqueue updates no counter). Books
// returns both sides and Drift their difference.
package queue
