package lock

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

func TestObtainRefreshRelease(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		c := newClient(rdb)
		l := obtain(t, c, "order:42", time.Minute, nil)
		if l.Key() != "lambdis:lock:{order:42}" || l.Name() != "order:42" {
			t.Fatalf("key %q name %q", l.Key(), l.Name())
		}
		if l.Fence() <= 0 || l.Token() == "" {
			t.Fatalf("fence %d token %q", l.Fence(), l.Token())
		}
		if got := heldBy(t, rdb, l.Key()); got != l.Token() {
			t.Fatalf("lock key holds %q, want the token %q", got, l.Token())
		}
		fenceKey := l.Key() + ":fence"
		if got := heldBy(t, rdb, fenceKey); got != strconv.FormatInt(l.Fence(), 10) {
			t.Fatalf("fence key holds %q, want %d", got, l.Fence())
		}
		if ttl := rdb.PTTL(ctx, fenceKey).Val(); ttl <= 0 || ttl > FenceTTL {
			t.Fatalf("fence key TTL %v, want in (0, %v]", ttl, FenceTTL)
		}

		// Taken: a second Obtain fails and changes nothing.
		if _, err := c.Obtain(ctx, "order:42", time.Minute, nil); !errors.Is(err, ErrNotObtained) {
			t.Fatalf("second obtain: %v, want ErrNotObtained", err)
		}
		if got := heldBy(t, rdb, l.Key()); got != l.Token() {
			t.Fatalf("failed obtain changed the owner to %q", got)
		}

		if ttl, err := l.TTL(ctx); err != nil || ttl <= 0 || ttl > time.Minute {
			t.Fatalf("TTL = %v, %v; want in (0, 1m]", ttl, err)
		}
		// Refresh to an hour: the TTL can only exceed the minute it had
		// if the refresh took.
		if err := l.Refresh(ctx, time.Hour); err != nil {
			t.Fatalf("refresh: %v", err)
		}
		if ttl, err := l.TTL(ctx); err != nil || ttl <= time.Minute || ttl > time.Hour {
			t.Fatalf("TTL after refresh = %v, %v; want in (1m, 1h]", ttl, err)
		}

		if err := l.Release(ctx); err != nil {
			t.Fatalf("release: %v", err)
		}
		if got := heldBy(t, rdb, l.Key()); got != "" {
			t.Fatalf("released lock key still holds %q", got)
		}
		if err := l.Release(ctx); !errors.Is(err, ErrNotHeld) {
			t.Fatalf("second release: %v, want ErrNotHeld", err)
		}
		if err := l.Refresh(ctx, time.Minute); !errors.Is(err, ErrNotHeld) {
			t.Fatalf("refresh after release: %v, want ErrNotHeld", err)
		}
		if _, err := l.TTL(ctx); !errors.Is(err, ErrNotHeld) {
			t.Fatalf("TTL after release: %v, want ErrNotHeld", err)
		}
		if got := heldBy(t, rdb, l.Key()); got != "" {
			t.Fatalf("refresh of a released lock recreated it: %q", got)
		}

		l2 := obtain(t, c, "order:42", time.Minute, nil)
		if l2.Fence() <= l.Fence() || l2.Token() == l.Token() {
			t.Fatalf("second holder: fence %d after %d, token %q after %q", l2.Fence(), l.Fence(), l2.Token(), l.Token())
		}

		if cl, ok := rdb.(*redis.ClusterClient); ok {
			a, b := cl.ClusterKeySlot(ctx, l.Key()).Val(), cl.ClusterKeySlot(ctx, fenceKey).Val()
			if a != b {
				t.Fatalf("lock key in slot %d, fence key in slot %d", a, b)
			}
		}
	})
}

