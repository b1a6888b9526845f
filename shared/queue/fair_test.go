package queue

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

// flood enqueues n jobs of type typ on each queue, in batches.
func flood(t *testing.T, c *Client, typ string, n int, queues ...string) {
	t.Helper()
	for _, q := range queues {
		for done := 0; done < n; done += MaxBatch {
			var batch []Job
			for i := done; i < min(n, done+MaxBatch); i++ {
				batch = append(batch, job(q, typ, `{}`))
			}
			if _, err := c.EnqueueBatch(context.Background(), batch); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// With weights 6/3/1 and all three queues flooded, the jobs a run starts
// follow the weights, whatever the order of the list.
func TestWeightsShareTheRun(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		c := newClient(rdb)
		var mu sync.Mutex
		ran := map[string]int{}
		reg := NewRegistry()
		reg.Register("count", func(ctx context.Context, d Delivery) error {
			mu.Lock()
			ran[d.Queue]++
			mu.Unlock()
			return nil
		}, nil)
		flood(t, c, "count", 1000, "low", "default", "critical")
		w := NewWorker(c, reg, WorkerConfig{JobTimeout: time.Second, Batch: 50}, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		const total = 1000
		sum, err := w.Run(ctx, Plan{Queues: []string{"low", "default", "critical"}, Weights: map[string]int{"critical": 6, "default": 3, "low": 1}, MaxJobs: total})
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if sum.Processed != total {
			t.Fatalf("processed %d, want %d: %+v", sum.Processed, total, sum)
		}
		// Within 10% of the run's jobs of the weighted share.
		for q, wt := range map[string]int{"critical": 6, "default": 3, "low": 1} {
			want := total * wt / 10
			if d := ran[q] - want; d < -total/10 || d > total/10 {
				t.Errorf("%s ran %d of %d jobs, want %d ± %d (weights 6/3/1): %v", q, ran[q], total, want, total/10, ran)
			}
		}
		t.Logf("weights 6/3/1, %d jobs: %v", total, ran)
	}, redistest.BackendServer, redistest.BackendCluster)
}

// Strict priority empties a higher queue before it starts a lower one.
func TestStrictPriority(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		c := newClient(rdb)
		var mu sync.Mutex
		var order []string
		reg := NewRegistry()
		reg.Register("note", func(ctx context.Context, d Delivery) error {
			mu.Lock()
			order = append(order, d.Queue)
			mu.Unlock()
			return nil
		}, nil)
		flood(t, c, "note", 300, "low", "mid", "high")
		// One job at a time: the order handlers see is the order jobs start
		// in (with more, a started job's goroutine may reach its handler
		// after later ones on a loaded machine).
		w := NewWorker(c, reg, WorkerConfig{JobTimeout: time.Second, Batch: 50, Concurrency: 1}, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		sum, err := w.Run(ctx, Plan{Queues: []string{"low", "mid", "high"}, Weights: map[string]int{"high": 3, "mid": 2, "low": 1}, Strict: true})
		if err != nil || sum.Processed != 900 {
			t.Fatalf("%+v %v", sum, err)
		}
		mu.Lock()
		defer mu.Unlock()
		// Jobs start in priority order: every high before any mid, every
		// mid before any low.
		rank := map[string]int{"high": 0, "mid": 1, "low": 2}
		late := 0
		for i := 1; i < len(order); i++ {
			if rank[order[i]] < rank[order[i-1]] {
				late++
			}
		}
		if late > 0 || slices.Index(order, "mid") < lastIndex(order, "high") || slices.Index(order, "low") < lastIndex(order, "mid") {
			t.Errorf("strict priority broken: %d inversions; first mid %d, last high %d; first low %d, last mid %d",
				late, slices.Index(order, "mid"), lastIndex(order, "high"), slices.Index(order, "low"), lastIndex(order, "mid"))
		}
	}, redistest.BackendServer, redistest.BackendCluster)
}

// Fifty empty queues and one job on the last: the job runs at once, and
// the run spends no blocking read on the empty ones (one pipelined poll
// each, the time spent waiting is reported).
func TestFiftyEmptyQueues(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		c := newClient(rdb)
		var queues []string
		for i := range 50 {
			queues = append(queues, "empty"+strconv.Itoa(i))
		}
		queues = append(queues, "last")
		var started atomic.Int64
		reg := NewRegistry()
		reg.Register("t", func(ctx context.Context, d Delivery) error { started.Store(time.Now().UnixNano()); return nil }, nil)
		w := NewWorker(c, reg, WorkerConfig{JobTimeout: time.Second}, nil)
		// A first run makes the groups (the queues' first use), then the job.
		drain(t, w, 5*time.Second, queues...)
		if _, err := c.Enqueue(context.Background(), job("last", "t", `{}`)); err != nil {
			t.Fatal(err)
		}
		begin := time.Now()
		sum := drain(t, w, 10*time.Second, queues...)
		if sum.Succeeded != 1 {
			t.Fatalf("%+v", sum)
		}
		pickup := time.Duration(started.Load() - begin.UnixNano())
		// One poll of each queue finds the job: the other 50 polls are in
		// the same pipeline; then the run waits MaxBlock (200ms) and polls
		// them again before it returns.
		if sum.Polls > 3*len(queues) {
			t.Errorf("%d polls for %d queues", sum.Polls, len(queues))
		}
		t.Logf("50 empty queues + 1 job: job started %v after the run began; %d polls; %d ms idle before returning (MaxBlock)", pickup.Round(time.Microsecond), sum.Polls, sum.IdleMS)
	}, redistest.BackendServer, redistest.BackendCluster)
}

