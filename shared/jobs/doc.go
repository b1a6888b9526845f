// Package jobs holds the job types Lambdis ships, as one registry builder
// used by both sides of the queue: the enqueue function validates payloads
// with it (queue.Registry.Validate, so a bad payload is a 400 and nothing is
// written) and the worker runs its handlers. Both build it from the same
// variables (ConfigFromEnv), so what the API accepts is what the worker runs.
//
// # webhook
//
// Payload:
//
//	{"url": "https://hooks.example.com/lambdis/orders",
//	 "body": <any JSON value>,
//	 "headers": {"X-Tenant": "acme"}}            (optional)
//
// The worker POSTs body, byte for byte, with Content-Type application/json
// and these headers:
//
//	Lambdis-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">
//	Lambdis-Job-Id:    <job id>      (the same on every attempt: deduplicate on it)
//	Lambdis-Attempt:   <1, 2, ...>
//
// keyed with WEBHOOK_SECRET (or the secret WEBHOOK_SECRET_ARN names), at
// least 32 bytes. Receivers check it with VerifySignature. Extra headers
// may not set Host, Content-Length, Content-Type, hop-by-hop headers or any
// Lambdis-* header.
//
// The url must match WEBHOOK_ALLOWED_URLS, a comma-separated list of URL
// prefixes: scheme and host (with port) exactly, the path by whole segments
// ("https://h/hooks" allows /hooks and /hooks/x, not /hooksx). An empty
// list disables webhooks: every webhook job is rejected at enqueue. URLs are
// https, or http to a loopback host (tests, local development); user info,
// fragments, dot segments and encoded slashes, backslashes or dots in the
// path are refused. The handler checks the allow-list again before each
// POST (the list may have changed since the job was enqueued) and never
// follows a redirect, so a job cannot reach a host outside the list.
//
// Outcomes: 2xx succeeds; 408, 429, 5xx, timeouts and network errors are
// retried (the queue's backoff); any other status — 4xx and 3xx (redirects
// are not followed) — is permanent (queue.Permanent: straight to the dead
// letters). Each POST is bounded by WEBHOOK_TIMEOUT (default 10s) and by the
// job's own deadline.
//
// # cache.invalidate
//
// Payload: {"keys": ["lambdis:cache:{user:42}", ...]}, 1 to 100 keys, each
// starting with "<LAMBDIS_KEY_PREFIX>:cache:" so that a client can delete
// only cache entries. The handler runs the cache's invalidation script on
// each (cache.InvalidateKeys: the value goes, and so does any lease, so a
// fill whose load began before it is refused); absent keys are not an error.
// This is the delayed second delete of the cache-aside pattern, which
// cache.Cache.Invalidate enqueues for you (Options.Enqueuer).
//
// # Adding a job type
//
// Write one file in this package with the payload type, a validator
// (func(json.RawMessage) error, run at enqueue: reject what the handler
// could never run) and a queue.Handler (return nil when done, an error to
// retry, queue.Permanent(err) to dead-letter at once; honour ctx, which ends
// at the job's timeout; make it idempotent, as a job may run more than once
// when a worker dies mid-job). Register both in NewRegistry, with any
// configuration it needs in Config and ConfigFromEnv. A type that is
// registered by the enqueue function but unknown to a (stale) worker is
// dead-lettered there, never dropped.
package jobs
