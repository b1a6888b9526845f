// Package idempotency makes "the same request twice" safe: owner-checked
// idempotency records in Redis, one round trip per step, for Lambda handlers
// (after Stripe's idempotent requests, the IETF Idempotency-Key draft and
// Powertools for AWS Lambda, with the ownership check Powertools lacks).
//
// # When to use it
//
// Wrap any handler whose side effect must not happen twice when a client
// retries (a timed-out POST /orders, an at-least-once event): the client
// sends an idempotency key, the handler calls Store.Do (or Claim, then
// Complete or Release).
//
//	res, err := store.Do(ctx, key, body, func(ctx context.Context) (idempotency.Response, error) {
//		order, err := placeOrder(ctx, body)
//		if err != nil {
//			return idempotency.Response{}, err // released: a retry runs again
//		}
//		return idempotency.Response{Status: 201, Body: order}, nil
//	})
//
// # What a repeat gets
//
//   - The first request claims the key (a record in_progress) and runs.
//   - A repeat after it completed replays the stored response, byte for
//     byte with its status (Result.Replayed): nothing runs again.
//   - A repeat while the first still runs fails with ErrInProgress: answer
//     409 Conflict (the draft's "request is outstanding"), perhaps with
//     Retry-After.
//   - A repeat with another payload (a different payload hash) fails with
//     ErrPayloadMismatch, in progress or not: answer 422 Unprocessable
//     Content (the draft's "key reused with a different payload").
//   - A failure (fn returns an error or panics) releases the claim, so the
//     next request runs. To replay a failure, return it as a Response.
//
// Each step is one EVALSHA: Claim reads the record and claims it or returns
// it in one script, Complete and Release check the owner token in one
// script. A claim's owner is a random token, so a request that outlived its
// lease (its record expired and another request claimed the key) cannot
// overwrite or delete the newer record: its Complete or Release fails with
// ErrNotOwner.
//
// # Lambda remaining time
//
// The in_progress record expires after the claim's lease: the time left
// before ctx's deadline — a Lambda handler's ctx carries the invocation's
// deadline, and no Lambda outlives it — bounded to [MinInProgress,
// MaxInProgress] (1s and 15 minutes, Lambda's longest timeout, by default),
// or Options.InProgress (5 minutes) when ctx has no deadline. A record
// whose Lambda died is therefore claimable again once the Lambda's own
// timeout has passed, never sooner. Redis expires it (Redis is the clock).
//
// # Retention
//
// Completed records are kept Options.Retention (24 hours by default, as
// Stripe does) and then expire; a repeat after that runs again. Records
// carry TTLs, so a maxmemory policy that evicts (volatile-* or allkeys-*)
// may drop one under memory pressure, and its key would then run twice:
// size the cluster so that it never evicts (lambdis doctor checks).
//
// # Keys
//
// A record is a hash at <prefix>:idem:{<tag>}:<sha256 of the idempotency
// key>: any key (up to 64 KiB) becomes a short, safe name. The tag is the
// Store's: choose one your other keys of the request share if a script of
// yours must touch both. Fields: state (in_progress | completed), owner,
// hash (the payload hash), resp, code, created_ms and done_ms.
//
// LuaLib exports the record logic as Lua source for other packages'
// scripts: shared/queue's enqueue keeps its idempotency records with it, in
// the queue's tag at <prefix>:q:{<queue>}:idem:<sha256> (RecordKeyIn): its
// one enqueue script calls idem_claim with the job id as the response, which
// writes the record completed at once. Those records carry no TTL: the queue
// removes them with the job's record, so eviction cannot drop them while the
// job lives.
package idempotency