func TestReleaseByNonOwnerHasNoEffect(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		c := newClient(rdb)
		owner := obtain(t, c, "job:7", time.Minute, nil)
		intruder := &Lock{c: c, name: owner.name, key: owner.key, token: "not-the-owner", fence: owner.fence + 1}
		if err := intruder.Release(ctx); !errors.Is(err, ErrNotHeld) {
			t.Fatalf("release by a non-owner: %v, want ErrNotHeld", err)
		}
		if err := intruder.Refresh(ctx, time.Hour); !errors.Is(err, ErrNotHeld) {
			t.Fatalf("refresh by a non-owner: %v, want ErrNotHeld", err)
		}
		if _, err := intruder.TTL(ctx); !errors.Is(err, ErrNotHeld) {
			t.Fatalf("TTL by a non-owner: %v, want ErrNotHeld", err)
		}
		if got := heldBy(t, rdb, owner.Key()); got != owner.Token() {
			t.Fatalf("after the non-owner's release the key holds %q, want the owner's %q", got, owner.Token())
		}
		if ttl, err := owner.TTL(ctx); err != nil || ttl > time.Minute {
			t.Fatalf("owner's TTL %v, %v: the non-owner's refresh took effect", ttl, err)
		}

		// A former owner is a non-owner too: its lock is gone (deleted
		// here, as by expiry) and a new owner holds the name.
		if err := rdb.Del(ctx, owner.Key()).Err(); err != nil {
			t.Fatal(err)
		}
		next := obtain(t, c, "job:7", time.Minute, nil)
		if err := owner.Release(ctx); !errors.Is(err, ErrNotHeld) {
			t.Fatalf("release by the former owner: %v, want ErrNotHeld", err)
		}
		if err := owner.Refresh(ctx, time.Hour); !errors.Is(err, ErrNotHeld) {
			t.Fatalf("refresh by the former owner: %v, want ErrNotHeld", err)
		}
		if got := heldBy(t, rdb, next.Key()); got != next.Token() {
			t.Fatalf("after the former owner's release the key holds %q, want the new owner's %q", got, next.Token())
		}
		if err := next.Release(ctx); err != nil {
			t.Fatalf("new owner's release: %v", err)
		}
	})
}

func TestFenceIncreases(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		c := newClient(rdb)
		var last int64
		for i := range 50 {
			l := obtain(t, c, "fence", time.Minute, nil)
			if l.Fence() <= last {
				t.Fatalf("obtain %d: fence %d after %d", i, l.Fence(), last)
			}
			last = l.Fence()
			if i%2 == 0 {
				if err := l.Release(ctx); err != nil {
					t.Fatal(err)
				}
			} else if err := rdb.Del(ctx, l.Key()).Err(); err != nil { // as by expiry
				t.Fatal(err)
			}
		}
		// The fence key itself lost (expired after FenceTTL, evicted, or
		// lost in a failover): the clock floor keeps tokens increasing.
		if err := rdb.Del(ctx, "lambdis:lock:{fence}:fence").Err(); err != nil {
			t.Fatal(err)
		}
		if l := obtain(t, c, "fence", time.Minute, nil); l.Fence() <= last {
			t.Fatalf("after the fence key was lost: fence %d after %d", l.Fence(), last)
		}
		// Fences of different names are independent keys.
		if l := obtain(t, c, "other", time.Minute, nil); l.Fence() <= 0 {
			t.Fatalf("other name: fence %d", l.Fence())
		}
	})
}

// TestFenceNeverGoesBackFromARunawayCounter: a fence key ahead of the clock
// (e.g. written while Redis's clock ran fast) is still honoured: tokens
// continue above it.
func TestFenceNeverGoesBackFromARunawayCounter(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		c := newClient(rdb)
		const ahead = int64(1) << 52
		if err := rdb.Set(ctx, "lambdis:lock:{far}:fence", ahead, 0).Err(); err != nil {
			t.Fatal(err)
		}
		l := obtain(t, c, "far", time.Minute, nil)
		if l.Fence() != ahead+1 {
			t.Fatalf("fence %d, want %d", l.Fence(), ahead+1)
		}
	})
}

