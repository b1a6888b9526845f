package idempotency

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

func newStore(t *testing.T, rdb redis.UniversalClient, opts Options) *Store {
	t.Helper()
	s, err := NewStore(rdb, keys.Builder{}, "orders", opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// waitGone waits until Redis has expired key (a hang guard, not a timing
// assertion: it only bounds how long the test may wait).
func waitGone(t *testing.T, rdb redis.UniversalClient, key string) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		n, err := rdb.Exists(context.Background(), key).Result()
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
	t.Fatalf("%s did not expire", key)
}

// Issue: 100 concurrent identical requests run once; the other 99 replay or
// get 409; a different payload gets 422.
func TestConcurrentIdenticalRequests(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		s := newStore(t, rdb, Options{})
		const n = 100
		payload := []byte(`{"order":42,"items":[1,2]}`)
		var ran, conflicts, replays atomic.Int64
		returned := make(chan struct{}, n)
		fn := func(ctx context.Context) (Response, error) {
			ran.Add(1)
			// Hold the claim until every other request has answered, so
			// that each of them meets the record in progress.
			for range n - 1 {
				<-returned
			}
			return Response{Status: 201, Body: []byte(`{"id":"o-42"}`)}, nil
		}
		wave := func() []Result {
			results := make([]Result, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r, err := s.Do(ctx, "order-42", payload, fn)
					switch {
					case errors.Is(err, ErrInProgress):
						conflicts.Add(1)
						returned <- struct{}{}
					case err != nil:
						t.Errorf("request %d: %v", i, err)
						returned <- struct{}{}
					case r.Replayed:
						replays.Add(1)
						returned <- struct{}{}
					}
					results[i] = r
				}()
			}
			wg.Wait()
			return results
		}
		wave()
		if ran.Load() != 1 || conflicts.Load() != n-1 || replays.Load() != 0 {
			t.Fatalf("first wave: %d executions, %d conflicts, %d replays", ran.Load(), conflicts.Load(), replays.Load())
		}
		// Now that the record is complete, 100 more concurrent repeats all
		// replay the stored response; nothing runs again.
		for i, r := range wave() {
			if !r.Replayed || r.Status != 201 || string(r.Body) != `{"id":"o-42"}` {
				t.Fatalf("second wave %d: %+v", i, r)
			}
		}
		if ran.Load() != 1 || replays.Load() != n {
			t.Fatalf("second wave: %d executions, %d replays", ran.Load(), replays.Load())
		}
		_, err := s.Do(ctx, "order-42", []byte(`{"order":43}`), fn)
		if !errors.Is(err, ErrPayloadMismatch) {
			t.Fatalf("other payload: %v, want ErrPayloadMismatch (422)", err)
		}
		if ran.Load() != 1 {
			t.Fatalf("%d executions after the mismatch", ran.Load())
		}
	})
}

// 100 concurrent identical requests racing freely (fn does not wait): one
// execution, every other request replays or meets it in progress.
func TestConcurrentIdenticalRequestsRacing(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		s := newStore(t, rdb, Options{})
		var ran, conflicts, replays atomic.Int64
		var wg sync.WaitGroup
		for range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := s.Do(context.Background(), "race", []byte("p"), func(ctx context.Context) (Response, error) {
					ran.Add(1)
					return Response{Status: 200, Body: []byte("done")}, nil
				})
				switch {
				case errors.Is(err, ErrInProgress):
					conflicts.Add(1)
				case err != nil:
					t.Error(err)
				case r.Replayed && string(r.Body) == "done":
					replays.Add(1)
				case r.Replayed:
					t.Errorf("replayed %q", r.Body)
				}
			}()
		}
		wg.Wait()
		if ran.Load() != 1 || conflicts.Load()+replays.Load() != 99 {
			t.Fatalf("%d executions, %d conflicts, %d replays", ran.Load(), conflicts.Load(), replays.Load())
		}
	})
}

// A repeat with another payload is refused (422) whether the first request
// is still running or completed.
func TestPayloadMismatch(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		s := newStore(t, rdb, Options{})
		c, err := s.Claim(ctx, "k", HashPayload([]byte("a")))
		if err != nil || c.Replayed {
			t.Fatalf("claim: %+v %v", c, err)
		}
		if _, err := s.Claim(ctx, "k", HashPayload([]byte("b"))); !errors.Is(err, ErrPayloadMismatch) {
			t.Fatalf("in progress, other payload: %v", err)
		}
		if _, err := s.Claim(ctx, "k", HashPayload([]byte("a"))); !errors.Is(err, ErrInProgress) {
			t.Fatalf("in progress, same payload: %v", err)
		}
		if err := c.Complete(ctx, Response{Status: 200, Body: []byte("ok")}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Claim(ctx, "k", HashPayload([]byte("b"))); !errors.Is(err, ErrPayloadMismatch) {
			t.Fatalf("completed, other payload: %v", err)
		}
		if r, err := s.Claim(ctx, "k", HashPayload([]byte("a"))); err != nil || !r.Replayed || string(r.Response.Body) != "ok" {
			t.Fatalf("completed, same payload: %+v %v", r, err)
		}
	})
}

