package cache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/queue"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

func newCache(t testing.TB, rdb redis.UniversalClient, opt Options) *Cache {
	t.Helper()
	c, err := New(rdb, keys.Builder{}, opt)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// counter is a loader that counts its calls and returns value.
type counter struct {
	calls atomic.Int64
	value string
}

func (l *counter) load(ctx context.Context) ([]byte, error) {
	l.calls.Add(1)
	return []byte(l.value), nil
}

// roundTrips counts the commands a client sends (one per Process call).
type roundTrips struct{ n atomic.Int64 }

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }
func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		r.n.Add(1)
		return next(ctx, cmd)
	}
}
func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		r.n.Add(1)
		return next(ctx, cmds)
	}
}

// A miss loads once and is two round trips (get-or-lease, fill); a hit is
// one and does not load; the entry lives at <prefix>:cache:{<key>}.
func TestGetOrLoadHitAndMiss(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		rt := &roundTrips{}
		rdb.AddHook(rt)
		c := newCache(t, rdb, Options{})
		// Load the scripts on the key's node, so that counts below are not
		// NOSCRIPT retries.
		if _, err := c.GetOrLoad(ctx, "user:42", time.Minute, (&counter{value: "w"}).load); err != nil {
			t.Fatal(err)
		}
		if err := c.Invalidate(ctx, "user:42"); err != nil {
			t.Fatal(err)
		}
		l := &counter{value: `{"name":"alice"}`}
		before := rt.n.Load()
		v, err := c.GetOrLoad(ctx, "user:42", time.Minute, l.load)
		if err != nil || string(v) != l.value || l.calls.Load() != 1 {
			t.Fatalf("miss: %q %v, %d loads", v, err, l.calls.Load())
		}
		if n := rt.n.Load() - before; n != 2 {
			t.Errorf("miss: %d round trips, want 2", n)
		}
		before = rt.n.Load()
		v, err = c.GetOrLoad(ctx, "user:42", time.Minute, l.load)
		if err != nil || string(v) != l.value || l.calls.Load() != 1 {
			t.Fatalf("hit: %q %v, %d loads", v, err, l.calls.Load())
		}
		if n := rt.n.Load() - before; n != 1 {
			t.Errorf("hit: %d round trips, want 1", n)
		}
		if got, err := c.Get(ctx, "user:42"); err != nil || string(got) != l.value {
			t.Errorf("Get: %q %v", got, err)
		}
		if _, err := c.Get(ctx, "user:43"); !errors.Is(err, ErrMiss) {
			t.Errorf("Get of a missing key: %v, want ErrMiss", err)
		}
		k, _ := c.Key("user:42")
		if k != "lambdis:cache:{user:42}" {
			t.Errorf("key %q", k)
		}
		if v := rdb.HGet(ctx, k, "v").Val(); v != l.value {
			t.Errorf("stored %q", v)
		}
		// An empty value is a value, not a miss.
		e := &counter{}
		for range 2 {
			if v, err := c.GetOrLoad(ctx, "empty", time.Minute, e.load); err != nil || len(v) != 0 {
				t.Fatalf("empty value: %q %v", v, err)
			}
		}
		if e.calls.Load() != 1 {
			t.Errorf("empty value loaded %d times", e.calls.Load())
		}
	})
}

// Stampede: 200 concurrent misses on one key call the loader once, and
// every caller gets the loaded value.
func TestStampede(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		// Generous lease and wait: the loader must not be taken over by time.
		c := newCache(t, rdb, Options{LeaseTTL: 20 * time.Second, Wait: 20 * time.Second})
		var calls atomic.Int64
		load := func(ctx context.Context) ([]byte, error) {
			calls.Add(1)
			time.Sleep(100 * time.Millisecond) // a slow query keeps the others waiting
			return []byte("row"), nil
		}
		const callers = 200
		start := make(chan struct{})
		var wg sync.WaitGroup
		errs := make(chan error, callers)
		for range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				v, err := c.GetOrLoad(ctx, "hot", time.Minute, load)
				if err == nil && string(v) != "row" {
					err = fmt.Errorf("got %q", v)
				}
				if err != nil {
					errs <- err
				}
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if n := calls.Load(); n != 1 {
			t.Errorf("%d concurrent misses called the loader %d times, want 1", callers, n)
		}
		t.Logf("%d concurrent misses: %d load", callers, calls.Load())
	})
}

