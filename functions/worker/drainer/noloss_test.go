package drainer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/queue"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/lambdis/lambdis/shared/telemetry"
	"github.com/redis/go-redis/v9"
)

// The no-loss workload: nolossJobs jobs, of which a tenth always fail, three
// tenths fail once or twice then succeed, and the rest succeed.
const (
	nolossJobs     = 10_000
	nolossQueue    = "noloss"
	nolossBadMax   = 3 // attempts of a job that always fails
	nolossGoodMax  = 8 // attempts of the others: room for attempts charged by a cancel
	nolossMinKills = 10
)

// nolossJob is a job's payload: what its handler does.
type nolossJob struct {
	Kind  string `json:"kind"`            // ok, flaky or bad
	Fails int    `json:"fails,omitempty"` // flaky: the attempts that fail
}

func nolossWorkload(i int) (nolossJob, int) {
	switch {
	case i%10 == 9:
		return nolossJob{Kind: "bad"}, nolossBadMax
	case i%10 >= 6:
		return nolossJob{Kind: "flaky", Fails: 1 + i%2}, nolossGoodMax
	default:
		return nolossJob{Kind: "ok"}, nolossGoodMax
	}
}

// wantAttempts is the attempts a job ends with when no attempt is charged
// by an interruption, and whether it ends dead.
func (j nolossJob) wantAttempts() (attempts int, dead bool) {
	switch j.Kind {
	case "bad":
		return nolossBadMax, true
	case "flaky":
		return j.Fails + 1, false
	}
	return 1, false
}

// ledger records every execution of every job, and which run (a drain, or
// a bootstrap) made it.
type ledger struct {
	mu          sync.Mutex
	runs        map[string]map[int][]int // job id -> attempt -> runs that executed it
	interrupted map[string]int           // job id -> executions cut short by a cancelled context
	failed      map[int]bool             // runs that could not record their results (killed, or a settle failed)
	inFlight    atomic.Int64
}

func newLedger() *ledger {
	return &ledger{runs: map[string]map[int][]int{}, interrupted: map[string]int{}, failed: map[int]bool{}}
}

func (l *ledger) fail(run int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failed[run] = true
}

func (l *ledger) start(run int, id string, attempt int) {
	l.inFlight.Add(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.runs[id] == nil {
		l.runs[id] = map[int][]int{}
	}
	l.runs[id][attempt] = append(l.runs[id][attempt], run)
}

func (l *ledger) end(id string, interrupted bool) {
	if interrupted {
		l.mu.Lock()
		l.interrupted[id]++
		l.mu.Unlock()
	}
	l.inFlight.Add(-1)
}

// duplicates counts executions of an attempt beyond its first: runs whose
// result a killed worker never recorded. unexplained lists those whose
// earlier execution was by a run that did not fail: a result lost without
// its worker knowing.
func (l *ledger) duplicates() (dups, executions int, unexplained []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, byAttempt := range l.runs {
		for attempt, runs := range byAttempt {
			executions += len(runs)
			dups += len(runs) - 1
			for _, r := range runs[:len(runs)-1] {
				if !l.failed[r] {
					unexplained = append(unexplained, fmt.Sprintf("%s attempt %d: executed by runs %v, and run %d reported no failure", id, attempt, runs, r))
				}
			}
		}
	}
	return dups, executions, unexplained
}

// nolossRegistry is the workload's job type, recording its executions under
// run(): it takes 0.5 to 4 ms, honours its context, and fails as its
// payload says.
func nolossRegistry(l *ledger, run func() int) *queue.Registry {
	reg := queue.NewRegistry()
	reg.Register("noloss", func(ctx context.Context, d queue.Delivery) error {
		var j nolossJob
		if err := json.Unmarshal(d.Payload, &j); err != nil {
			return queue.Permanent(err)
		}
		l.start(run(), d.ID, d.Attempt)
		select {
		case <-time.After(time.Duration(500+rand.Int64N(3500)) * time.Microsecond):
		case <-ctx.Done():
			l.end(d.ID, true)
			return ctx.Err()
		}
		l.end(d.ID, false)
		switch {
		case j.Kind == "bad":
			return errors.New("this job always fails")
		case j.Kind == "flaky" && d.Attempt <= j.Fails:
			return fmt.Errorf("attempt %d of a job that fails %d times", d.Attempt, j.Fails)
		}
		return nil
	}, nil)
	return reg
}

// killable dials Redis connections that can all be cut at once: the
// sockets of a worker that crashed. Once cut, no new one can be dialled.
type killable struct {
	mu    sync.Mutex
	dead  bool
	conns []net.Conn
}

var errKilled = errors.New("worker killed")

func (k *killable) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.dead {
		return nil, errKilled
	}
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err == nil {
		k.conns = append(k.conns, c)
	}
	return c, err
}

