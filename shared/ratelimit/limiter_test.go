package ratelimit

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

var kb keys.Builder

func pol(name string, rate int64, period time.Duration, burst int64) Policy {
	return Policy{Name: name, Rate: rate, Period: period, Burst: burst}
}

func TestAllowBasics(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		l := New(rdb, kb)
		p := pol("per_hour", 3, time.Hour, 3)
		for i := int64(2); i >= 0; i-- {
			d, err := l.Allow(ctx, "u:alice", 1, p)
			if err != nil {
				t.Fatal(err)
			}
			if !d.Allowed || d.Results[0].Remaining != i {
				t.Fatalf("request %d: %+v", 3-i, d)
			}
			if ra := d.Results[0].ResetAfter; ra <= 0 || ra > time.Duration(3-i)*20*time.Minute {
				t.Fatalf("reset after %v", ra)
			}
		}
		d, err := l.Allow(ctx, "u:alice", 1, p)
		if err != nil {
			t.Fatal(err)
		}
		if d.Allowed || d.Denied != 0 || d.DeniedBy().Remaining != 0 {
			t.Fatalf("4th request: %+v", d)
		}
		// Retry-after is one interval (20 min) minus the time since the first request.
		if ra := d.Results[0].RetryAfter; ra <= 19*time.Minute || ra > 20*time.Minute {
			t.Fatalf("retry after %v", ra)
		}
		// Another subject is independent.
		if d, err := l.Allow(ctx, "u:bob", 1, p); err != nil || !d.Allowed {
			t.Fatalf("bob: %+v %v", d, err)
		}
		// The key expires with the state.
		k, _ := StateKey(kb, "u:alice")
		if ttl := rdb.PTTL(ctx, k).Val(); ttl <= 59*time.Minute || ttl > time.Hour {
			t.Fatalf("PTTL = %v, want about one hour", ttl)
		}
	})
}

func TestPeekWritesNothing(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		l := New(rdb, kb)
		p := pol("p", 5, time.Minute, 5)
		d, err := l.Allow(ctx, "u:peek", 0, p)
		if err != nil || !d.Allowed || d.Results[0].Remaining != 5 {
			t.Fatalf("peek on fresh subject: %+v %v", d, err)
		}
		k, _ := StateKey(kb, "u:peek")
		if n := rdb.Exists(ctx, k).Val(); n != 0 {
			t.Fatal("peek created the key")
		}
		if _, err := l.Allow(ctx, "u:peek", 2, p); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			d, err = l.Allow(ctx, "u:peek", 0, p)
			if err != nil || d.Results[0].Remaining != 3 {
				t.Fatalf("peek after spending 2: %+v %v", d, err)
			}
		}
	})
}

func TestAllOrNothing(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		l := New(rdb, kb)
		wide, narrow := pol("wide", 10, time.Hour, 10), pol("narrow", 2, time.Hour, 2)
		for i := 0; i < 2; i++ {
			if d, err := l.Allow(ctx, "u:carol", 1, wide, narrow); err != nil || !d.Allowed {
				t.Fatalf("request %d: %+v %v", i, d, err)
			}
		}
		for i := 0; i < 5; i++ {
			d, err := l.Allow(ctx, "u:carol", 1, wide, narrow)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed || d.Denied != 1 || d.DeniedBy().Policy.Name != "narrow" {
				t.Fatalf("denial %d: %+v", i, d)
			}
			if !d.Results[0].Allowed || d.Results[0].Remaining != 8 {
				t.Fatalf("the wide policy was charged by a denied request: %+v", d.Results[0])
			}
		}
		d, err := l.Allow(ctx, "u:carol", 0, wide)
		if err != nil || d.Results[0].Remaining != 8 {
			t.Fatalf("wide after denials: %+v %v", d, err)
		}
	})
}

func TestCostAboveBurstIsNever(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		l := New(rdb, kb)
		p := pol("p", 10, time.Minute, 4)
		d, err := l.Allow(ctx, "u:big", 5, p)
		if err != nil {
			t.Fatal(err)
		}
		if d.Allowed || d.Results[0].RetryAfter != Never || d.Results[0].Remaining != 4 {
			t.Fatalf("cost 5 over burst 4: %+v", d)
		}
		if d, _ := l.Allow(ctx, "u:big", 4, p); !d.Allowed || d.Results[0].Remaining != 0 {
			t.Fatalf("cost 4 after the refused 5: %+v", d)
		}
	})
}

// Waiting RetryAfter is enough to be admitted: the value is rounded up.
func TestRetryAfterAdmits(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		l := New(rdb, kb)
		p := pol("p", 3, 100*time.Millisecond, 1) // one per 33.33 ms
		if d, err := l.Allow(ctx, "u:wait", 1, p); err != nil || !d.Allowed {
			t.Fatalf("first: %+v %v", d, err)
		}
		admitted := 0
		for i := 0; i < 20; i++ {
			d, err := l.Allow(ctx, "u:wait", 1, p)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed {
				admitted++ // slow machine: the interval passed already
				continue
			}
			ra := d.Results[0].RetryAfter
			if ra <= 0 || ra > p.Interval()+time.Microsecond {
				t.Fatalf("retry after %v, interval %v", ra, p.Interval())
			}
			time.Sleep(ra)
			if d, err := l.Allow(ctx, "u:wait", 1, p); err != nil || !d.Allowed {
				t.Fatalf("denied after waiting retry-after %v: %+v %v", ra, d, err)
			}
		}
		t.Logf("%d of 20 probes were already admitted", admitted)
	}, redistest.BackendServer, redistest.BackendCluster)
}