// A failure releases the claim: the next request runs; a panic too.
func TestFailureReleasesClaim(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		s := newStore(t, rdb, Options{})
		boom := errors.New("payment gateway down")
		var ran int
		fail := func(ctx context.Context) (Response, error) { ran++; return Response{}, boom }
		if _, err := s.Do(ctx, "pay-1", []byte("p"), fail); !errors.Is(err, boom) {
			t.Fatalf("failing request: %v", err)
		}
		func() {
			defer func() {
				if p := recover(); p != "crash" {
					t.Fatalf("recovered %v", p)
				}
			}()
			_, _ = s.Do(ctx, "pay-1", []byte("p"), func(ctx context.Context) (Response, error) { ran++; panic("crash") })
		}()
		r, err := s.Do(ctx, "pay-1", []byte("p"), func(ctx context.Context) (Response, error) {
			ran++
			return Response{Status: 200, Body: []byte("paid")}, nil
		})
		if err != nil || r.Replayed || string(r.Body) != "paid" || ran != 3 {
			t.Fatalf("after two failures: %+v %v, %d runs", r, err, ran)
		}
		// A stored failure (returned as a Response) is replayed, not rerun.
		r, err = s.Do(ctx, "pay-2", []byte("p"), func(ctx context.Context) (Response, error) {
			return Response{Status: 402, Body: []byte("declined")}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		r, err = s.Do(ctx, "pay-2", []byte("p"), fail)
		if err != nil || !r.Replayed || r.Status != 402 || string(r.Body) != "declined" {
			t.Fatalf("stored failure: %+v %v", r, err)
		}
		// Release through the Claim API, and a second use of a claim.
		c, err := s.Claim(ctx, "pay-3", "h")
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Release(ctx); err != nil {
			t.Fatal(err)
		}
		if err := c.Release(ctx); !errors.Is(err, ErrClaimUsed) {
			t.Fatalf("second release: %v", err)
		}
		if err := c.Complete(ctx, Response{}); !errors.Is(err, ErrClaimUsed) {
			t.Fatalf("complete after release: %v", err)
		}
		if c2, err := s.Claim(ctx, "pay-3", "h"); err != nil || c2.Replayed {
			t.Fatalf("claim after release: %+v %v", c2, err)
		}
	})
}

// shortLease returns a context whose deadline gives a claim a lease of
// about d (the store's floor is lowered to 1ms).
func shortLease(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

// An in-progress record whose owner died (its lease, the Lambda's remaining
// time, ran out) is claimable again; until then, repeats get 409.
func TestExpiredInProgressIsReclaimable(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		s := newStore(t, rdb, Options{MinInProgress: time.Millisecond})
		ctx, cancel := shortLease(300 * time.Millisecond)
		defer cancel()
		dead, err := s.Claim(ctx, "job-7", "h")
		if err != nil {
			t.Fatal(err)
		}
		// The Lambda dies here: no Complete, no Release.
		key, _ := s.Key("job-7")
		if ttl, err := rdb.PTTL(context.Background(), key).Result(); err != nil || ttl <= 0 || ttl > 300*time.Millisecond {
			t.Fatalf("in-progress TTL %v %v: want the context's remaining time", ttl, err)
		}
		waitGone(t, rdb, key)
		c, err := s.Claim(context.Background(), "job-7", "h")
		if err != nil || c.Replayed || c.Owner() == dead.Owner() {
			t.Fatalf("reclaim: %+v %v", c, err)
		}
	}, redistest.BackendServer, redistest.BackendCluster)
}

