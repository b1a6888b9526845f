// Package cache is cache-aside for functions that read a database, built for
// Lambda: leases live in Redis (not in a process), Redis is the clock, and
// the delayed second delete is a durable job, not a timer.
//
//	c, err := cache.New(rdb, kb, cache.Options{Enqueuer: queueClient})
//	v, err := c.GetOrLoad(ctx, "user:42", 10*time.Minute, func(ctx context.Context) ([]byte, error) {
//		return loadUserJSON(ctx, db, 42) // cache.ErrNotFound when there is no row
//	})
//	...
//	tx.Commit(ctx)
//	err = c.Invalidate(ctx, "user:42") // after the commit
//
// # Reads: leases
//
// An entry is one hash, <prefix>:cache:{<key>}, so every script touches
// keys of one slot. GetOrLoad is one script call that returns the value (a
// hit: one round trip), or grants the caller a lease (a random 128-bit token
// stored in the entry, with an expiry read from Redis TIME), or answers that
// another caller holds it. The lease holder loads and then runs a fill
// script, which stores the value only if its token is still the entry's.
// The others poll (10ms, doubling to 100ms, jittered) until the fill lands,
// the lease lapses (they take it over: the loader's Lambda died or froze),
// or Options.Wait / the context's deadline runs out — then they read the
// source themselves and store nothing. 200 concurrent misses on one key run
// the loader once. There is no in-process singleflight: on Lambda each
// concurrent request has its own environment, so only Redis can coordinate.
//
// TTLs lose up to 10% at random (Options.Jitter) so that entries filled
// together do not expire together. A loader's ErrNotFound is cached as a
// negative entry when Options.NegativeTTL is set (opt-in: an insert must then
// Invalidate the key, or readers see "not found" until it expires).
//
// # Writes: safe fills and the second delete
//
// Invalidate deletes the value and the lease in one script. A fill whose
// lease was granted before that call — whose load may have read the old row
// — finds its token gone and is refused; the caller still gets its value,
// but it is not cached. This closes the stale-set race (a slow reader
// writing an old row back after the writer's delete) that delete-then-
// delete-again only narrows: the race experiment in the tests counts the
// stale entries left by naive cache-aside, by double delete and by these
// safe fills against PostgreSQL, and the last is 0 in every run.
//
// Call Invalidate after the database commit. A caller that invalidates
// before it (or a replica that shows the commit late) leaves a window in
// which a reader takes a fresh lease and loads the old row; the delayed
// second delete closes it. With Options.Enqueuer (a *queue.Client), each
// Invalidate also enqueues a cache.invalidate job, {"keys": [full Redis
// keys]}, due Options.SecondDelete (5s) later on Options.Queue ("cache"),
// which the worker runs through InvalidateKeys: the same script, so it kills
// leases too. Being a queue job it survives the Lambda freeze that would
// kill a sleeping goroutine, and is retried until it succeeds.
//
// With Options.StaleGrace, an invalidated value is kept as stale for that
// long instead of deleted; with Options.ServeStale, callers that find
// another caller loading take it instead of waiting (the lease holder always
// loads). The second delete leaves a stale value stale (it predates the
// first delete) and only kills leases.
//
// # Namespaces: one INCR invalidates a family
//
// Cache.Namespace returns a family of entries under one hash tag with a
// generation counter; InvalidateNamespace moves the counter (one INCR) and
// so ends every entry and lease of the family without KEYS or SCAN. Reads
// resolve the generation in the same script (one round trip). The cost is a
// hot slot: a namespace lives on one shard; see Namespace.
//
// # Failure directions
//
// A Redis error on the read path is returned (wrapped), not turned into a
// database read: a cache outage must not become a database stampede;
// callers that prefer to read through may do so on error. A fill or release
// that fails after a successful load returns the value and reports the error
// to Options.OnError. Every script receives all its keys in KEYS, uses only
// Redis 7.0 commands and runs on a cluster (tested on three masters).
package cache
