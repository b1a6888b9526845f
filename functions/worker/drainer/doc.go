// Package drainer is the worker function: EventBridge Scheduler invokes it
// (every minute) and each invocation drains the job queues once with
// queue.Worker, running the job types of shared/jobs.
//
// The input is the schedule's own JSON, both members optional:
//
//	{"queues": ["email", "billing"], "max_jobs": 500}
//
// queues defaults to WORKER_QUEUES (a comma list; one of the two must name
// a queue) and max_jobs to 0, no cap. The input is decoded strictly: an
// unknown member, trailing data, an invalid or repeated queue name or a
// negative max_jobs fails the invocation with an error, and is logged.
//
// A run promotes due delayed jobs, reclaims entries orphaned by a worker
// that died (idle longer than WORKER_FUNCTION_TIMEOUT plus
// WORKER_RECLAIM_MARGIN), then reads and runs batches until the queues are
// empty, max_jobs jobs have run, or the invocation's deadline leaves no time
// for another batch; jobs fetched but not started are given back, unharmed,
// for the next run. WORKER_FUNCTION_TIMEOUT must be the function's
// configured timeout: the stack sets it.
//
// The answer is the queue.Summary of the run. It is logged as one line,
// "worker: drained" (INFO), with every field, and emitted as EMF metrics
// (unit Count, dimension Function=worker): Processed, Succeeded, Retried,
// Dead, Reclaimed, Lost, GivenBack, Backlog, Pending, Delayed, and
// EvictionPolicyUnsafe, 1 with an ERROR line when INFO memory shows a
// maxmemory-policy that can evict queue keys (allkeys-*), else 0. A run
// that fails part-way (Redis unavailable) returns an error, after logging
// and counting what it did.
//
// Variables (besides REDIS_*, LAMBDIS_KEY_PREFIX and the job types'
// WEBHOOK_*), each validated at init, errors naming the variable:
//
//	WORKER_QUEUES            queues drained when the input names none
//	WORKER_CONCURRENCY       jobs run at once (10; 1 to 1000)
//	WORKER_BATCH             entries read at a time (100; 1 to 1000)
//	WORKER_FUNCTION_TIMEOUT  the function's timeout (60s; 1s to 15m)
//	WORKER_JOB_TIMEOUT       per job (half the function timeout, at most 30s;
//	                         must leave the settle reserve, 1s or an eighth
//	                         of the function timeout)
//	WORKER_RECLAIM_MARGIN    added to the function timeout before a pending
//	                         entry counts as orphaned (30s; 100ms to 1h)
//	WORKER_MAX_DELIVERIES    deliveries of one attempt before the job is
//	                         dead-lettered as crashing its worker (5; 1 to 100)
//	WORKER_BACKOFF_BASE      retry backoff ceiling after the first failure (1s)
//	WORKER_BACKOFF_MAX       backoff cap (1h); full jitter under the ceiling
//	JOB_RETENTION            finished job records kept (24h; 1s to 366 days)
package drainer