// A late finisher cannot overwrite a newer record: A's claim expires, B
// claims, A's Complete and Release fail with ErrNotOwner and B's record is
// intact.
func TestLateFinisherCannotOverwrite(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		s := newStore(t, rdb, Options{MinInProgress: time.Millisecond})
		key, _ := s.Key("order-9")
		actx, cancel := shortLease(100 * time.Millisecond)
		defer cancel()
		a, err := s.Claim(actx, "order-9", "h")
		if err != nil {
			t.Fatal(err)
		}
		a2, err := s.Claim(actx, "order-10", "h")
		if err != nil {
			t.Fatal(err)
		}
		waitGone(t, rdb, key)
		b, err := s.Claim(ctx, "order-9", "h")
		if err != nil || b.Replayed {
			t.Fatalf("B: %+v %v", b, err)
		}
		before, _ := rdb.HGetAll(ctx, key).Result()
		if err := a.Complete(ctx, Response{Status: 200, Body: []byte("from A")}); !errors.Is(err, ErrNotOwner) {
			t.Fatalf("A complete: %v, want ErrNotOwner", err)
		}
		after, _ := rdb.HGetAll(ctx, key).Result()
		if fmt.Sprint(before) != fmt.Sprint(after) || after["owner"] != b.Owner() || after["state"] != "in_progress" {
			t.Fatalf("B's record changed: %v -> %v", before, after)
		}
		if err := b.Complete(ctx, Response{Status: 201, Body: []byte("from B")}); err != nil {
			t.Fatal(err)
		}
		if r, err := s.Claim(ctx, "order-9", "h"); err != nil || string(r.Response.Body) != "from B" || r.Response.Status != 201 {
			t.Fatalf("replay: %+v %v", r, err)
		}
		// A release after the take-over leaves the newer record alone too.
		key2, _ := s.Key("order-10")
		waitGone(t, rdb, key2)
		b2, err := s.Claim(ctx, "order-10", "h")
		if err != nil {
			t.Fatal(err)
		}
		if err := a2.Release(ctx); !errors.Is(err, ErrNotOwner) {
			t.Fatalf("A release: %v, want ErrNotOwner", err)
		}
		if owner, _ := rdb.HGet(ctx, key2, "owner").Result(); owner != b2.Owner() {
			t.Fatalf("owner after A's release: %q, want B's %q", owner, b2.Owner())
		}
	}, redistest.BackendServer, redistest.BackendCluster)
}

// miniredis expires keys only when told to: the same two cases with a
// fast-forwarded clock.
func TestExpiryOnMiniredis(t *testing.T) {
	m, rdb := redistest.Miniredis(t)
	ctx := context.Background()
	s := newStore(t, rdb, Options{MinInProgress: time.Millisecond})
	actx, cancel := shortLease(time.Minute)
	defer cancel()
	a, err := s.Claim(actx, "k", "h")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Claim(ctx, "k", "h"); !errors.Is(err, ErrInProgress) {
		t.Fatalf("before expiry: %v", err)
	}
	m.FastForward(time.Minute + time.Second)
	b, err := s.Claim(ctx, "k", "h")
	if err != nil || b.Replayed {
		t.Fatalf("after expiry: %+v %v", b, err)
	}
	if err := a.Complete(ctx, Response{Body: []byte("A")}); !errors.Is(err, ErrNotOwner) {
		t.Fatalf("late A: %v", err)
	}
	if err := b.Complete(ctx, Response{Body: []byte("B")}); err != nil {
		t.Fatal(err)
	}
	m.FastForward(DefaultRetention - time.Second)
	if r, err := s.Claim(ctx, "k", "h"); err != nil || string(r.Response.Body) != "B" {
		t.Fatalf("within retention: %+v %v", r, err)
	}
	m.FastForward(2 * time.Second)
	if r, err := s.Claim(ctx, "k", "h"); err != nil || r.Replayed {
		t.Fatalf("after retention: %+v %v", r, err)
	}
}

// Replay returns exactly the stored response: any bytes, the status code.
func TestReplayIsExact(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		s := newStore(t, rdb, Options{Retention: time.Hour})
		bodies := map[string][]byte{
			"binary": {0, 1, 2, 0xff, 0xfe, '\n', 0},
			"empty":  {},
			"large":  bytes.Repeat([]byte("0123456789abcdef"), 64<<10),
			"json":   []byte(`{"id":"o-1","total":"12.50 €"}`),
		}
		for name, body := range bodies {
			r, err := s.Do(ctx, name, []byte(name), func(ctx context.Context) (Response, error) {
				return Response{Status: 207, Body: body}, nil
			})
			if err != nil || r.Replayed {
				t.Fatalf("%s: first: %v", name, err)
			}
			r, err = s.Do(ctx, name, []byte(name), func(ctx context.Context) (Response, error) {
				t.Fatalf("%s ran twice", name)
				return Response{}, nil
			})
			if err != nil || !r.Replayed || r.Status != 207 || !bytes.Equal(r.Body, body) {
				t.Fatalf("%s: replay %d %d bytes, %v", name, r.Status, len(r.Body), err)
			}
		}
		key, _ := s.Key("json")
		rec, err := rdb.HGetAll(ctx, key).Result()
		if err != nil || rec["state"] != "completed" || rec["hash"] != HashPayload([]byte("json")) || rec["code"] != "207" ||
			rec["created_ms"] == "" || rec["done_ms"] == "" || len(rec["owner"]) != 32 {
			t.Fatalf("record %v %v", rec, err)
		}
		if ttl, err := rdb.PTTL(ctx, key).Result(); err != nil || ttl <= 0 || ttl > time.Hour {
			t.Fatalf("retention TTL %v %v", ttl, err)
		}
	})
}