// A run killed mid-batch leaves its entries pending: the next run reclaims
// them and runs them in the same run, each counted once as reclaimed, even
// when they are more than one batch (no entry is reclaimed, given back and
// reclaimed again while the run had time).
func TestKilledRunReclaimedOnce(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		c := newClient(rdb)
		var ran atomic.Int64
		reg := NewRegistry()
		reg.Register("t", func(ctx context.Context, d Delivery) error { ran.Add(1); return nil }, nil)
		flood(t, c, "t", 250, "busy")
		k, _ := newQueueKeys(c.keys, "busy")
		if got := readAs(t, rdb, k, "killed-run", 250); len(got) != 250 {
			t.Fatalf("the killed run read %d entries", len(got))
		}
		cfg := WorkerConfig{JobTimeout: 200 * time.Millisecond, SettleReserve: 100 * time.Millisecond, Batch: 40, FunctionTimeout: 1500 * time.Millisecond, ReclaimMargin: 100 * time.Millisecond}
		time.Sleep(cfg.ReclaimAfter() + 100*time.Millisecond) // the killed run's entries are orphans now
		sum := drain(t, NewWorker(c, reg, cfg, nil), cfg.FunctionTimeout, "busy")
		if sum.Reclaimed != 250 || sum.Succeeded != 250 || sum.GivenBack != 0 || ran.Load() != 250 {
			t.Fatalf("summary %+v, ran %d", sum, ran.Load())
		}
		if b := mustBooks(t, c, "busy"); b.Reclaimed != 250 || b.Drift() != 0 || b.Stream != 0 {
			t.Fatalf("books %+v", b)
		}
	}, redistest.BackendServer, redistest.BackendCluster)
}

