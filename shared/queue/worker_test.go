package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

func drain(t *testing.T, w *Worker, budget time.Duration, queues ...string) Summary {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	s, err := w.Drain(ctx, queues, 0)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Retries wait out the backoff: never before attempt n's ceiling is drawn,
// and each wait is within [0, ceiling) of the policy.
func TestRetriesFollowBackoff(t *testing.T) {
	rdb := redistest.StartServer(t).Client(t)
	ctx := context.Background()
	c := newClient(rdb)
	var mu sync.Mutex
	var runs []time.Time
	reg := NewRegistry()
	reg.Register("fail", func(ctx context.Context, d Delivery) error {
		mu.Lock()
		runs = append(runs, time.Now())
		mu.Unlock()
		return errors.New("try later")
	}, nil)
	j := job("retry", "fail", `{}`)
	j.MaxAttempts = 4
	e, err := c.Enqueue(ctx, j)
	if err != nil {
		t.Fatal(err)
	}
	first, err := c.Status(ctx, e.ID)
	if err != nil || first.CreatedAt.IsZero() {
		t.Fatalf("status after enqueue: %+v %v", first, err)
	}
	draws := []float64{0.5, 0.9, 0.99}
	var n atomic.Int64
	bo := Backoff{Base: 100 * time.Millisecond, Max: 300 * time.Millisecond, Rand: func() float64 { return draws[n.Add(1)-1] }}
	w := NewWorker(c, reg, WorkerConfig{JobTimeout: time.Second, MaxBlock: 10 * time.Millisecond, Backoff: bo}, nil)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		drain(t, w, 5*time.Second, "retry")
		if rec, _ := c.Status(ctx, e.ID); rec.State == StateDead {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	rec, err := c.Status(ctx, e.ID)
	if err != nil || rec.State != StateDead || len(runs) != 4 {
		t.Fatalf("%+v %v runs %d", rec, err, len(runs))
	}
	// Each retry put the job on the stream again under a new entry id; it
	// was still created when it was first enqueued.
	if !rec.CreatedAt.Equal(first.CreatedAt) || !rec.UpdatedAt.After(rec.CreatedAt) {
		t.Errorf("created %v, updated %v after retries; created %v when enqueued", rec.CreatedAt, rec.UpdatedAt, first.CreatedAt)
	}
	// Waits: 0.5*100ms, 0.9*200ms, 0.99*300ms (capped). Due times are
	// whole milliseconds of Redis time, so a retry may start up to 1ms
	// before the wait measured on this machine's clock, never more.
	for i, want := range []time.Duration{50 * time.Millisecond, 180 * time.Millisecond, 297 * time.Millisecond} {
		got := runs[i+1].Sub(runs[i])
		if got < want-time.Millisecond {
			t.Errorf("retry %d ran after %v, before its backoff %v", i+1, got, want)
		}
		if c := bo.Ceiling(i + 1); want >= c {
			t.Errorf("draw exceeds ceiling %v", c)
		}
	}
}

func TestBackoffCeiling(t *testing.T) {
	b := Backoff{Base: time.Second, Max: time.Minute, Rand: func() float64 { return 0.999999 }}
	for attempt, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 6: 32 * time.Second, 7: time.Minute, 200: time.Minute} {
		if got := b.Ceiling(attempt); got != want {
			t.Errorf("Ceiling(%d) = %v, want %v", attempt, got, want)
		}
		if d := b.Delay(attempt); d >= want || d < want*99/100 {
			t.Errorf("Delay(%d) = %v, want just under %v", attempt, d, want)
		}
	}
	b.Rand = func() float64 { return 0 }
	if d := b.Delay(1); d != time.Millisecond {
		t.Errorf("Delay with a zero draw = %v, want the 1ms floor", d)
	}
}

// A delayed job never runs before it is due, by Redis time.
func TestDelayedNeverEarly(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		c := newClient(rdb)
		ran := make(chan time.Time, 10)
		reg := NewRegistry()
		reg.Register("at", func(ctx context.Context, d Delivery) error {
			ran <- time.Now()
			return nil
		}, nil)
		j := job("later", "at", `{}`)
		j.Delay = 400 * time.Millisecond
		before := time.Now()
		e, err := c.Enqueue(ctx, j)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := c.Status(ctx, e.ID)
		if err != nil || rec.State != StateDelayed || rec.RunAt == nil {
			t.Fatalf("%+v %v", rec, err)
		}
		due := *rec.RunAt
		w := NewWorker(c, reg, WorkerConfig{JobTimeout: time.Second, MaxBlock: 10 * time.Millisecond}, nil)
		for len(ran) == 0 && time.Since(before) < 5*time.Second {
			drain(t, w, 3*time.Second, "later")
			time.Sleep(20 * time.Millisecond)
		}
		select {
		case at := <-ran:
			// The due time is Redis time; allow the clocks 5 ms of disagreement.
			if at.Before(due.Add(-5 * time.Millisecond)) {
				t.Fatalf("ran at %v, due %v", at, due)
			}
		default:
			t.Fatal("the delayed job never ran")
		}
		run := job("later", "at", `{}`)
		run.RunAt = time.Now().Add(time.Hour)
		e, err = c.Enqueue(ctx, run)
		if err != nil {
			t.Fatal(err)
		}
		drain(t, w, 2*time.Second, "later")
		if rec, _ := c.Status(ctx, e.ID); rec.State != StateDelayed {
			t.Fatalf("a job due in an hour is %s", rec.State)
		}
	}, redistest.BackendServer, redistest.BackendCluster)
}

