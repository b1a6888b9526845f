package queue

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/idempotency"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

// Enqueue dedup is shared/idempotency's record: a completed record under the
// idempotency key format, in the queue's tag, with the job id as its
// response and no TTL; a duplicate replays the job id, another payload is
// idempotency.ErrPayloadMismatch. Two jobs of one batch with one key are one
// job.
func TestEnqueueDedupUsesIdempotencyRecords(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		c := newClient(rdb)
		j := job("orders", "noop", `{"order":42}`)
		j.IdempotencyKey = "order-42"
		first, err := c.Enqueue(ctx, j)
		if err != nil || first.Duplicate {
			t.Fatalf("first: %+v %v", first, err)
		}
		rk := "lambdis:q:{orders}:idem:" + idempotency.KeyHash("order-42")
		rec, err := rdb.HGetAll(ctx, rk).Result()
		if err != nil || rec["state"] != "completed" || rec["owner"] != first.ID || rec["resp"] != first.ID ||
			rec["hash"] != payloadHash(j) || rec["created_ms"] == "" || rec["done_ms"] == "" {
			t.Fatalf("record %s: %v %v", rk, rec, err)
		}
		if ttl, err := rdb.PTTL(ctx, rk).Result(); err != nil || ttl != -1 {
			t.Fatalf("record TTL %v %v: want none (eviction-safe)", ttl, err)
		}
		dup, err := c.Enqueue(ctx, j)
		if err != nil || !dup.Duplicate || dup.ID != first.ID {
			t.Fatalf("duplicate: %+v %v", dup, err)
		}
		other := j
		other.Payload = []byte(`{"order":43}`)
		if _, err := c.Enqueue(ctx, other); !errors.Is(err, idempotency.ErrPayloadMismatch) || !errors.Is(err, ErrIdempotencyConflict) {
			t.Fatalf("other payload: %v", err)
		}
		// A batch: a new key twice (one job), the old key, a conflict.
		k2 := job("orders", "noop", `{"order":44}`)
		k2.IdempotencyKey = "order-44"
		out, err := c.EnqueueBatch(ctx, []Job{k2, k2, j, other})
		if err != nil {
			t.Fatal(err)
		}
		if out[0].Duplicate || !out[1].Duplicate || out[1].ID != out[0].ID || !out[2].Duplicate || out[2].ID != first.ID ||
			!errors.Is(out[3].Err, ErrIdempotencyConflict) {
			t.Fatalf("batch %+v", out)
		}
		if b := mustBooks(t, c, "orders"); b.Stream != 2 || b.Deduplicated != 3 || b.Drift() != 0 {
			t.Fatalf("books %+v", b)
		}
		rec, _ = rdb.HGetAll(ctx, "lambdis:q:{orders}:idem:"+idempotency.KeyHash("order-44")).Result()
		if rec["resp"] != out[0].ID {
			t.Fatalf("batch record %v", rec)
		}
		if r, _ := c.Status(ctx, first.ID); r.IdempotencyKey != "order-42" {
			t.Fatalf("status %+v", r)
		}
		// A scope makes the key another: its own job, its own record, even
		// with another payload; within the scope, duplicates as usual.
		scoped := other
		scoped.IdempotencyScope = "bob"
		mine, err := c.Enqueue(ctx, scoped)
		if err != nil || mine.Duplicate || mine.ID == first.ID {
			t.Fatalf("scoped: %+v %v", mine, err)
		}
		if again, err := c.Enqueue(ctx, scoped); err != nil || !again.Duplicate || again.ID != mine.ID {
			t.Fatalf("scoped again: %+v %v", again, err)
		}
		if r, _ := c.Status(ctx, mine.ID); r.IdempotencyKey != "order-42" {
			t.Fatalf("scoped status %+v", r)
		}
	})
}

// A job that ends dead releases its key: the next enqueue makes a new job
// and takes the record over.
func TestDeadJobReleasesIdempotencyKey(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		c := newClient(rdb)
		reg := NewRegistry()
		reg.Register("bad", func(ctx context.Context, d Delivery) error { return Permanent(errors.New("no")) }, nil)
		j := job("pay", "bad", `{"n":1}`)
		j.IdempotencyKey = "pay-1"
		a, err := c.Enqueue(ctx, j)
		if err != nil {
			t.Fatal(err)
		}
		w := NewWorker(c, reg, WorkerConfig{JobTimeout: time.Second, MaxBlock: 10 * time.Millisecond}, nil)
		if s := drain(t, w, 10*time.Second, "pay"); s.Dead != 1 {
			t.Fatalf("summary %+v", s)
		}
		b, err := c.Enqueue(ctx, j)
		if err != nil || b.Duplicate || b.ID == a.ID {
			t.Fatalf("after dead: %+v %v", b, err)
		}
		rk, _ := idemRecordKey(keys.Builder{}, "pay", "", "pay-1")
		if owner, _ := rdb.HGet(ctx, rk, "owner").Result(); owner != b.ID {
			t.Fatalf("record owner %q, want the new job %s", owner, b.ID)
		}
		if bk := mustBooks(t, c, "pay"); bk.Drift() != 0 || bk.Dead != 1 || bk.Stream != 1 {
			t.Fatalf("books %+v", bk)
		}
	})
}