// A fill whose lease was granted before an invalidation is refused: the
// caller still gets what it loaded, but nothing stale is stored. This holds
// for Invalidate, for the second delete (InvalidateKeys) and for a
// namespace's generation bump.
func TestFillRefusedAfterInvalidation(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		c := newCache(t, rdb, Options{})
		ns, err := c.Namespace("users")
		if err != nil {
			t.Fatal(err)
		}
		k, _ := c.Key("order:7")
		nsKey, _ := ns.Key("7")
		invalidations := map[string]struct {
			invalidate func() error
			getOrLoad  func(LoadFunc) ([]byte, error)
			get        func() ([]byte, error)
		}{
			"Invalidate": {
				func() error { return c.Invalidate(ctx, "order:7") },
				func(l LoadFunc) ([]byte, error) { return c.GetOrLoad(ctx, "order:7", time.Minute, l) },
				func() ([]byte, error) { return c.Get(ctx, "order:7") },
			},
			"InvalidateKeys": {
				func() error { return InvalidateKeys(ctx, rdb, k) },
				func(l LoadFunc) ([]byte, error) { return c.GetOrLoad(ctx, "order:7", time.Minute, l) },
				func() ([]byte, error) { return c.Get(ctx, "order:7") },
			},
			"namespace Invalidate": {
				func() error { return ns.Invalidate(ctx, "7") },
				func(l LoadFunc) ([]byte, error) { return ns.GetOrLoad(ctx, "7", time.Minute, l) },
				func() ([]byte, error) { return ns.Get(ctx, "7") },
			},
			"InvalidateNamespace": {
				func() error { return ns.InvalidateNamespace(ctx) },
				func(l LoadFunc) ([]byte, error) { return ns.GetOrLoad(ctx, "7", time.Minute, l) },
				func() ([]byte, error) { return ns.Get(ctx, "7") },
			},
			"second delete of the generation": {
				func() error { return InvalidateKeys(ctx, rdb, ns.GenerationKey(), nsKey) },
				func(l LoadFunc) ([]byte, error) { return ns.GetOrLoad(ctx, "7", time.Minute, l) },
				func() ([]byte, error) { return ns.Get(ctx, "7") },
			},
		}
		for name, inv := range invalidations {
			// The writer commits version 2 and invalidates while the reader
			// holds version 1 between its SELECT and its fill.
			v, err := inv.getOrLoad(func(ctx context.Context) ([]byte, error) {
				if err := inv.invalidate(); err != nil {
					return nil, err
				}
				return []byte("v1"), nil
			})
			if err != nil || string(v) != "v1" {
				t.Fatalf("%s: the loader's caller got %q %v", name, v, err)
			}
			if got, err := inv.get(); !errors.Is(err, ErrMiss) {
				t.Errorf("%s: the stale fill was stored: %q %v", name, got, err)
			}
			l := &counter{value: "v2"}
			if v, err := inv.getOrLoad(l.load); err != nil || string(v) != "v2" || l.calls.Load() != 1 {
				t.Errorf("%s: the next read: %q %v (%d loads)", name, v, err, l.calls.Load())
			}
			if got, err := inv.get(); err != nil || string(got) != "v2" {
				t.Errorf("%s: after the next read: %q %v", name, got, err)
			}
			if err := inv.invalidate(); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// A failed load gives the lease up: a waiter takes it at once and loads.
func TestLoadErrorReleasesTheLease(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		c := newCache(t, rdb, Options{LeaseTTL: 30 * time.Second, Wait: 30 * time.Second})
		boom := errors.New("db down")
		started, fail := make(chan struct{}), make(chan struct{})
		first := make(chan error, 1)
		go func() {
			_, err := c.GetOrLoad(ctx, "k", time.Minute, func(ctx context.Context) ([]byte, error) {
				close(started)
				<-fail
				return nil, boom
			})
			first <- err
		}()
		<-started
		second := make(chan []byte, 1)
		l := &counter{value: "ok"}
		go func() {
			v, err := c.GetOrLoad(ctx, "k", time.Minute, l.load)
			if err != nil {
				t.Error(err)
			}
			second <- v
		}()
		close(fail)
		if err := <-first; !errors.Is(err, boom) {
			t.Errorf("the loader's error: %v", err)
		}
		if v := <-second; string(v) != "ok" || l.calls.Load() != 1 {
			t.Errorf("the waiter got %q after %d loads", v, l.calls.Load())
		}
		if got, err := c.Get(ctx, "k"); err != nil || string(got) != "ok" {
			t.Errorf("cached %q %v", got, err)
		}
	})
}