// Several queues on the 3-master cluster: every script runs (no CROSSSLOT)
// and each queue keeps its own books.
func TestSeveralQueuesOnCluster(t *testing.T) {
	rdb := redistest.StartCluster(t).Client(t)
	ctx := context.Background()
	c := newClient(rdb)
	reg := NewRegistry()
	reg.Register("ok", func(ctx context.Context, d Delivery) error { return nil }, nil)
	reg.Register("bad", func(ctx context.Context, d Delivery) error { return Permanent(errors.New("no")) }, nil)
	queues := []string{"alpha", "beta", "gamma", "delta", "epsilon", "zeta"}
	var batch []Job
	for i, q := range queues {
		for n := 0; n < 20; n++ {
			typ := "ok"
			if n%5 == 0 {
				typ = "bad"
			}
			j := job(q, typ, fmt.Sprintf(`{"n":%d}`, n))
			if n%7 == 0 {
				j.IdempotencyKey = fmt.Sprintf("k-%d-%d", i, n)
			}
			batch = append(batch, j)
		}
	}
	if _, err := c.EnqueueBatch(ctx, batch); err != nil {
		t.Fatal(err)
	}
	w := NewWorker(c, reg, WorkerConfig{JobTimeout: time.Second, MaxBlock: 10 * time.Millisecond}, nil)
	sum := drain(t, w, 10*time.Second, queues...)
	if sum.Succeeded != 96 || sum.Dead != 24 {
		t.Fatalf("summary %+v", sum)
	}
	for _, q := range queues {
		b := mustBooks(t, c, q)
		if b.Succeeded != 16 || b.Dead != 4 || b.Drift() != 0 {
			t.Fatalf("%s books %+v", q, b)
		}
		if _, err := c.Redrive(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
}

// An entry whose worker died is reclaimed once idle past the threshold; one
// that keeps killing workers goes to the dead letters; an entry deleted while
// pending is counted as lost.
func TestReclaimDeliveriesAndLost(t *testing.T) {
	rdb := redistest.StartServer(t).Client(t)
	ctx := context.Background()
	c := newClient(rdb)
	var ran atomic.Int64
	reg := NewRegistry()
	reg.Register("ok", func(ctx context.Context, d Delivery) error { ran.Add(1); return nil }, nil)
	cfg := WorkerConfig{JobTimeout: time.Second, MaxBlock: 10 * time.Millisecond, FunctionTimeout: 50 * time.Millisecond, ReclaimMargin: 50 * time.Millisecond, MaxDeliveries: 3}
	a, _ := c.Enqueue(ctx, job("crash", "ok", `{"a":1}`))
	b, _ := c.Enqueue(ctx, job("crash", "ok", `{"b":1}`))
	k, _ := newQueueKeys(c.keys, "crash")
	// A worker "crashes": it reads both entries and never settles them.
	msgs := readAs(t, rdb, k, "crashed-1", 10)
	if len(msgs) != 2 {
		t.Fatalf("read %v", msgs)
	}
	// Someone deletes b's entry while it is pending (what MAXLEN trimming does).
	for _, m := range msgs {
		if m.d.ID == b.ID {
			rdb.XDel(ctx, k.stream, m.entry)
		}
	}
	time.Sleep(150 * time.Millisecond)
	sum := drain(t, NewWorker(c, reg, cfg, nil), 3*time.Second, "crash")
	if sum.Reclaimed != 1 || sum.Lost != 1 || sum.Succeeded != 1 || ran.Load() != 1 {
		t.Fatalf("summary %+v ran %d", sum, ran.Load())
	}
	if rec, _ := c.Status(ctx, a.ID); rec.State != StateSucceeded {
		t.Fatalf("reclaimed job %+v", rec)
	}
	if books := mustBooks(t, c, "crash"); books.Lost != 1 || books.Drift() != 0 {
		t.Fatalf("books %+v", books)
	}

	// A job that crashes its worker on every delivery ends in the dead letters.
	poison, _ := c.Enqueue(ctx, job("crash", "ok", `{"poison":1}`))
	crashed := cfg
	for i := 0; i < 3; i++ {
		crashed.Consumer = fmt.Sprintf("crashed-%d", i+2)
		cw := NewWorker(c, reg, crashed, nil)
		if i == 0 {
			readAs(t, rdb, k, crashed.Consumer, 10)
		} else if _, _, _, _, err := cw.reclaim(ctx, k, "crash", 10); err != nil {
			t.Fatal(err)
		}
		time.Sleep(150 * time.Millisecond)
	}
	sum = drain(t, NewWorker(c, reg, cfg, nil), 3*time.Second, "crash")
	rec, _ := c.Status(ctx, poison.ID)
	if sum.Dead != 1 || rec.State != StateDead || ran.Load() != 1 {
		t.Fatalf("poison job: %+v %+v ran %d", sum, rec, ran.Load())
	}
	if books := mustBooks(t, c, "crash"); books.Drift() != 0 || books.DeadLetters != 1 {
		t.Fatalf("books %+v", books)
	}
	// Consumers that own nothing and idle past the threshold are removed.
	time.Sleep(20 * time.Millisecond)
	w := NewWorker(c, reg, WorkerConfig{JobTimeout: time.Second, MaxBlock: 10 * time.Millisecond, IdleConsumer: 10 * time.Millisecond}, nil)
	if s := drain(t, w, 2*time.Second, "crash"); s.ConsumersRemoved < 3 {
		t.Fatalf("removed %d consumers", s.ConsumersRemoved)
	}
}

// Unknown types are dead-lettered, never dropped; panics are failures.
func TestUnknownTypeAndPanic(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		c := newClient(rdb)
		reg := NewRegistry()
		reg.Register("panics", func(ctx context.Context, d Delivery) error { panic("bad handler") }, nil)
		u, _ := c.Enqueue(ctx, job("misc", "mystery", `{}`))
		pj := job("misc", "panics", `{}`)
		pj.MaxAttempts = 1
		p, _ := c.Enqueue(ctx, pj)
		sum := drain(t, NewWorker(c, reg, WorkerConfig{JobTimeout: time.Second, MaxBlock: 10 * time.Millisecond}, nil), 3*time.Second, "misc")
		if sum.Dead != 2 {
			t.Fatalf("summary %+v", sum)
		}
		for _, id := range []string{u.ID, p.ID} {
			rec, err := c.Status(ctx, id)
			if err != nil || rec.State != StateDead || rec.LastError == "" {
				t.Fatalf("%s: %+v %v", id, rec, err)
			}
		}
	})
}

