// Package lock provides token-owned Redis locks with fencing tokens, sized
// for AWS Lambda.
//
//	locks := lock.New(rdb, keys.Builder{})
//	l, err := locks.Obtain(ctx, "order:42", 30*time.Second, &lock.Options{
//		Retry: lock.LimitRetry(lock.ExponentialBackoff(10*time.Millisecond, 200*time.Millisecond), 10),
//	})
//	if errors.Is(err, lock.ErrNotObtained) { ... someone else is at work ... }
//	defer l.ReleaseDetached(ctx)
//	... write to the database with l.Fence() ...
//
// # Keys
//
// A lock named n lives in two keys with the same hash tag, so every script is
// valid on Redis Cluster, ElastiCache cluster mode and Serverless:
//
//	<prefix>:lock:{<n>}        the owner's random token, with the lock's TTL (PX)
//	<prefix>:lock:{<n>}:fence  the last fencing token minted for n
//
// The name is the hash tag and is validated by package keys (no braces,
// spaces or control characters; at most keys.MaxTagLen bytes).
//
// # Operations
//
// Each operation is one script call (one round trip, plus one the first time
// a script meets a node that has not cached it):
//
//   - Obtain: SET NX PX with a fresh 128-bit random token and, only when that
//     succeeds, the minting of the fencing token (obtain.lua).
//   - Release and Refresh: GET-compare-DEL and GET-compare-PEXPIRE
//     (release.lua, refresh.lua). Run by an owner whose lock has expired,
//     they change nothing and return ErrNotHeld, even when another owner
//     holds the lock now. (Redis 7.0 is the floor, so no SET IFEQ or DELIFEQ.)
//   - TTL: the remaining TTL as Redis counts it, owner-checked (pttl.lua).
//
// Redis is the clock: expiry is PX on the server, and fencing tokens are
// minted from the server's TIME. Retry strategies (NoRetry, the default;
// LinearBackoff; ExponentialBackoff with jitter; LimitRetry) only pace the
// client's attempts, and every wait ends with Obtain's context.
//
// # Lambda
//
// There is no renewal goroutine: a frozen execution environment would stop
// it silently. Instead the TTL of Obtain and Refresh is by default capped at
// the time left until the context's deadline plus DeadlineMargin. A Lambda
// cannot outlive its timeout (its context deadline), so the lock of a
// function that was stopped mid-work frees itself at most DeadlineMargin
// after, not a full TTL later. Options.IgnoreDeadline opts out, for locks
// deliberately held past the invocation (then release them explicitly, or
// let the TTL run). A handler doing long work refreshes between steps.
// Release with ReleaseDetached in a defer: it runs on a fresh short context,
// so it works even when the request's context was cancelled.
//
// # Fencing
//
// A Redis lock is an efficiency lock: a holder paused past its TTL (a GC
// pause, a frozen Lambda, a slow network) or a failover that lost the lock
// key lets a second holder in while the first still believes it holds the
// lock (Kleppmann, "How to do distributed locking"). For correctness, the
// storage the lock protects must reject the stale holder. Every Obtain
// mints a fencing token larger than any earlier token for the same name;
// the holder sends Fence() with each write and the storage keeps only
// writes whose token is not older than what it has seen. In PostgreSQL,
// with a bigint column fence on the protected row:
//
//	UPDATE orders SET state = $3, fence = $1
//	 WHERE id = $2 AND fence < $1      -- 0 rows: a newer holder wrote first
//
//	INSERT INTO orders (id, state, fence) VALUES ($2, $3, $1)
//	ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, fence = EXCLUDED.fence
//	 WHERE orders.fence < EXCLUDED.fence
//
// Use "fence <= $1" instead when one holder writes the row several times.
// A write that affects no row means the lock was lost: stop and do not
// retry with the same token. With DynamoDB the same test is a
// ConditionExpression such as "attribute_not_exists(fence) OR fence < :f".
//
// # How the fencing token is minted
//
// The token is max(last token + 1, Redis TIME in µs), and the fence key
// keeps the last token with a TTL of FenceTTL (7 days) renewed on every
// Obtain. Why not a plain INCR counter kept forever? Keeping it forever
// leaks one key per lock name ever used (Redisson's RFencedLock left 25
// million such counters in one deployment, redisson#6510); giving a plain
// counter a TTL, or losing it to eviction or to a failover with
// asynchronous replication, restarts it at 1, and tokens go backwards, so a
// stale holder's write would be accepted. With the clock as a floor:
//
//   - while the fence key exists, every token is larger than the last one,
//     whatever the clock does;
//   - when the key is gone, the next token is the current time in µs.
//     Every earlier token was at most the µs it was minted in (one Obtain
//     takes longer than a µs, so the +1 never runs ahead of the clock), and
//     the key expires only FenceTTL after the last Obtain, so the new token
//     is larger unless Redis's clock stepped back by more than FenceTTL
//     meanwhile. After a failover that lost the last tokens, the new
//     primary's clock (NTP-synchronised, as on ElastiCache) likewise lands
//     above them, where a counter would have repeated them.
//
// Tokens are about 1.8e15 today, fit PostgreSQL's bigint and JavaScript's
// safe integers, and stay below 2^53 until the year 2255. They are not
// consecutive: compare them, never count with them.
package lock
