// Package jobsapi is the enqueue function: the HTTP face of the job queue
// (shared/queue), behind the authorizer.
//
//	POST /jobs        {"queue", "type", "payload", "delay" | "run_at", "max_attempts"}
//	                  + optional Idempotency-Key header
//	                  → 202 {"id", "status_url", "duplicate"?}
//	POST /jobs/batch  {"jobs": [ {...the same..., "idempotency_key"?}, ... ]}  (1 to 500)
//	                  → 202 {"jobs": [ {"id", "status_url", "duplicate"?} | {"error": problem} ]}
//	GET  /jobs/{id}   → 200 the job's record (queue.Record): state (queued,
//	                  delayed, active, retrying, succeeded, dead), attempts,
//	                  last error and history, timestamps
//
// Every route needs an identified caller (401 for anonymous ones) and, when
// ENQUEUE_SCOPE is set, that scope (403). A job id is 128 random bits after
// the queue name, so the status URL is unguessable; any caller that holds an
// id may read its status. status_url is the path relative to the API's root
// (the stage), the id path-escaped.
//
// # Validation
//
// Nothing is written unless the whole request is valid. Invalid values are
// answered 400 bad-request with an errors extension listing each one as
// {"pointer", "detail"} (a JSON Pointer into the body, e.g. "/run_at" or
// "/jobs/3/queue"); a body that is not the JSON above (syntax, unknown
// members, wrong types, trailing data) is 400 invalid-json; a body over
// MaxBody (300 KiB, single) or MaxBatchBody (5 MiB, batch) is 413. The
// checks:
//
//   - queue: queue.ValidateQueueName (1 to 64 bytes, no braces, ':',
//     spaces or control characters) and, when ENQUEUE_QUEUES is set, one
//     of its names (the detail lists them);
//   - type: registered in shared/jobs; payload: at most 256 KiB once
//     compacted, then the type's own validator (e.g. the webhook allow-list);
//   - delay: a Go duration from 0s to queue.MaxDelay; run_at: RFC 3339, at
//     most queue.MaxDelay ahead (a past run_at means now); not both;
//   - max_attempts: 1 to 100 (default 5);
//   - Idempotency-Key: 1 to 255 visible ASCII characters, sent once.
//
// # Idempotency
//
// A key belongs to a queue. Enqueueing with a key whose job exists answers
// 202 with that job's id and "duplicate": true when the request is the same
// job — same type, payload (compared compacted, so whitespace does not
// matter), delay or run_at, and max_attempts — and 422 unprocessable when it
// is not. A key is released when its job ends dead (so that the client can
// try again) and otherwise when the job's record expires, JOB_RETENTION
// after it finished. The key is kept as a shared/idempotency record (the
// same record and claim logic as every idempotent handler, completed at
// once with the job id) in the queue's hash tag.
//
// In a batch the Idempotency-Key header is refused (400): each job carries
// its own "idempotency_key". A job whose key names a different job gets
// {"error": <422 problem>} in its place and is not enqueued; the others are,
// and the batch still answers 202. Two jobs of one batch with the same key
// are one job (the second a duplicate) or, if they differ, a conflict.
//
// A key whose first request is still being written cannot be observed, so
// this API never answers 409 for it: queue.Client runs the idempotency
// check, the job record and the XADD (or delayed ZADD) of one queue as one
// Lua script, which Redis executes atomically. A concurrent request with the
// same key runs strictly before it (and makes the job) or strictly after it
// (and finds the complete job). A request that timed out on the client side
// has either run entirely or not at all; retrying it with the same key is
// safe and answers the original job if there was one.
//
// # Waking a worker
//
// With ENQUEUE_WAKE_FUNCTION set, the function's main.go gives the handler a
// waker (SetWaker with lambdawake's: an asynchronous Invoke with
// {"wake":"<queue>"}), and the queue client wakes the worker function when
// an enqueue finds no worker awake on the queue. A failed wake never fails the
// enqueue: it is logged at WARN with the queue and the error and counted as
// the EMF metric WakeFailed (a successful one as Woken), the answer is 202,
// and the schedule's next tick runs the job.
//
// # Errors from the store
//
// A Redis failure or timeout (ENQUEUE_STORE_TIMEOUT) answers 503
// store-unavailable: whether the job was written is unknown, so retry with
// the same idempotency key.
package jobsapi