// A waiter whose Wait runs out reads the source itself and stores nothing
// (it holds no lease); the lease holder's fill still lands.
func TestWaitRunsOut(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		holder := newCache(t, rdb, Options{LeaseTTL: 30 * time.Second})
		waiter := newCache(t, rdb, Options{LeaseTTL: 30 * time.Second, Wait: 30 * time.Millisecond})
		started, finish := make(chan struct{}), make(chan struct{})
		done := make(chan error, 1)
		go func() {
			_, err := holder.GetOrLoad(ctx, "k", time.Minute, func(ctx context.Context) ([]byte, error) {
				close(started)
				<-finish
				return []byte("holder"), nil
			})
			done <- err
		}()
		<-started
		l := &counter{value: "waiter"}
		v, err := waiter.GetOrLoad(ctx, "k", time.Minute, l.load)
		if err != nil || string(v) != "waiter" || l.calls.Load() != 1 {
			t.Errorf("waiter: %q %v (%d loads)", v, err, l.calls.Load())
		}
		if _, err := waiter.Get(ctx, "k"); !errors.Is(err, ErrMiss) {
			t.Errorf("the waiter's own read was stored: %v", err)
		}
		// A context that ends first ends the wait with its error.
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := holder.GetOrLoad(cctx, "k", time.Minute, l.load); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled wait: %v", err)
		}
		close(finish)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if got, err := waiter.Get(ctx, "k"); err != nil || string(got) != "holder" {
			t.Errorf("cached %q %v", got, err)
		}
	})
}

// A loader that never fills (its Lambda froze or died) holds others up only
// until its lease lapses: a waiter takes the lease over and fills, and the
// late fill of the first loader is refused.
func TestLeaseTakeover(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		c := newCache(t, rdb, Options{LeaseTTL: 50 * time.Millisecond, Wait: 30 * time.Second})
		started, thaw := make(chan struct{}), make(chan struct{})
		frozen := make(chan []byte, 1)
		go func() {
			v, err := c.GetOrLoad(ctx, "k", time.Minute, func(ctx context.Context) ([]byte, error) {
				close(started)
				<-thaw
				return []byte("old"), nil
			})
			if err != nil {
				t.Error(err)
			}
			frozen <- v
		}()
		<-started
		l := &counter{value: "new"}
		if v, err := c.GetOrLoad(ctx, "k", time.Minute, l.load); err != nil || string(v) != "new" || l.calls.Load() != 1 {
			t.Fatalf("the waiter: %q %v (%d loads)", v, err, l.calls.Load())
		}
		close(thaw)
		if v := <-frozen; string(v) != "old" {
			t.Errorf("the thawed loader got %q", v)
		}
		if got, err := c.Get(ctx, "k"); err != nil || string(got) != "new" {
			t.Errorf("cached %q %v: the expired lease's fill was stored", got, err)
		}
	})
}