// Six queues, one flooded without pause, five receiving a job every 200ms:
// every job of the five starts within the stated bound (one Refresh, 1s,
// the longest an idle queue waits without its doorbell; with it, a few
// milliseconds), and the flooded queue keeps being drained meanwhile.
func TestFloodDoesNotStarveOthers(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		c := newClient(rdb)
		var mu sync.Mutex
		var waits []time.Duration
		var floodRan atomic.Int64
		reg := NewRegistry()
		reg.Register("flood", func(ctx context.Context, d Delivery) error { floodRan.Add(1); return nil }, nil)
		reg.Register("timed", func(ctx context.Context, d Delivery) error {
			sent, _ := strconv.ParseInt(string(d.Payload), 10, 64)
			mu.Lock()
			waits = append(waits, time.Since(time.Unix(0, sent)))
			mu.Unlock()
			return nil
		}, nil)
		light := []string{"l1", "l2", "l3", "l4", "l5"}
		ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
		defer cancel()
		var wg sync.WaitGroup
		stop := time.Now().Add(4 * time.Second)
		wg.Add(2)
		go func() { // the flood: batches of 100, as fast as the server takes them
			defer wg.Done()
			for time.Now().Before(stop) {
				var batch []Job
				for range 100 {
					batch = append(batch, job("flooded", "flood", `{}`))
				}
				if _, err := c.EnqueueBatch(ctx, batch); err != nil {
					t.Error(err)
					return
				}
			}
		}()
		sent := 0
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				for _, q := range light {
					if _, err := c.Enqueue(ctx, job(q, "timed", strconv.FormatInt(time.Now().UnixNano(), 10))); err != nil {
						t.Error(err)
						return
					}
					sent++
				}
				time.Sleep(200 * time.Millisecond)
			}
		}()
		w := NewWorker(c, reg, WorkerConfig{JobTimeout: time.Second, Linger: 500 * time.Millisecond}, nil)
		sum, err := w.Run(ctx, Plan{Queues: append([]string{"flooded"}, light...)})
		wg.Wait()
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(waits) != sent {
			t.Fatalf("%d of %d light jobs ran: %+v", len(waits), sent, sum)
		}
		slices.Sort(waits)
		p50, p99, worst := waits[len(waits)/2], waits[len(waits)*99/100], waits[len(waits)-1]
		if p99 > time.Second {
			t.Errorf("light jobs waited p50 %v p99 %v max %v: the bound is 1s", p50, p99, worst)
		}
		t.Logf("%d light jobs beside a flood (%d flood jobs run): start after p50 %v, p99 %v, max %v",
			len(waits), floodRan.Load(), p50.Round(time.Microsecond), p99.Round(time.Microsecond), worst.Round(time.Microsecond))
	}, redistest.BackendServer, redistest.BackendCluster)
}

func lastIndex(s []string, v string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == v {
			return i
		}
	}
	return -1
}

