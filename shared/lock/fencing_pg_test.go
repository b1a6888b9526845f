package lock

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/pgtest"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

// The fenced writes of the package documentation.
const (
	fencedUpdate = `UPDATE orders SET state = $3, fence = $1 WHERE id = $2 AND fence < $1`
	fencedUpsert = `INSERT INTO orders (id, state, fence) VALUES ($2, $3, $1)
		ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, fence = EXCLUDED.fence
		WHERE orders.fence < EXCLUDED.fence`
)

// TestStaleHolderWriteRejectedByPostgres: holder A stalls past its TTL, the
// lock really expires in Redis, holder B obtains it and writes; when A wakes,
// PostgreSQL rejects its write by the fencing token, and A can neither
// release nor refresh B's lock.
func TestStaleHolderWriteRejectedByPostgres(t *testing.T) {
	db := pgtest.Pool(t)
	ctx := context.Background()
	if _, err := db.Exec(ctx, `CREATE TABLE orders (
		id    bigint PRIMARY KEY,
		state text   NOT NULL,
		fence bigint NOT NULL DEFAULT 0)`); err != nil {
		t.Fatal(err)
	}
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		if _, err := db.Exec(ctx, `TRUNCATE orders`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ctx, `INSERT INTO orders (id, state) VALUES (1, 'new')`); err != nil {
			t.Fatal(err)
		}
		write := func(sql string, l *Lock, id int64, state string) int64 {
			t.Helper()
			tag, err := db.Exec(ctx, sql, l.Fence(), id, state)
			if err != nil {
				t.Fatalf("fenced write: %v", err)
			}
			return tag.RowsAffected()
		}
		c := newClient(rdb)

		a := obtain(t, c, "order:1", 100*time.Millisecond, nil)
		// A stalls (a GC pause, a frozen Lambda) until its lock has really
		// expired in Redis.
		waitGone(t, rdb, a.Key())

		b := obtain(t, c, "order:1", time.Minute, nil)
		if b.Fence() <= a.Fence() {
			t.Fatalf("B's fence %d is not above A's %d", b.Fence(), a.Fence())
		}
		if n := write(fencedUpdate, b, 1, "written by B"); n != 1 {
			t.Fatalf("B's write affected %d rows, want 1", n)
		}
		if n := write(fencedUpsert, b, 2, "inserted by B"); n != 1 {
			t.Fatalf("B's upsert affected %d rows, want 1", n)
		}

		// A wakes up and carries on as if it still held the lock.
		if n := write(fencedUpdate, a, 1, "written by A"); n != 0 {
			t.Fatalf("A's stale write affected %d rows, want 0", n)
		}
		if n := write(fencedUpsert, a, 2, "inserted by A"); n != 0 {
			t.Fatalf("A's stale upsert affected %d rows, want 0", n)
		}
		for id, want := range map[int64]string{1: "written by B", 2: "inserted by B"} {
			var state string
			var fence int64
			if err := db.QueryRow(ctx, `SELECT state, fence FROM orders WHERE id = $1`, id).Scan(&state, &fence); err != nil {
				t.Fatal(err)
			}
			if state != want || fence != b.Fence() {
				t.Fatalf("row %d holds %q with fence %d, want %q with B's fence %d", id, state, fence, want, b.Fence())
			}
		}

		// Nor can A touch B's lock.
		if err := a.Release(ctx); !errors.Is(err, ErrNotHeld) {
			t.Fatalf("A's release: %v, want ErrNotHeld", err)
		}
		if err := a.Refresh(ctx, time.Hour); !errors.Is(err, ErrNotHeld) {
			t.Fatalf("A's refresh: %v, want ErrNotHeld", err)
		}
		if got := heldBy(t, rdb, b.Key()); got != b.Token() {
			t.Fatalf("lock key holds %q after A's release, want B's token", got)
		}
		if ttl, err := b.TTL(ctx); err != nil || ttl > time.Minute {
			t.Fatalf("B's TTL %v, %v: A's refresh took effect", ttl, err)
		}

		// The next holder's token supersedes B's.
		if err := b.Release(ctx); err != nil {
			t.Fatal(err)
		}
		next := obtain(t, c, "order:1", time.Minute, nil)
		if n := write(fencedUpdate, next, 1, "written by the next holder"); n != 1 {
			t.Fatalf("next holder's write affected %d rows, want 1", n)
		}
	}, redistest.BackendServer, redistest.BackendCluster)
}