func (k *killable) kill() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.dead = true
	for _, c := range k.conns {
		_ = c.Close()
	}
}

// nolossEnv is the worker's configuration: a 1 s function, so that orphans
// are reclaimed after 2 s, and millisecond backoffs.
var nolossEnv = map[string]string{
	EnvQueues: nolossQueue, EnvFunctionTimeout: "1s", EnvReclaimMargin: "1s", EnvJobTimeout: "100ms",
	EnvConcurrency: "8", EnvBatch: "50", EnvMaxDeliveries: "10", EnvBackoffBase: "5ms", EnvBackoffMax: "50ms",
}

// TestNoLossWhenKilled enqueues 10,000 jobs and drains them with workers
// that are killed at random points while jobs run, at least 10 times each
// way: crashed (their Redis connections cut, then their context cancelled,
// so that nothing they were doing is recorded: what a SIGKILL leaves) and
// cancelled (the Drain's context cancelled mid-batch: running jobs end with
// the context's error, unstarted ones are given back). A fresh worker, a
// new consumer, replaces each. Afterwards every job is succeeded or dead as
// its handler dictates, with the attempts it dictates (an attempt cut short
// by a cancel may be charged), the books balance, nothing is left on the
// stream or the delayed set, every duplicate execution follows a drain
// whose settle failed (a crash, or a run out of time), and the duplicates
// are counted.
func TestNoLossWhenKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 jobs and 20 kills: not in -short")
	}
	began := time.Now()
	srv := redistest.StartServer(t)
	admin := srv.Client(t)
	client := queue.NewClient(admin, keys.Builder{}, 0)
	ctx := context.Background()

	kinds := map[string]nolossJob{}
	var ids []string
	for start := 0; start < nolossJobs; start += queue.MaxBatch {
		var batch []queue.Job
		for i := start; i < start+queue.MaxBatch; i++ {
			j, max := nolossWorkload(i)
			p, _ := json.Marshal(j)
			batch = append(batch, queue.Job{Queue: nolossQueue, Type: "noloss", Payload: p, MaxAttempts: max})
		}
		out, err := client.EnqueueBatch(ctx, batch)
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range out {
			if e.Err != nil {
				t.Fatal(e.Err)
			}
			var j nolossJob
			_ = json.Unmarshal(batch[i].Payload, &j)
			kinds[e.ID] = j
			ids = append(ids, e.ID)
		}
	}

	cfg, err := ConfigFromEnv(env(nolossEnv))
	if err != nil {
		t.Fatal(err)
	}
	led := newLedger()
	logs := &logBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("worker log:\n%s", logs)
		}
	})
	var total queue.Summary
	var totalMu sync.Mutex
	add := func(s queue.Summary) {
		totalMu.Lock()
		defer totalMu.Unlock()
		total.Processed += s.Processed
		total.Reclaimed += s.Reclaimed
		total.GivenBack += s.GivenBack
		total.NotOwned += s.NotOwned
		total.Lost += s.Lost
		total.Dead += s.Dead
	}
	// incarnation runs one worker, a consumer of its own on connections of
	// its own, draining run after run (each with the function's 1 s
	// deadline) until it is killed. A run whose settle failed (it was
	// killed, or ran out of time) or that was cancelled (it gives back what
	// it was running) is marked failed: it did not record some results, and
	// knows it.
	var runSeq atomic.Int64
	incarnation := func(n int, k *killable, ictx context.Context) {
		rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, Dialer: k.dial, MaxRetries: -1, PoolSize: 32})
		defer rdb.Close()
		c := cfg
		c.Worker.Consumer = fmt.Sprintf("noloss-%d", n)
		var run atomic.Int64
		h := New(rdb, keys.Builder{}, nolossRegistry(led, func() int { return int(run.Load()) }), c, telemetry.NewLogger(logs, "worker"), nil)
		for ictx.Err() == nil {
			id := runSeq.Add(1)
			run.Store(id)
			dctx, cancel := context.WithTimeout(ictx, cfg.Worker.FunctionTimeout)
			sum, err := h.Handle(dctx, nil) // a killed worker's errors are expected
			cancel()
			// A cancelled run gives back the jobs it was running (no attempt
			// is charged), knowing they will run again.
			if (err != nil && strings.Contains(err.Error(), "settle: ")) || ictx.Err() != nil {
				led.fail(int(id))
			}
			add(sum)
		}
	}

	// Kill a worker at a random point once jobs are running; replace it.
	crashes, cancels, inFlightAtKills := 0, 0, int64(0)
	for n := 0; crashes < nolossMinKills || cancels < nolossMinKills; n++ {
		k := &killable{}
		ictx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); incarnation(n, k, ictx) }()
		time.Sleep(time.Duration(20+rand.IntN(130)) * time.Millisecond)
		wait := time.Now().Add(3 * time.Second) // orphans come back after 2 s
		for led.inFlight.Load() == 0 && time.Now().Before(wait) {
			time.Sleep(100 * time.Microsecond)
		}
		running := led.inFlight.Load()
		if running == 0 {
			stop()
			<-done
			t.Fatalf("no job running after %d crashes and %d cancels: the workload is too small for the kills", crashes, cancels)
		}
		crash := cancels >= nolossMinKills || (crashes < nolossMinKills && rand.IntN(2) == 0)
		if crash {
			k.kill() // first: nothing after this point reaches Redis
			crashes++
		} else {
			cancels++
		}
		inFlightAtKills += running
		stop()
		<-done
	}
	killedAt := time.Since(began)

	// A worker that is not killed finishes the work: the orphans come back
	// after 2 s, the retries after their backoff.
	k := &killable{}
	fctx, stop := context.WithTimeout(ctx, 30*time.Second)
	finished := make(chan struct{})
	go func() { defer close(finished); incarnation(-1, k, fctx) }()
	for {
		b := mustBooks(t, client, nolossQueue)
		if b.Stream == 0 && b.Delayed == 0 {
			break
		}
		if fctx.Err() != nil {
			t.Fatalf("work left 30 s after the kills: %+v", b)
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	<-finished

	// Every record, checked.
	var mu sync.Mutex
	var bad []string
	succeeded, dead, charged := 0, 0, 0
	var wg sync.WaitGroup
	work := make(chan string)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				rec, err := client.Status(ctx, id)
				attempts, wantDead := kinds[id].wantAttempts()
				led.mu.Lock()
				cut := led.interrupted[id]
				led.mu.Unlock()
				mu.Lock()
				switch {
				case err != nil:
					bad = append(bad, fmt.Sprintf("%s: %v", id, err))
				case wantDead && (rec.State != queue.StateDead || rec.Attempts != attempts):
					bad = append(bad, fmt.Sprintf("%s (%+v): %s after %d attempts, want dead after %d", id, kinds[id], rec.State, rec.Attempts, attempts))
				case !wantDead && (rec.State != queue.StateSucceeded || rec.Attempts < attempts || rec.Attempts > attempts+cut):
					bad = append(bad, fmt.Sprintf("%s (%+v): %s after %d attempts, want succeeded after %d (+ up to %d cut short)", id, kinds[id], rec.State, rec.Attempts, attempts, cut))
				case wantDead:
					dead++
				default:
					succeeded++
					charged += rec.Attempts - attempts
				}
				mu.Unlock()
			}
		}()
	}
	for _, id := range ids {
		work <- id
	}
	close(work)
	wg.Wait()
	b, dups, executions := verdict(t, client, led, bad, succeeded, dead, "worker")
	t.Logf("%d jobs: %d succeeded, %d dead; %d executions, %d of them duplicates (an attempt run again after its worker was killed before recording it)",
		nolossJobs, succeeded, dead, executions, dups)
	t.Logf("%d kills in %v: %d crashes and %d cancels, with %d jobs running in all at those moments; %d attempts charged by cancels",
		crashes+cancels, killedAt.Round(time.Millisecond), crashes, cancels, inFlightAtKills, charged)
	t.Logf("worker summaries: %d reclaimed, %d given back, %d results dropped as not owned, %d lost; books %+v; %v in all",
		total.Reclaimed, total.GivenBack, total.NotOwned, total.Lost, b, time.Since(began).Round(time.Millisecond))
}