// Negative caching is opt-in: with NegativeTTL a "not found" is cached (and
// ended by Invalidate); without it every read asks the source.
func TestNegativeCaching(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		var calls atomic.Int64
		missing := func(ctx context.Context) ([]byte, error) {
			calls.Add(1)
			return nil, fmt.Errorf("user 9: %w", ErrNotFound)
		}
		off := newCache(t, rdb, Options{})
		for range 2 {
			if _, err := off.GetOrLoad(ctx, "off:9", time.Minute, missing); !errors.Is(err, ErrNotFound) {
				t.Fatalf("not found: %v", err)
			}
		}
		if calls.Load() != 2 {
			t.Errorf("without NegativeTTL: %d loads, want 2", calls.Load())
		}
		if _, err := off.Get(ctx, "off:9"); !errors.Is(err, ErrMiss) {
			t.Errorf("without NegativeTTL something was stored: %v", err)
		}

		calls.Store(0)
		on := newCache(t, rdb, Options{NegativeTTL: time.Minute})
		for range 3 {
			if _, err := on.GetOrLoad(ctx, "on:9", time.Minute, missing); !errors.Is(err, ErrNotFound) {
				t.Fatalf("not found: %v", err)
			}
		}
		if calls.Load() != 1 {
			t.Errorf("with NegativeTTL: %d loads, want 1", calls.Load())
		}
		if _, err := on.Get(ctx, "on:9"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get of a negative entry: %v", err)
		}
		k, _ := on.Key("on:9")
		if ttl := rdb.PTTL(ctx, k).Val(); ttl <= 0 || ttl > time.Minute {
			t.Errorf("negative entry ttl %v", ttl)
		}
		// The row is inserted: Invalidate ends the negative entry.
		if err := on.Invalidate(ctx, "on:9"); err != nil {
			t.Fatal(err)
		}
		l := &counter{value: "alice"}
		if v, err := on.GetOrLoad(ctx, "on:9", time.Minute, l.load); err != nil || string(v) != "alice" {
			t.Errorf("after the insert: %q %v", v, err)
		}
	})
}

// With StaleGrace an invalidated value is kept as stale: served (with
// ServeStale) while another caller loads, never by Get, and not past the
// grace. The second delete leaves it stale.
func TestStaleServing(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		grace := time.Minute
		stale := newCache(t, rdb, Options{StaleGrace: grace, ServeStale: true, LeaseTTL: 30 * time.Second})
		strict := newCache(t, rdb, Options{StaleGrace: grace, LeaseTTL: 30 * time.Second})
		if _, err := stale.GetOrLoad(ctx, "p", time.Hour, (&counter{value: "v1"}).load); err != nil {
			t.Fatal(err)
		}
		if err := stale.Invalidate(ctx, "p"); err != nil {
			t.Fatal(err)
		}
		k, _ := stale.Key("p")
		if err := InvalidateKeys(ctx, rdb, k); err != nil { // the second delete
			t.Fatal(err)
		}
		if ttl := rdb.PTTL(ctx, k).Val(); ttl <= 0 || ttl > grace {
			t.Errorf("stale entry ttl %v, want at most %v", ttl, grace)
		}
		if _, err := stale.Get(ctx, "p"); !errors.Is(err, ErrMiss) {
			t.Errorf("Get served a stale value: %v", err)
		}
		started, finish := make(chan struct{}), make(chan struct{})
		loaded := make(chan []byte, 1)
		go func() {
			v, err := stale.GetOrLoad(ctx, "p", time.Hour, func(ctx context.Context) ([]byte, error) {
				close(started)
				<-finish
				return []byte("v2"), nil
			})
			if err != nil {
				t.Error(err)
			}
			loaded <- v
		}()
		<-started // the lease holder loads (the caller with the lease always does)
		l := &counter{value: "never"}
		if v, err := stale.GetOrLoad(ctx, "p", time.Hour, l.load); err != nil || string(v) != "v1" || l.calls.Load() != 0 {
			t.Errorf("ServeStale while loading: %q %v (%d loads)", v, err, l.calls.Load())
		}
		strictGot := make(chan []byte, 1)
		go func() {
			v, err := strict.GetOrLoad(ctx, "p", time.Hour, l.load)
			if err != nil {
				t.Error(err)
			}
			strictGot <- v
		}()
		close(finish)
		if v := <-loaded; string(v) != "v2" {
			t.Errorf("the loader got %q", v)
		}
		if v := <-strictGot; string(v) != "v2" || l.calls.Load() != 0 {
			t.Errorf("without ServeStale the caller waited for %q (%d loads)", v, l.calls.Load())
		}

		// Past the grace the stale value is not served: the caller loads.
		short := newCache(t, rdb, Options{StaleGrace: time.Millisecond, ServeStale: true})
		if _, err := short.GetOrLoad(ctx, "q", time.Hour, (&counter{value: "v1"}).load); err != nil {
			t.Fatal(err)
		}
		if err := short.Invalidate(ctx, "q"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
		l2 := &counter{value: "v2"}
		if v, err := short.GetOrLoad(ctx, "q", time.Hour, l2.load); err != nil || string(v) != "v2" {
			t.Errorf("past the grace: %q %v", v, err)
		}
	})
}

