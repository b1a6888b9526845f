package drainer

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/queue"
	"github.com/lambdis/lambdis/shared/redistest"
)

// TestBudgetGivesBack: a worker with a 3 s budget and slow jobs returns
// before its deadline; the jobs it fetched but had no time to start are
// given back: none is lost, none is charged an attempt or a delivery, and
// the next drain takes them at once (not after the reclaim threshold of
// WORKER_FUNCTION_TIMEOUT + WORKER_RECLAIM_MARGIN = 33 s).
func TestBudgetGivesBack(t *testing.T) {
	const (
		jobs     = 80
		budget   = 3 * time.Second
		jobTime  = 300 * time.Millisecond
		slowType = "slow"
	)
	srv := redistest.StartServer(t)
	var mu sync.Mutex
	runs := map[string][]queue.Delivery{}
	reg := queue.NewRegistry()
	reg.Register(slowType, func(ctx context.Context, d queue.Delivery) error {
		mu.Lock()
		runs[d.ID] = append(runs[d.ID], d)
		mu.Unlock()
		select {
		case <-time.After(jobTime):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}, nil)
	f := newFixture(t, srv.Client(t), reg, map[string]string{
		EnvQueues: "slow", EnvFunctionTimeout: "3s", EnvJobTimeout: "1s", EnvConcurrency: "8", EnvBatch: "100",
	})
	ids := enqueue(t, f.client, "slow", slowType, `{"n":1}`, jobs)

	start := time.Now()
	first, err := f.handle(t, `{}`, budget)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("first run: %v, %+v", took.Round(time.Millisecond), first)
	if took >= budget {
		t.Fatalf("the drain took %v, past its %v deadline", took, budget)
	}
	if !first.OutOfTime || first.GivenBack == 0 || first.Processed+first.GivenBack != jobs || first.Succeeded != first.Processed {
		t.Fatalf("first run: %+v; want some jobs run, the rest of the %d given back", first, jobs)
	}
	ctx := context.Background()
	ran := 0
	for _, id := range ids {
		rec, err := f.client.Status(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		n := len(runs[id])
		mu.Unlock()
		switch {
		case n == 1 && rec.State == queue.StateSucceeded && rec.Attempts == 1:
			ran++
		// A given-back entry stays in the group's pending list (with its
		// idle time set past the reclaim threshold), so Status reports it
		// active although no worker holds it.
		case n == 0 && (rec.State == queue.StateQueued || rec.State == queue.StateActive) && rec.Attempts == 0 && len(rec.Errors) == 0:
		default:
			t.Errorf("job %s after the first run: %d runs, record %+v", id, n, rec)
		}
	}
	if ran != first.Processed {
		t.Errorf("%d jobs ran, the summary says %d", ran, first.Processed)
	}
	if b := mustBooks(t, f.client, "slow"); b.Drift() != 0 || b.Stream != int64(first.GivenBack) || b.Lost != 0 || b.Retried != 0 {
		t.Errorf("books after the first run: %+v drift %d", b, b.Drift())
	}

	// The next drains reclaim what was given back at once.
	runsLeft := 10
	prevGivenBack := first.GivenBack
	for done := first.Processed; done < jobs; runsLeft-- {
		if runsLeft == 0 {
			t.Fatalf("%d of %d jobs done after 10 more runs", done, jobs)
		}
		sum, err := f.handle(t, `{}`, budget)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Reclaimed != prevGivenBack {
			t.Fatalf("a run reclaimed %d entries, %d had been given back: %+v", sum.Reclaimed, prevGivenBack, sum)
		}
		done += sum.Processed
		prevGivenBack = sum.GivenBack
	}
	mu.Lock()
	defer mu.Unlock()
	for _, id := range ids {
		rs := runs[id]
		if len(rs) != 1 || rs[0].Attempt != 1 || rs[0].Deliveries != 1 {
			t.Errorf("job %s ran %d times: %+v; want once, attempt 1, delivery 1", id, len(rs), rs)
		}
		if rec, err := f.client.Status(ctx, id); err != nil || rec.State != queue.StateSucceeded || rec.Attempts != 1 {
			t.Errorf("job %s: %+v %v", id, rec, err)
		}
	}
	b := mustBooks(t, f.client, "slow")
	if b.Drift() != 0 || b.Succeeded != jobs || b.Stream != 0 || b.Retried != 0 || b.Dead != 0 || b.Lost != 0 {
		t.Errorf("final books %+v drift %d", b, b.Drift())
	}
}