// verdict is the end of a no-loss run, shared by the in-process and the RIE
// variants: the per-record findings, books that balance with every job
// succeeded or dead as its handler dictates, and no execution lost by a
// worker (who: "worker" or "bootstrap") that did not know it. It returns the
// books and the duplicate and total execution counts for the report.
func verdict(t *testing.T, client *queue.Client, led *ledger, bad []string, succeeded, dead int, who string) (queue.Books, int, int) {
	t.Helper()
	for i, s := range bad {
		if i == 20 {
			t.Errorf("... and %d more", len(bad)-20)
			break
		}
		t.Error(s)
	}
	b := mustBooks(t, client, nolossQueue)
	if b.Drift() != 0 || b.Enqueued != nolossJobs || b.Succeeded != int64(succeeded) || b.Dead != int64(dead) || b.Lost != 0 ||
		b.Stream != 0 || b.Pending != 0 || b.Delayed != 0 || b.DeadLetters != int64(dead) || dead != nolossJobs/10 {
		t.Errorf("books %+v, drift %d; %d succeeded and %d dead by their records", b, b.Drift(), succeeded, dead)
	}
	dups, executions, unexplained := led.duplicates()
	for i, u := range unexplained {
		if i == 10 {
			t.Errorf("... and %d more", len(unexplained)-10)
			break
		}
		t.Errorf("a result was lost by a %s that did not know it: %s", who, u)
	}
	return b, dups, executions
}