// One generation bump ends every entry of a namespace and no other; the
// generation lives beside the entries (one slot) and a lost counter does
// not restart at 1.
func TestNamespace(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		c := newCache(t, rdb, Options{})
		users, err := c.Namespace("users")
		if err != nil {
			t.Fatal(err)
		}
		other, _ := c.Namespace("orders")
		if users.GenerationKey() != "lambdis:cache:{ns:users}:gen" {
			t.Errorf("generation key %q", users.GenerationKey())
		}
		if k, _ := users.Key("42"); k != "lambdis:cache:{ns:users}:e:42" {
			t.Errorf("entry key %q", k)
		}
		if err := users.InvalidateNamespace(ctx); err != nil { // loads the script on the slot's node
			t.Fatal(err)
		}
		rt := &roundTrips{}
		rdb.AddHook(rt)
		fill := func(ns *Namespace, id, v string) {
			t.Helper()
			if _, err := ns.GetOrLoad(ctx, id, time.Hour, (&counter{value: v}).load); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 5 {
			fill(users, strconv.Itoa(i), "u"+strconv.Itoa(i))
		}
		fill(other, "1", "o1")
		before := rt.n.Load()
		if v, err := users.GetOrLoad(ctx, "3", time.Hour, (&counter{}).load); err != nil || string(v) != "u3" {
			t.Fatalf("hit: %q %v", v, err)
		}
		if n := rt.n.Load() - before; n != 1 {
			t.Errorf("a namespace hit took %d round trips, want 1", n)
		}
		before = rt.n.Load()
		if err := users.InvalidateNamespace(ctx); err != nil {
			t.Fatal(err)
		}
		if n := rt.n.Load() - before; n != 1 {
			t.Errorf("InvalidateNamespace took %d round trips, want 1", n)
		}
		for i := range 5 {
			if _, err := users.Get(ctx, strconv.Itoa(i)); !errors.Is(err, ErrMiss) {
				t.Errorf("users/%d survived the bump: %v", i, err)
			}
		}
		if v, err := other.Get(ctx, "1"); err != nil || string(v) != "o1" {
			t.Errorf("another namespace was touched: %q %v", v, err)
		}
		l := &counter{value: "new"}
		if v, err := users.GetOrLoad(ctx, "1", time.Hour, l.load); err != nil || string(v) != "new" || l.calls.Load() != 1 {
			t.Errorf("reload: %q %v", v, err)
		}
		// One entry only.
		fill(users, "2", "u2")
		if err := users.Invalidate(ctx, "1"); err != nil {
			t.Fatal(err)
		}
		if _, err := users.Get(ctx, "1"); !errors.Is(err, ErrMiss) {
			t.Errorf("users/1 survived: %v", err)
		}
		if v, err := users.Get(ctx, "2"); err != nil || string(v) != "u2" {
			t.Errorf("users/2: %q %v", v, err)
		}
		// The counter is lost (deleted by the second delete, or evicted):
		// entries do not come back, and a bump of a missing counter starts
		// from the clock, never from 1.
		if err := rdb.Del(ctx, users.GenerationKey()).Err(); err != nil {
			t.Fatal(err)
		}
		if err := users.InvalidateNamespace(ctx); err != nil {
			t.Fatal(err)
		}
		if g, _ := rdb.Get(ctx, users.GenerationKey()).Int64(); g < 1e15 {
			t.Errorf("a missing counter restarted at %d", g)
		}
		if _, err := users.Get(ctx, "2"); !errors.Is(err, ErrMiss) {
			t.Errorf("users/2 came back after the counter was lost: %v", err)
		}
	})
}