// Retention: the record goes with its job's record. Once the job's record
// is purged the key is free even before the gc deletes the record; the gc
// then deletes only records their job still owns.
func TestIdempotencyRecordsFollowJobRetention(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		c := NewClient(rdb, keys.Builder{}, 50*time.Millisecond)
		reg := NewRegistry()
		reg.Register("ok", func(ctx context.Context, d Delivery) error { return nil }, nil)
		w := NewWorker(c, reg, WorkerConfig{JobTimeout: time.Second, MaxBlock: 10 * time.Millisecond}, nil)
		k, _ := newQueueKeys(keys.Builder{}, "ret")
		mk := func(key string) Job {
			j := job("ret", "ok", `{"n":1}`)
			j.IdempotencyKey = key
			return j
		}
		a, err := c.Enqueue(ctx, mk("taken-over"))
		if err != nil {
			t.Fatal(err)
		}
		b, err := c.Enqueue(ctx, mk("plain"))
		if err != nil {
			t.Fatal(err)
		}
		if s := drain(t, w, 10*time.Second, "ret"); s.Succeeded != 2 {
			t.Fatalf("summary %+v", s)
		}
		// Purge the job records but not the idempotency records (a poll
		// that reads nothing and returns no gc members), until both are purged.
		for end := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if err := fetchScript.Run(ctx, rdb, []string{k.stream, k.delayed, k.delayedData, k.meta, k.done, k.idemGC, k.expiry, k.stats, k.awake}, Group, "test", 0, 1000, 1000, 0, "test").Err(); err != nil {
				t.Fatal(err)
			}
			if n, _ := rdb.HLen(ctx, k.meta).Result(); n == 0 {
				break
			}
			if time.Now().After(end) {
				t.Fatal("job records were not purged")
			}
		}
		// The books count jobs by records + purged: purging changes nothing.
		if bk := mustBooks(t, c, "ret"); bk.Enqueued != 2 || bk.Succeeded != 2 || bk.Drift() != 0 {
			t.Fatalf("books after the purge %+v, drift %d", bk, bk.Drift())
		}
		rkA, _ := idemRecordKey(keys.Builder{}, "ret", "", "taken-over")
		rkB, _ := idemRecordKey(keys.Builder{}, "ret", "", "plain")
		if n, _ := rdb.SCard(ctx, k.idemGC).Result(); n != 2 {
			t.Fatalf("gc set holds %d members, want 2", n)
		}
		if n, _ := rdb.Exists(ctx, rkA, rkB).Result(); n != 2 {
			t.Fatalf("%d records before gc, want 2", n)
		}
		// The purged job's record no longer holds the key: a new job.
		a2, err := c.Enqueue(ctx, mk("taken-over"))
		if err != nil || a2.Duplicate || a2.ID == a.ID {
			t.Fatalf("after purge: %+v %v (old %s)", a2, err, a.ID)
		}
		if bk := mustBooks(t, c, "ret"); bk.Enqueued != 3 || bk.Stream != 1 || bk.Drift() != 0 {
			t.Fatalf("books after a new job %+v, drift %d", bk, bk.Drift())
		}
		// The gc deletes b's record and leaves a2's (no longer a's).
		drain(t, w, 3*time.Second, "ret") // its first poll runs the gc
		if n, _ := rdb.Exists(ctx, rkB).Result(); n != 0 {
			t.Fatalf("record of purged job %s survived the gc", b.ID)
		}
		if owner, _ := rdb.HGet(ctx, rkA, "owner").Result(); owner != a2.ID {
			t.Fatalf("gc touched the newer record: owner %q, want %s", owner, a2.ID)
		}
		if n, _ := rdb.SCard(ctx, k.idemGC).Result(); n != 0 {
			t.Fatalf("gc set holds %d members after the gc", n)
		}
	}, redistest.BackendServer, redistest.BackendCluster)
}