// 200 goroutines against one subject with N per window admit exactly N.
func TestExactUnderConcurrency(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		l := New(rdb, kb)
		for _, n := range []int64{1, 37, 100} {
			p := pol("per_hour", n, time.Hour, n)
			subject := "u:exact" + string(rune('a'+n%26))
			var allowed atomic.Int64
			var wg sync.WaitGroup
			start := make(chan struct{})
			errs := make(chan error, 200)
			for g := 0; g < 200; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					for j := 0; j < 3; j++ {
						d, err := l.Allow(ctx, subject, 1, p)
						if err != nil {
							errs <- err
							return
						}
						if d.Allowed {
							allowed.Add(1)
						}
					}
				}()
			}
			close(start)
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			if got := allowed.Load(); got != n {
				t.Fatalf("N=%d: admitted %d of 600 requests", n, got)
			}
		}
	}, redistest.BackendServer, redistest.BackendCluster)
}

// Over several windows, admissions stay inside burst + rate*elapsed/period,
// with elapsed measured by the same Redis clock the script reads.
func TestWindowsBound(t *testing.T) {
	rdb := redistest.StartServer(t).Client(t)
	ctx := context.Background()
	l := New(rdb, kb)
	p := pol("per_300ms", 10, 300*time.Millisecond, 10)
	var allowed atomic.Int64
	t0 := rdb.Time(ctx).Val()
	deadline := time.Now().Add(1 * time.Second)
	var wg sync.WaitGroup
	for g := 0; g < 200; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if d, err := l.Allow(ctx, "u:windows", 1, p); err == nil && d.Allowed {
					allowed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := rdb.Time(ctx).Val().Sub(t0)
	maxAllowed := p.Burst + int64(float64(p.Rate)*elapsed.Seconds()/p.Period.Seconds())
	got := allowed.Load()
	if got > maxAllowed || got < p.Burst+p.Rate {
		t.Fatalf("admitted %d in %v; want between %d and %d", got, elapsed, p.Burst+p.Rate, maxAllowed)
	}
	t.Logf("admitted %d in %v (bound %d)", got, elapsed, maxAllowed)
}

// Each decision is one EVALSHA on the server, whatever the number of policies.
func TestOneRoundTrip(t *testing.T) {
	s := redistest.StartServer(t)
	rdb := s.Client(t)
	ctx := context.Background()
	l := New(rdb, kb)
	ps := []Policy{pol("a", 5, time.Second, 5), pol("b", 100, time.Minute, 100), pol("c", 1000, 24*time.Hour, 1000)}
	if _, err := l.Allow(ctx, "u:rt", 1, ps...); err != nil { // loads the script
		t.Fatal(err)
	}
	before, err := s.Calls(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const n = 25
	for i := 0; i < n; i++ {
		if _, err := l.Allow(ctx, "u:rt", 1, ps...); err != nil {
			t.Fatal(err)
		}
	}
	after, err := s.Calls(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d := redistest.CallsDelta(before, after)
	if d["evalsha"] != n {
		t.Fatalf("command deltas %v: want exactly %d EVALSHA", d, n)
	}
	// The calls inside the script are counted too: TIME, one GET of the
	// subject's state and, while admitted, one SET for all three policies; no
	// other command was sent by the client.
	if d["get"] != n || d["set"] < 1 || d["set"] > n {
		t.Fatalf("command deltas %v: want one GET and at most one SET per call", d)
	}
	for cmd := range d {
		switch cmd {
		case "evalsha", "time", "get", "set":
		default:
			t.Fatalf("unexpected command %q in %v", cmd, d)
		}
	}
}

func TestBadInput(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	l := New(rdb, kb)
	ctx := context.Background()
	p := pol("p", 1, time.Second, 1)
	for name, f := range map[string]func() error{
		"no policies":     func() error { _, err := l.Allow(ctx, "u:x", 1); return err },
		"negative cost":   func() error { _, err := l.Allow(ctx, "u:x", -1, p); return err },
		"huge cost":       func() error { _, err := l.Allow(ctx, "u:x", MaxCost+1, p); return err },
		"brace subject":   func() error { _, err := l.Allow(ctx, "u:{x}", 1, p); return err },
		"invalid policy":  func() error { _, err := l.Allow(ctx, "u:x", 1, pol("p", 0, time.Second, 1)); return err },
		"duplicate names": func() error { _, err := l.Allow(ctx, "u:x", 1, p, p); return err },
	} {
		if f() == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if n := rdb.DBSize(ctx).Val(); n != 0 {
		t.Fatalf("bad input wrote %d keys", n)
	}
}

// Lowering a burst leaves old state beyond the new span: remaining is 0, not
// negative, and the request is denied, not an error.
func TestLoweredBurstNeverNegative(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		l := New(rdb, kb)
		if _, err := l.Allow(ctx, "u:lowered", 18, pol("p", 10, time.Second, 20)); err != nil {
			t.Fatal(err)
		}
		d, err := l.Allow(ctx, "u:lowered", 1, pol("p", 10, time.Second, 5))
		if err != nil || d.Allowed || d.Results[0].Remaining != 0 || d.Results[0].RetryAfter <= 0 {
			t.Fatalf("after lowering the burst: %+v %v", d, err)
		}
	})
}

// A fractional emission interval (1s/3) still admits the whole burst at once.
func TestFractionalIntervalAdmitsBurst(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		l := New(rdb, kb)
		p := pol("p", 3, time.Hour, 3) // 1200 s per request
		for want := int64(2); want >= 0; want-- {
			d, err := l.Allow(ctx, "u:frac", 1, p)
			if err != nil || !d.Allowed || d.Results[0].Remaining != want {
				t.Fatalf("want remaining %d: %+v %v", want, d, err)
			}
		}
		p = pol("q", 7, 100*time.Millisecond, 7) // 14285.714… µs per request
		n := 0
		for i := 0; i < 7; i++ {
			if d, _ := l.Allow(ctx, "u:frac", 1, p); d.Allowed {
				n++
			}
		}
		if n < 7 {
			t.Fatalf("admitted %d of a burst of 7", n)
		}
	})
}