type fakeEnqueuer struct {
	mu   sync.Mutex
	jobs []queue.Job
	err  error
}

func (f *fakeEnqueuer) Enqueue(ctx context.Context, j queue.Job) (queue.Enqueued, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return queue.Enqueued{}, f.err
	}
	if err := j.Validate(); err != nil {
		return queue.Enqueued{}, err
	}
	f.jobs = append(f.jobs, j)
	return queue.Enqueued{ID: fmt.Sprintf("%s:%032d", j.Queue, len(f.jobs))}, nil
}

// Invalidate enqueues the delayed second delete as cache.invalidate jobs of
// at most 100 full keys; a failed enqueue is an error, but the first delete
// has happened.
func TestInvalidateEnqueuesTheSecondDelete(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		q := &fakeEnqueuer{}
		c := newCache(t, rdb, Options{Enqueuer: q, SecondDelete: 2 * time.Second, Queue: "inval"})
		var names, want []string
		for i := range 150 {
			name := fmt.Sprintf("user:%d", i)
			if _, err := c.GetOrLoad(ctx, name, time.Hour, (&counter{value: "v"}).load); err != nil {
				t.Fatal(err)
			}
			k, _ := c.Key(name)
			names, want = append(names, name), append(want, k)
		}
		if err := c.Invalidate(ctx, names...); err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			if _, err := c.Get(ctx, name); !errors.Is(err, ErrMiss) {
				t.Fatalf("%s survived: %v", name, err)
			}
		}
		if len(q.jobs) != 2 {
			t.Fatalf("%d jobs, want 2", len(q.jobs))
		}
		var got []string
		for _, j := range q.jobs {
			if j.Queue != "inval" || j.Type != JobType || j.Delay != 2*time.Second {
				t.Errorf("job %+v", j)
			}
			var p JobPayload
			if err := json.Unmarshal(j.Payload, &p); err != nil || len(p.Keys) > MaxJobKeys {
				t.Fatalf("payload %s: %v", j.Payload, err)
			}
			got = append(got, p.Keys...)
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("job keys %v, want %v", got, want)
		}
		ns, _ := c.Namespace("t")
		if err := ns.InvalidateNamespace(ctx); err != nil {
			t.Fatal(err)
		}
		if last := q.jobs[len(q.jobs)-1]; !strings.Contains(string(last.Payload), `"`+ns.GenerationKey()+`"`) {
			t.Errorf("namespace second delete %s", last.Payload)
		}

		q.err = errors.New("queue down")
		if _, err := c.GetOrLoad(ctx, "x", time.Hour, (&counter{value: "v"}).load); err != nil {
			t.Fatal(err)
		}
		if err := c.Invalidate(ctx, "x"); err == nil || !strings.Contains(err.Error(), "queue down") {
			t.Errorf("failed enqueue: %v", err)
		}
		if _, err := c.Get(ctx, "x"); !errors.Is(err, ErrMiss) {
			t.Errorf("the first delete did not happen: %v", err)
		}
	})
}