func TestInvalidJobsWriteNothing(t *testing.T) {
	s := redistest.StartServer(t)
	rdb := s.Client(t)
	ctx := context.Background()
	c := newClient(rdb)
	big := make([]byte, MaxPayload+1)
	for i := range big {
		big[i] = ' '
	}
	big[0], big[len(big)-1] = '"', '"'
	for name, j := range map[string]Job{
		"brace queue":    job("a{b}", "t", `{}`),
		"ctl queue":      job("a\nb", "t", `{}`),
		"long queue":     job(string(make([]byte, 65)), "t", `{}`),
		"colon queue":    job("a:b", "t", `{}`),
		"empty type":     job("q", "", `{}`),
		"bad json":       job("q", "t", `{`),
		"big payload":    job("q", "t", string(big)),
		"negative delay": {Queue: "q", Type: "t", Delay: -time.Second},
		"both delays":    {Queue: "q", Type: "t", Delay: time.Second, RunAt: time.Now()},
		"attempts":       {Queue: "q", Type: "t", MaxAttempts: 101},
		"key space":      {Queue: "q", Type: "t", IdempotencyKey: "a b"},
	} {
		if _, err := c.Enqueue(ctx, j); !errors.Is(err, ErrInvalidJob) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := c.EnqueueBatch(ctx, []Job{job("q", "t", `{}`), job("q{", "t", `{}`)}); err == nil {
		t.Error("a batch with one invalid job was accepted")
	}
	if n := rdb.DBSize(ctx).Val(); n != 0 {
		t.Fatalf("invalid jobs wrote %d keys", n)
	}
	if _, err := c.Status(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("status of a bad id: %v", err)
	}
	if _, err := c.Status(ctx, "q:"+fmt.Sprintf("%032x", 1)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("status of an unknown id: %v", err)
	}
}

func TestRecordJSON(t *testing.T) {
	rec, err := parseRecord(`{"id":"q:0123456789abcdef0123456789abcdef","type":"t","state":"retrying","attempts":1,"max_attempts":3,"created_ms":1000,"updated_ms":2000,"run_at_ms":3000,"errors":[{"attempt":1,"error":"x","at_ms":1500}]}`)
	if err != nil || rec.Queue != "q" || rec.RunAt == nil || len(rec.Errors) != 1 || rec.Errors[0].At.UnixMilli() != 1500 {
		t.Fatalf("%+v %v", rec, err)
	}
	if rec, err := parseRecord(`{"id":"x","errors":{}}`); err != nil || rec.Errors != nil {
		t.Fatalf("empty cjson object as errors: %+v %v", rec, err)
	}
	if _, err := json.Marshal(rec); err != nil {
		t.Fatal(err)
	}
}

// Large batches: every job is settled by its owner (the ownership check
// must see all of a consumer's pending entries).
func TestLargeBatchesSettleEverything(t *testing.T) {
	rdb := redistest.StartServer(t).Client(t)
	c := newClient(rdb)
	reg := NewRegistry()
	reg.Register("noop", func(ctx context.Context, d Delivery) error { return nil }, nil)
	var batch []Job
	for i := 0; i < 6000; i++ {
		batch = append(batch, job("lanes", "noop", `{}`))
		if len(batch) == MaxBatch {
			if _, err := c.EnqueueBatch(context.Background(), batch); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	w := NewWorker(c, reg, WorkerConfig{Batch: 500, Concurrency: 50, JobTimeout: time.Second, MaxBlock: 10 * time.Millisecond}, nil)
	sum := drain(t, w, 30*time.Second, "lanes")
	if sum.Succeeded != 6000 || sum.NotOwned != 0 || sum.Pending != 0 || sum.Backlog != 0 {
		t.Fatalf("summary %+v", sum)
	}
	if b := mustBooks(t, c, "lanes"); b.Drift() != 0 || b.Stream != 0 {
		t.Fatalf("books %+v", b)
	}
}

func TestEntryLess(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		less bool
	}{{"1-0", "2-0", true}, {"9-0", "10-0", true}, {"10-0", "9-0", false}, {"5-2", "5-10", true}, {"5-10", "5-2", false}, {"5-1", "5-1", false}} {
		if got := entryLess(tc.a, tc.b); got != tc.less {
			t.Errorf("entryLess(%s, %s) = %v", tc.a, tc.b, got)
		}
	}
}

// readAs reads up to n new entries of a queue as consumer (creating the
// group), as a worker that then crashes would.
func readAs(t *testing.T, rdb redis.UniversalClient, k queueKeys, consumer string, n int64) []work {
	t.Helper()
	ctx := context.Background()
	if err := rdb.XGroupCreateMkStream(ctx, k.stream, Group, "0").Err(); err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		t.Fatal(err)
	}
	res, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: Group, Consumer: consumer, Streams: []string{k.stream, ">"}, Count: n, Block: -1}).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		t.Fatal(err)
	}
	var out []work
	for _, st := range res {
		for _, m := range st.Messages {
			s := func(f string) string { v, _ := m.Values[f].(string); return v }
			out = append(out, work{entry: m.ID, d: delivery(k.queue, s("id"), s("type"), s("payload"), s("attempt"), s("max"), 1)})
		}
	}
	return out
}