func TestBinding(t *testing.T) {
	d := Decision{Results: []Result{
		{Allowed: true},
		{RetryAfter: time.Second},
		{RetryAfter: time.Hour},
		{RetryAfter: time.Minute},
	}}
	if b := d.Binding(); b != &d.Results[2] {
		t.Fatalf("Binding = %+v, want the one-hour wait", b)
	}
	d.Results[3].RetryAfter = Never
	if b := d.Binding(); b != &d.Results[3] {
		t.Fatalf("Binding = %+v, want Never", b)
	}
	if b := (Decision{Results: []Result{{Allowed: true}}}).Binding(); b != nil {
		t.Fatalf("allowed decision has a binding result %+v", b)
	}
}

func TestWindow(t *testing.T) {
	if w := pol("p", 10, time.Second, 20).Window(); w != 2*time.Second {
		t.Fatalf("Window = %v, want 2s", w)
	}
	if err := pol("p", 1, 366*24*time.Hour, 1_000_000).Validate(); err == nil || !strings.Contains(err.Error(), "refill") {
		t.Fatalf("a span beyond 100 years: %v", err)
	}
}

// A subject's policies share one key. A call that names only some of them
// (another route's limits) keeps the others' state as it is, drops entries
// whose TAT has passed, and the key lives as long as its longest TAT.
func TestOneKeyKeepsOtherPolicies(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		l := New(rdb, kb)
		slow := pol("per_day", 2, 24*time.Hour, 2)
		fast := pol("per_ms", 1, time.Millisecond, 1)
		other := pol("per_hour", 10, time.Hour, 10)
		if d, err := l.Allow(ctx, "u:routes", 1, slow, fast); err != nil || !d.Allowed {
			t.Fatalf("first call: %+v %v", d, err)
		}
		time.Sleep(5 * time.Millisecond) // per_ms's TAT passes
		for i := 0; i < 3; i++ {
			if d, err := l.Allow(ctx, "u:routes", 1, other); err != nil || !d.Allowed || d.Results[0].Remaining != int64(9-i) {
				t.Fatalf("other route, call %d: %+v %v", i, d, err)
			}
		}
		k, _ := StateKey(kb, "u:routes")
		state := rdb.Get(ctx, k).Val()
		if !strings.Contains(state, " per_day=") || !strings.Contains(state, " per_hour=") || strings.Contains(state, "per_ms") {
			t.Fatalf("state %q: want per_day and per_hour entries, per_ms (passed) dropped", state)
		}
		if ttl := rdb.PTTL(ctx, k).Val(); ttl <= 11*time.Hour || ttl > 12*time.Hour {
			t.Fatalf("PTTL %v, want per_day's TAT (12 h ahead)", ttl)
		}
		d, err := l.Allow(ctx, "u:routes", 1, slow, fast)
		if err != nil || !d.Allowed || d.Results[0].Remaining != 0 || d.Results[1].Remaining != 0 {
			t.Fatalf("back on the first route: %+v %v (per_day must remember the first call)", d, err)
		}
		if d, err := l.Allow(ctx, "u:routes", 1, slow); err != nil || d.Allowed {
			t.Fatalf("third per_day request: %+v %v, want denied", d, err)
		}
		if d, err := l.Allow(ctx, "u:routes", 0, other); err != nil || d.Results[0].Remaining != 7 {
			t.Fatalf("per_hour after the other route's writes: %+v %v, want 7 left", d, err)
		}
	})
}