// Claim, Complete and Release are one script call each.
func TestOneRoundTripPerStep(t *testing.T) {
	srv := redistest.StartServer(t)
	rdb := srv.Client(t)
	ctx := context.Background()
	s := newStore(t, rdb, Options{})
	warm, _ := s.Claim(ctx, "warm", "h") // load the scripts
	_ = warm.Complete(ctx, Response{})
	w2, _ := s.Claim(ctx, "warm2", "h")
	_ = w2.Release(ctx)
	step := func(name string, op func() error) {
		t.Helper()
		before, err := srv.Calls(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := op(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		after, _ := srv.Calls(ctx)
		d := redistest.CallsDelta(before, after)
		if d["evalsha"] != 1 || d["eval"] != 0 {
			t.Fatalf("%s: commands %v, want one EVALSHA", name, d)
		}
	}
	var c *Claim
	step("claim", func() (err error) { c, err = s.Claim(ctx, "k", "h"); return err })
	step("complete", func() error { return c.Complete(ctx, Response{Body: []byte("r")}) })
	step("replay", func() error { _, err := s.Claim(ctx, "k", "h"); return err })
	step("conflict", func() error {
		if _, err := s.Claim(ctx, "k", "other"); !errors.Is(err, ErrPayloadMismatch) {
			return fmt.Errorf("want mismatch, got %v", err)
		}
		return nil
	})
	step("claim 2", func() (err error) { c, err = s.Claim(ctx, "k2", "h"); return err })
	step("release", func() error { return c.Release(ctx) })
}

func TestLease(t *testing.T) {
	s, err := NewStore(nil, keys.Builder{}, "t", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if l := s.Lease(context.Background()); l != DefaultInProgress {
		t.Fatalf("no deadline: %v", l)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	if l := s.Lease(ctx); l != MaxInProgress {
		t.Fatalf("1h deadline: %v, want the cap %v", l, MaxInProgress)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel2()
	if l := s.Lease(ctx2); l != MinInProgress {
		t.Fatalf("1ms deadline: %v, want the floor %v", l, MinInProgress)
	}
	ctx3, cancel3 := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel3()
	if l := s.Lease(ctx3); l > 10*time.Minute || l < 9*time.Minute {
		t.Fatalf("10m deadline: %v, want the remaining time", l)
	}
}

func TestValidation(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	ctx := context.Background()
	s := newStore(t, rdb, Options{})
	cases := map[string]struct {
		key, hash string
	}{
		"empty key":          {"", "h"},
		"key over 64 KiB":    {strings.Repeat("k", MaxKey+1), "h"},
		"empty payload hash": {"k", ""},
		"long payload hash":  {"k", strings.Repeat("h", MaxPayloadHash+1)},
	}
	for name, c := range cases {
		if _, err := s.Claim(ctx, c.key, c.hash); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	// Long keys and keys with any characters are hashed into a safe name.
	for _, k := range []string{strings.Repeat("k", MaxKey), "a {b} c\n\x00ключ"} {
		c, err := s.Claim(ctx, k, "h")
		if err != nil {
			t.Fatalf("key of %d bytes: %v", len(k), err)
		}
		if rk, _ := s.Key(k); rk != "lambdis:idem:{orders}:"+KeyHash(k) || c.key != rk {
			t.Fatalf("record key %q", rk)
		}
	}
	if rk, err := RecordKeyIn(keys.Builder{}, "q", "email", "k"); err != nil || rk != "lambdis:q:{email}:idem:"+KeyHash("k") {
		t.Fatalf("RecordKeyIn: %q %v", rk, err)
	}
	for name, o := range map[string]Options{
		"negative retention": {Retention: -time.Second},
		"min over max":       {MinInProgress: time.Hour, MaxInProgress: time.Minute},
	} {
		if _, err := NewStore(rdb, keys.Builder{}, "t", o); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, tag := range []string{"", "a{b", "a b"} {
		if _, err := NewStore(rdb, keys.Builder{}, tag, Options{}); !errors.Is(err, ErrInvalid) {
			t.Errorf("tag %q: %v", tag, err)
		}
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Claim(done, "k2", "h"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: %v", err)
	}
}