func TestMutualExclusionUnderContention(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		const workers, rounds = 20, 5
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cs := &countingScripter{Scripter: rdb}
		c := newClient(cs)
		opts := &Options{Retry: ExponentialBackoff(time.Millisecond, 20*time.Millisecond)}
		var (
			inside     atomic.Int32
			violations atomic.Int32
			mu         sync.Mutex
			fences     []int64 // appended inside the critical section: acquisition order
			wg         sync.WaitGroup
			errs       = make(chan error, workers)
		)
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range rounds {
					// The TTL is long enough never to expire inside the
					// critical section, so exclusion must be perfect.
					l, err := c.Obtain(ctx, "counter", 30*time.Second, opts)
					if err != nil {
						errs <- err
						return
					}
					if inside.Add(1) != 1 {
						violations.Add(1)
					}
					mu.Lock()
					fences = append(fences, l.Fence())
					mu.Unlock()
					time.Sleep(100 * time.Microsecond)
					inside.Add(-1)
					if err := l.Release(ctx); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("worker: %v", err)
		}
		if v := violations.Load(); v != 0 {
			t.Fatalf("%d times two holders were inside the critical section", v)
		}
		if len(fences) != workers*rounds {
			t.Fatalf("%d acquisitions, want %d", len(fences), workers*rounds)
		}
		// Script calls = obtain attempts + one release per acquisition:
		// more than two per acquisition means callers found the lock taken.
		if calls := cs.calls.Load(); calls <= 2*workers*rounds {
			t.Fatalf("%d script calls for %d acquisitions: no contention, the test proves nothing", calls, workers*rounds)
		}
		for i := 1; i < len(fences); i++ {
			if fences[i] <= fences[i-1] {
				t.Fatalf("acquisition %d got fence %d after %d", i, fences[i], fences[i-1])
			}
		}
	})
}

func TestObtainRetriesUntilReleased(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		holder := obtain(t, newClient(rdb), "busy", time.Minute, nil)
		cs := &countingScripter{Scripter: rdb}
		waiter := newClient(cs)
		type result struct {
			l   *Lock
			err error
		}
		done := make(chan result, 1)
		go func() {
			l, err := waiter.Obtain(ctx, "busy", time.Minute, &Options{Retry: LinearBackoff(2 * time.Millisecond)})
			done <- result{l, err}
		}()
		// Release only once the waiter has retried at least twice.
		for cs.calls.Load() < 3 {
			select {
			case r := <-done:
				t.Fatalf("waiter returned while the lock was held: %v, %v", r.l, r.err)
			case <-ctx.Done():
				t.Fatal("waiter made no attempts")
			case <-time.After(time.Millisecond):
			}
		}
		if err := holder.Release(ctx); err != nil {
			t.Fatal(err)
		}
		r := <-done
		if r.err != nil {
			t.Fatalf("waiter: %v", r.err)
		}
		if r.l.Fence() <= holder.Fence() {
			t.Fatalf("waiter's fence %d after the holder's %d", r.l.Fence(), holder.Fence())
		}
	})
}

func TestRetryAttempts(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		obtain(t, newClient(rdb), "held", time.Minute, nil)
		for _, tc := range []struct {
			name  string
			retry RetryStrategy
			want  int64
		}{
			{"default", nil, 1},
			{"NoRetry", NoRetry(), 1},
			{"LimitRetry(Linear,3)", LimitRetry(LinearBackoff(time.Millisecond), 3), 4},
			{"LimitRetry(Exponential,5)", LimitRetry(ExponentialBackoff(time.Millisecond, 4*time.Millisecond), 5), 6},
		} {
			cs := &countingScripter{Scripter: rdb}
			_, err := newClient(cs).Obtain(context.Background(), "held", time.Minute, &Options{Retry: tc.retry})
			if !errors.Is(err, ErrNotObtained) {
				t.Fatalf("%s: %v, want ErrNotObtained", tc.name, err)
			}
			if n := cs.calls.Load(); n != tc.want {
				t.Fatalf("%s: %d attempts, want %d", tc.name, n, tc.want)
			}
		}
	})
}

func TestWaitingIsBoundedByTheContext(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		c := newClient(rdb)
		obtain(t, c, "stuck", time.Hour, nil)
		forever := &Options{Retry: LinearBackoff(2 * time.Millisecond)}

		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if _, err := c.Obtain(ctx, "stuck", time.Minute, forever); !errors.Is(err, ErrNotObtained) {
			t.Fatalf("with a deadline: %v, want ErrNotObtained", err)
		}

		ctx, cancel = context.WithCancel(context.Background())
		go func() { time.Sleep(20 * time.Millisecond); cancel() }()
		if _, err := c.Obtain(ctx, "stuck", time.Minute, forever); !errors.Is(err, ErrNotObtained) || !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled: %v, want ErrNotObtained and context.Canceled", err)
		}

		// No deadline: waiting ends after the requested TTL.
		if _, err := c.Obtain(context.Background(), "stuck", 30*time.Millisecond, forever); !errors.Is(err, ErrNotObtained) {
			t.Fatalf("without a deadline: %v, want ErrNotObtained", err)
		}
	})
}