// InvalidateKeys (the job's half) deletes keys of any type, across slots,
// and absent keys are fine.
func TestInvalidateKeys(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		c := newCache(t, rdb, Options{})
		var ks []string
		for i := range 10 {
			name := fmt.Sprintf("u:%d", i)
			if _, err := c.GetOrLoad(ctx, name, time.Hour, (&counter{value: "v"}).load); err != nil {
				t.Fatal(err)
			}
			k, _ := c.Key(name)
			ks = append(ks, k)
		}
		plain := "lambdis:cache:{x}:plain"
		if err := rdb.Set(ctx, plain, "s", 0).Err(); err != nil {
			t.Fatal(err)
		}
		ks = append(ks, plain, "lambdis:cache:{never}")
		for range 2 {
			if err := InvalidateKeys(ctx, rdb, ks...); err != nil {
				t.Fatal(err)
			}
		}
		for _, k := range ks {
			if rdb.Exists(ctx, k).Val() != 0 {
				t.Errorf("%s survived", k)
			}
		}
	})
}

// TTLs lose up to Jitter of their length at random; Jitter < 0 keeps them.
func TestJitter(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	ctx := context.Background()
	ttl := time.Hour
	for _, tc := range []struct {
		jitter   float64
		min, max time.Duration
	}{{0, ttl * 9 / 10, ttl}, {0.5, ttl / 2, ttl}, {-1, ttl, ttl}} {
		c := newCache(t, rdb, Options{Jitter: tc.jitter})
		seen := map[time.Duration]bool{}
		for i := range 50 {
			name := fmt.Sprintf("j%v:%d", tc.jitter, i)
			if _, err := c.GetOrLoad(ctx, name, ttl, (&counter{value: "v"}).load); err != nil {
				t.Fatal(err)
			}
			k, _ := c.Key(name)
			got := rdb.PTTL(ctx, k).Val()
			if got < tc.min || got > tc.max {
				t.Errorf("jitter %v: ttl %v outside [%v, %v]", tc.jitter, got, tc.min, tc.max)
			}
			seen[got] = true
		}
		if tc.jitter >= 0 && len(seen) < 2 {
			t.Errorf("jitter %v: every ttl is %v", tc.jitter, seen)
		}
	}
}

func TestGetOrLoadJSON(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	ctx := context.Background()
	c := newCache(t, rdb, Options{})
	type user struct {
		Name string `json:"name"`
		Age  int    `json:"age"`
	}
	var calls int
	load := func(ctx context.Context) (user, error) {
		calls++
		return user{"alice", 30}, nil
	}
	ns, _ := c.Namespace("users")
	for _, l := range []Loader{c, ns} {
		calls = 0
		for range 2 {
			u, err := GetOrLoadJSON(ctx, l, "42", time.Minute, load)
			if err != nil || u != (user{"alice", 30}) {
				t.Fatalf("%T: %+v %v", l, u, err)
			}
		}
		if calls != 1 {
			t.Errorf("%T: %d loads", l, calls)
		}
	}
	if _, err := GetOrLoadJSON(ctx, c, "missing", time.Minute, func(ctx context.Context) (user, error) {
		return user{}, ErrNotFound
	}); !errors.Is(err, ErrNotFound) {
		t.Errorf("not found: %v", err)
	}
	k, _ := c.Key("bad")
	rdb.HSet(ctx, k, "k", "v", "v", "{not json", "g", "")
	if _, err := GetOrLoadJSON(ctx, c, "bad", time.Minute, load); err == nil || !strings.Contains(err.Error(), "decode") {
		t.Errorf("undecodable entry: %v", err)
	}
}

