// Package lambdawake is the enqueue function's queue.Waker: it invokes the
// worker function asynchronously (Lambda Invoke, InvocationType=Event) with
// the input {"wake":"<queue>"}, so that a job due now on a queue with no
// worker awake starts in about a cold start instead of at the next tick.
//
// ENQUEUE_WAKE_FUNCTION names the worker function (name, ARN or partial
// ARN); unset, FromEnv returns no waker and only the schedule's ticks start
// workers. The client is aws-sdk-go-v2's from the default configuration, so
// AWS_ENDPOINT_URL_LAMBDA (or AWS_ENDPOINT_URL) points it elsewhere, e.g. at
// a local stand-in of the Invoke API in tests.
//
// One wake is bounded by queue.DefaultWakeTimeout and by the request's
// remaining time less a reserve for answering, and is tried at most twice
// (an asynchronous Invoke only queues the event, so a slow answer is a
// failed one). A failed wake is returned to the queue client, which reports
// it on the job (Enqueued.WakeErr) without failing the enqueue: the job is
// stored, and the schedule's next tick runs it.
package lambdawake