func TestTTLCappedByTheDeadline(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		c := newClient(rdb)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		limit := 20*time.Second + DeadlineMargin

		l, err := c.Obtain(ctx, "capped", time.Hour, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ttl, err := l.TTL(ctx); err != nil || ttl > limit {
			t.Fatalf("TTL %v, %v; want at most %v (deadline + margin)", ttl, err, limit)
		}
		if err := l.Refresh(ctx, time.Hour); err != nil {
			t.Fatal(err)
		}
		if ttl, err := l.TTL(ctx); err != nil || ttl > limit {
			t.Fatalf("TTL after refresh %v, %v; want at most %v", ttl, err, limit)
		}
		// A TTL shorter than the time left is kept as asked.
		short, err := c.Obtain(ctx, "short", 500*time.Millisecond, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ttl, err := short.TTL(ctx); err != nil || ttl > 500*time.Millisecond {
			t.Fatalf("short TTL %v, %v", ttl, err)
		}

		free, err := c.Obtain(ctx, "uncapped", time.Hour, &Options{IgnoreDeadline: true})
		if err != nil {
			t.Fatal(err)
		}
		if ttl, err := free.TTL(ctx); err != nil || ttl <= limit {
			t.Fatalf("IgnoreDeadline: TTL %v, %v; want the hour asked for", ttl, err)
		}
		if err := free.Refresh(ctx, time.Hour); err != nil {
			t.Fatal(err)
		}
		if ttl, err := free.TTL(ctx); err != nil || ttl <= limit {
			t.Fatalf("IgnoreDeadline: TTL after refresh %v, %v; want the hour asked for", ttl, err)
		}

		done, cancelDone := context.WithCancel(context.Background())
		cancelDone()
		if _, err := c.Obtain(done, "late", time.Minute, nil); !errors.Is(err, context.Canceled) {
			t.Fatalf("obtain on a cancelled context: %v, want context.Canceled", err)
		}
		if got := heldBy(t, rdb, "lambdis:lock:{late}"); got != "" {
			t.Fatalf("obtain on a cancelled context took the lock")
		}
	})
}

func TestReleaseDetachedAfterCancel(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		c := newClient(rdb)
		ctx, cancel := context.WithCancel(context.Background())
		l, err := c.Obtain(ctx, "req", time.Minute, nil)
		if err != nil {
			t.Fatal(err)
		}
		cancel() // the request ends before the deferred release runs
		if err := l.Release(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("release on the cancelled context: %v, want context.Canceled", err)
		}
		if err := l.ReleaseDetached(ctx); err != nil {
			t.Fatalf("detached release: %v", err)
		}
		if got := heldBy(t, rdb, l.Key()); got != "" {
			t.Fatalf("lock still held by %q", got)
		}
	})
}

func TestInvalidArguments(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	c := newClient(rdb)
	ctx := context.Background()
	for _, name := range []string{"", "a{b}", "a b", "tab\there", strings.Repeat("a", keys.MaxTagLen+1)} {
		_, err := c.Obtain(ctx, name, time.Minute, nil)
		if !errors.Is(err, ErrInvalid) || !errors.Is(err, keys.ErrInvalid) {
			t.Errorf("name %q: %v, want ErrInvalid and keys.ErrInvalid", name, err)
		}
	}
	for _, ttl := range []time.Duration{0, -time.Second, 999 * time.Microsecond} {
		if _, err := c.Obtain(ctx, "ok", ttl, nil); !errors.Is(err, ErrInvalid) {
			t.Errorf("ttl %v: %v, want ErrInvalid", ttl, err)
		}
	}
	l := obtain(t, c, "ok", time.Minute, nil)
	if err := l.Refresh(ctx, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("refresh ttl 0: %v, want ErrInvalid", err)
	}
	if n := rdb.DBSize(ctx).Val(); n != 2 {
		t.Errorf("%d keys, want only the valid lock and its fence", n)
	}
}