func TestValidation(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	ctx := context.Background()
	for name, opt := range map[string]Options{
		"jitter 1":           {Jitter: 1},
		"negative ttl < 0":   {NegativeTTL: -time.Second},
		"negative ttl 1µs":   {NegativeTTL: time.Microsecond},
		"stale grace < 0":    {StaleGrace: -1},
		"bad queue":          {Queue: "a{b}"},
		"second delete > 1y": {SecondDelete: queue.MaxDelay + time.Hour},
	} {
		if _, err := New(rdb, keys.Builder{}, opt); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := New(nil, keys.Builder{}, Options{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil client: %v", err)
	}
	c := newCache(t, rdb, Options{})
	l := (&counter{value: "v"}).load
	for name, err := range map[string]error{
		"empty key":    first(c.GetOrLoad(ctx, "", time.Minute, l)),
		"space":        first(c.GetOrLoad(ctx, "a b", time.Minute, l)),
		"braces":       first(c.GetOrLoad(ctx, "a{b}", time.Minute, l)),
		"too long":     first(c.GetOrLoad(ctx, strings.Repeat("a", keys.MaxTagLen+1), time.Minute, l)),
		"ttl 0":        first(c.GetOrLoad(ctx, "a", 0, l)),
		"ttl < 0":      first(c.GetOrLoad(ctx, "a", -time.Second, l)),
		"ttl 1µs":      first(c.GetOrLoad(ctx, "a", time.Microsecond, l)),
		"nil load":     first(c.GetOrLoad(ctx, "a", time.Minute, nil)),
		"Get empty":    first(c.Get(ctx, "")),
		"no keys":      c.Invalidate(ctx),
		"bad key":      c.Invalidate(ctx, "ok", "a b"),
		"namespace":    second(c.Namespace("")),
		"namespace {}": second(c.Namespace("a}")),
	} {
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	ns, _ := c.Namespace("n")
	for name, err := range map[string]error{
		"empty id": first(ns.GetOrLoad(ctx, "", time.Minute, l)),
		"bad id":   first(ns.Get(ctx, "a\nb")),
		"no ids":   ns.Invalidate(ctx),
	} {
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("namespace %s: %v", name, err)
		}
	}
	if got := rdb.DBSize(ctx).Val(); got != 0 {
		t.Errorf("bad input wrote %d keys", got)
	}
}

func first[T any](_ T, err error) error { return err }

func second[T any](_ T, err error) error { return err }

// A Redis outage is an error on the read path, not a database read.
func TestRedisDown(t *testing.T) {
	srv := redistest.StartServer(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	c := newCache(t, rdb, Options{})
	srv.Stop()
	l := &counter{value: "v"}
	if _, err := c.GetOrLoad(context.Background(), "k", time.Minute, l.load); err == nil || l.calls.Load() != 0 {
		t.Errorf("Redis down: %v after %d loads", err, l.calls.Load())
	}
	if err := c.Invalidate(context.Background(), "k"); err == nil {
		t.Error("Invalidate with Redis down succeeded")
	}
}

// Every script, on the 3-master cluster: each call's keys are in one slot.
func TestEveryScriptOnCluster(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		c := newCache(t, rdb, Options{})
		ns, _ := c.Namespace("cl")
		nsKey, _ := ns.Key("1")
		k, _ := c.Key("cl:1")
		for _, ks := range [][]string{{k}, {nsKey, ns.GenerationKey()}} {
			r, err := getScript.Run(ctx, rdb, ks, "l", "tok", 1000, "0").Slice()
			if err != nil || r[0] != int64(replyLease) {
				t.Fatalf("get %v: %v %v", ks, r, err)
			}
			if n, err := fillScript.Run(ctx, rdb, ks, "tok", "v", "x", 60000).Int(); err != nil || n != 1 {
				t.Fatalf("fill %v: %v %v", ks, n, err)
			}
			r, err = getScript.Run(ctx, rdb, ks, "p", "", 1000, "0").Slice()
			if err != nil || r[0] != int64(replyHit) || r[2] != "x" {
				t.Fatalf("peek %v: %v %v", ks, r, err)
			}
			if n, err := invalidateScript.Run(ctx, rdb, ks[:1], 0).Int(); err != nil || n != 1 {
				t.Fatalf("invalidate %v: %v %v", ks, n, err)
			}
			if _, err := getScript.Run(ctx, rdb, ks, "l", "tok2", 1000, "0").Slice(); err != nil {
				t.Fatal(err)
			}
			if n, err := releaseScript.Run(ctx, rdb, ks[:1], "tok2").Int(); err != nil || n != 1 {
				t.Fatalf("release %v: %v %v", ks, n, err)
			}
		}
		if _, err := bumpScript.Run(ctx, rdb, []string{ns.GenerationKey()}).Int64(); err != nil {
			t.Fatalf("bump: %v", err)
		}
	}, redistest.BackendCluster)
}