// Due-time precision in the deployed shape, on a shortened clock: a tick
// every second starts a run whose deadline (1.6s) is longer than the tick,
// as the stack's worker timeout (90s) is longer than its schedule (1 min);
// runs linger briefly and stay for work due before their last start. No
// wake starts a run for a delayed job. Delayed jobs (0.3s to 6s, standing in
// for 1s to 3 min) and retries start within a second of their due time.
func TestDueTimePrecision(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		c := newClient(rdb)
		ctx := context.Background()
		var mu sync.Mutex
		var late []time.Duration
		due := map[string]time.Time{}
		reg := NewRegistry()
		reg.Register("at", func(ctx context.Context, d Delivery) error {
			mu.Lock()
			defer mu.Unlock()
			late = append(late, time.Since(due[d.ID]))
			return nil
		}, nil)
		backoff := Backoff{Base: 2 * time.Second, Max: 2 * time.Second, Rand: func() float64 { return 0.999 }}
		failed := map[string]time.Time{}
		reg.Register("flaky", func(ctx context.Context, d Delivery) error {
			mu.Lock()
			defer mu.Unlock()
			if d.Attempt == 1 {
				// due again the backoff after its settle, a little after now:
				// measured from now, the lateness is overstated, never hidden
				failed[d.ID] = time.Now()
				return fmt.Errorf("first attempt fails")
			}
			late = append(late, time.Since(failed[d.ID].Add(backoff.Delay(1))))
			return nil
		}, nil)
		const tick, timeout = time.Second, 1600 * time.Millisecond
		cfg := WorkerConfig{JobTimeout: 200 * time.Millisecond, SettleReserve: 100 * time.Millisecond, FunctionTimeout: timeout,
			Linger: 200 * time.Millisecond, Backoff: backoff}
		runs, stop := sync.WaitGroup{}, make(chan struct{})
		go func() { // the schedule
			tk := time.NewTicker(tick)
			defer tk.Stop()
			for {
				runs.Add(1)
				go func() {
					defer runs.Done()
					rctx, cancel := context.WithTimeout(ctx, timeout)
					defer cancel()
					if _, err := NewWorker(c, reg, cfg, nil).Run(rctx, Plan{Queues: []string{"sched"}}); err != nil {
						t.Error(err)
					}
				}()
				select {
				case <-stop:
					return
				case <-tk.C:
				}
			}
		}()
		const n, retries = 30, 10
		for i := range n {
			d := 300*time.Millisecond + time.Duration(i)*200*time.Millisecond
			j := job("sched", "at", `{}`)
			j.Delay = d
			mu.Lock()
			// Redis takes the due time from its clock during the call:
			// no earlier than this, so lateness is overstated, never hidden.
			before := time.Now()
			e, err := c.Enqueue(ctx, j)
			if err == nil {
				due[e.ID] = before.Add(d)
			}
			mu.Unlock()
			if err != nil {
				t.Fatal(err)
			}
		}
		flood(t, c, "flaky", retries, "sched")
		deadline := time.Now().Add(15 * time.Second)
		for {
			mu.Lock()
			got := len(late)
			mu.Unlock()
			if got == n+retries || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		close(stop)
		runs.Wait()
		mu.Lock()
		defer mu.Unlock()
		if len(late) != n+retries {
			t.Fatalf("%d of %d jobs ran", len(late), n+retries)
		}
		slices.Sort(late)
		p50, p99, worst := late[len(late)/2], late[len(late)*99/100], late[len(late)-1]
		if late[0] < -5*time.Millisecond || p99 > time.Second { // (Redis time is whole milliseconds)
			t.Errorf("start after due: min %v p50 %v p99 %v max %v; want never early, p99 within 1s", late[0], p50, p99, worst)
		}
		t.Logf("%d delayed jobs and %d retries: start after due p50 %v, p99 %v, max %v", n, retries,
			p50.Round(time.Millisecond), p99.Round(time.Millisecond), worst.Round(time.Millisecond))
	}, redistest.BackendServer, redistest.BackendCluster)
}

// Two runs woken at once on the same queues never run one job twice (only a
// kill does that, and reclaiming counts it): every job runs exactly once.
func TestTwoRunsRunEachJobOnce(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		c := newClient(rdb)
		var mu sync.Mutex
		runs := map[string]int{}
		reg := NewRegistry()
		reg.Register("t", func(ctx context.Context, d Delivery) error {
			mu.Lock()
			runs[d.ID]++
			mu.Unlock()
			return nil
		}, nil)
		flood(t, c, "t", 1500, "a", "b")
		var wg sync.WaitGroup
		sums := make([]Summary, 2)
		for i := range sums {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cfg := WorkerConfig{JobTimeout: time.Second, Consumer: "run-" + strconv.Itoa(i), Linger: 200 * time.Millisecond}
				sums[i] = drain(t, NewWorker(c, reg, cfg, nil), 20*time.Second, "a", "b")
			}()
		}
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		for id, n := range runs {
			if n != 1 {
				t.Errorf("job %s ran %d times", id, n)
			}
		}
		if len(runs) != 3000 || sums[0].Succeeded+sums[1].Succeeded != 3000 || sums[0].NotOwned+sums[1].NotOwned != 0 || sums[0].Reclaimed+sums[1].Reclaimed != 0 {
			t.Fatalf("%d jobs ran; summaries %+v %+v", len(runs), sums[0], sums[1])
		}
		t.Logf("two runs split 3000 jobs %d/%d", sums[0].Succeeded, sums[1].Succeeded)
	}, redistest.BackendServer, redistest.BackendCluster)
}
