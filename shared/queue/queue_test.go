package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

func newClient(rdb redis.UniversalClient) *Client { return NewClient(rdb, keys.Builder{}, 0) }

func job(queue, typ string, payload string) Job {
	return Job{Queue: queue, Type: typ, Payload: json.RawMessage(payload)}
}

func mustBooks(t *testing.T, c *Client, q string) Books {
	t.Helper()
	b, err := c.Books(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEnqueueDrainSucceed(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		c := newClient(rdb)
		var ran atomic.Int64
		reg := NewRegistry()
		reg.Register("noop", func(ctx context.Context, d Delivery) error {
			if string(d.Payload) != `{"n":1}` || d.Attempt != 1 || d.Queue != "email" {
				return Permanent(fmt.Errorf("unexpected delivery %+v", d))
			}
			ran.Add(1)
			return nil
		}, nil)
		var ids []string
		for i := 0; i < 25; i++ {
			e, err := c.Enqueue(ctx, job("email", "noop", `{"n":1}`))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, e.ID)
		}
		rec, err := c.Status(ctx, ids[0])
		if err != nil || rec.State != StateQueued || rec.Queue != "email" || rec.MaxAttempts != DefaultAttempts {
			t.Fatalf("status before drain: %+v %v", rec, err)
		}
		w := NewWorker(c, reg, WorkerConfig{Batch: 10, JobTimeout: time.Second, MaxBlock: 50 * time.Millisecond}, nil)
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		sum, err := w.Drain(dctx, []string{"email"}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Succeeded != 25 || ran.Load() != 25 || sum.Backlog != 0 || sum.Pending != 0 {
			t.Fatalf("summary %+v, ran %d", sum, ran.Load())
		}
		rec, err = c.Status(ctx, ids[3])
		if err != nil || rec.State != StateSucceeded || rec.Attempts != 1 || rec.FinishedAt == nil {
			t.Fatalf("status after drain: %+v %v", rec, err)
		}
		b := mustBooks(t, c, "email")
		if b.Enqueued != 25 || b.Succeeded != 25 || b.Drift() != 0 || b.Stream != 0 {
			t.Fatalf("books %+v drift %d", b, b.Drift())
		}
	})
}

func TestRetryThenDeadAndRedrive(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		c := newClient(rdb)
		var calls atomic.Int64
		reg := NewRegistry()
		reg.Register("flaky", func(ctx context.Context, d Delivery) error {
			calls.Add(1)
			return errors.New("boom")
		}, nil)
		j := job("billing", "flaky", `{}`)
		j.MaxAttempts = 3
		e, err := c.Enqueue(ctx, j)
		if err != nil {
			t.Fatal(err)
		}
		w := NewWorker(c, reg, WorkerConfig{JobTimeout: time.Second, MaxBlock: 20 * time.Millisecond,
			Backoff: Backoff{Base: time.Millisecond, Max: 5 * time.Millisecond}}, nil)
		for i := 0; i < 50 && calls.Load() < 3; i++ {
			dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			if _, err := w.Drain(dctx, []string{"billing"}, 0); err != nil {
				t.Fatal(err)
			}
			cancel()
			time.Sleep(10 * time.Millisecond)
		}
		rec, err := c.Status(ctx, e.ID)
		if err != nil || rec.State != StateDead || rec.Attempts != 3 || len(rec.Errors) != 3 || calls.Load() != 3 {
			t.Fatalf("after 3 failures: %+v %v calls %d", rec, err, calls.Load())
		}
		dl, err := c.DeadLetters(ctx, "billing", 10, "")
		if err != nil || len(dl) != 1 || dl[0].JobID != e.ID || dl[0].Attempts != 3 || dl[0].Error == "" {
			t.Fatalf("dead letters %+v %v", dl, err)
		}
		b := mustBooks(t, c, "billing")
		if b.Dead != 1 || b.Retried != 2 || b.Drift() != 0 || b.DeadLetters != 1 {
			t.Fatalf("books %+v", b)
		}
		ids, err := c.Redrive(ctx, "billing")
		if err != nil || len(ids) != 1 || ids[0] != e.ID {
			t.Fatalf("redrive %v %v", ids, err)
		}
		if rec, _ := c.Status(ctx, e.ID); rec.State != StateQueued && rec.State != StateActive {
			t.Fatalf("after redrive: %+v", rec)
		}
		if b := mustBooks(t, c, "billing"); b.Drift() != 0 || b.DeadLetters != 0 || b.Redriven != 1 {
			t.Fatalf("books after redrive %+v", b)
		}
	})
}

func TestIdempotentEnqueue(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		c := newClient(rdb)
		j := job("orders", "noop", `{"order":42}`)
		j.IdempotencyKey = "order-42"
		var wg sync.WaitGroup
		ids := make([]string, 100)
		errs := make([]error, 100)
		for i := range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				e, err := c.Enqueue(ctx, j)
				ids[i], errs[i] = e.ID, err
			}()
		}
		wg.Wait()
		for i := range ids {
			if errs[i] != nil || ids[i] != ids[0] {
				t.Fatalf("enqueue %d: %s %v (first %s)", i, ids[i], errs[i], ids[0])
			}
		}
		b := mustBooks(t, c, "orders")
		if b.Stream != 1 || b.Enqueued != 100 || b.Deduplicated != 99 || b.Drift() != 0 {
			t.Fatalf("books %+v", b)
		}
		other := j
		other.Payload = json.RawMessage(`{"order":43}`)
		if _, err := c.Enqueue(ctx, other); !errors.Is(err, ErrIdempotencyConflict) {
			t.Fatalf("same key, other payload: %v", err)
		}
	})
}

// A batch over queues on several cluster nodes, one of which has lost its
// scripts (a new or restarted node): only the refused queues are enqueued
// again, so each job lands exactly once.
func TestEnqueueBatchAfterNoScriptOnOneNode(t *testing.T) {
	ctx := context.Background()
	cl := redistest.StartCluster(t)
	rdb := cl.Client(t)
	c := newClient(rdb)
	queues := []string{"q0", "q1", "q2", "q3", "q4", "q5", "q6", "q7"}
	batch := func() []Job {
		var jobs []Job
		for _, q := range queues {
			jobs = append(jobs, job(q, "noop", `{}`))
		}
		return jobs
	}
	if _, err := c.EnqueueBatch(ctx, batch()); err != nil {
		t.Fatal(err)
	}
	nodes := map[string]bool{}
	for _, q := range queues {
		k, err := newQueueKeys(c.keys, q)
		if err != nil {
			t.Fatal(err)
		}
		addr, err := rdb.MasterForKey(ctx, k.stream)
		if err != nil {
			t.Fatal(err)
		}
		nodes[addr.Options().Addr] = true
	}
	if len(nodes) < 2 {
		t.Fatalf("the queues landed on %d node(s); the test needs several", len(nodes))
	}
	// Flush the scripts of the node that holds q0 only.
	k0, _ := newQueueKeys(c.keys, "q0")
	n0, err := rdb.MasterForKey(ctx, k0.stream)
	if err != nil {
		t.Fatal(err)
	}
	if err := n0.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	out, err := c.EnqueueBatch(ctx, batch())
	if err != nil {
		t.Fatal(err)
	}
	for i, q := range queues {
		if out[i].Err != nil {
			t.Fatalf("%s: %v", q, out[i].Err)
		}
		k, _ := newQueueKeys(c.keys, q)
		if n := rdb.XLen(ctx, k.stream).Val(); n != 2 {
			t.Errorf("queue %s holds %d entries after two batches of one job, want 2", q, n)
		}
	}
}

// Every enqueue path writes a record with the server's times: a job due now
// takes them from its stream entry id (no TIME), the others from TIME; names
// that need JSON escaping survive the client-built record.
func TestEnqueueRecordTimes(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		c := newClient(rdb)
		q, typ := `r"é\`, "t\"\x01é\\"
		near := func(what string, got, want time.Time) {
			t.Helper()
			if d := got.Sub(want); d < -5*time.Second || d > 5*time.Second {
				t.Errorf("%s: %v, want about %v", what, got, want)
			}
		}
		now := time.Now()
		jobs := []Job{
			{Queue: q, Type: typ, Payload: json.RawMessage(`{"n":1}`)},
			{Queue: q, Type: typ, Delay: time.Hour},
			{Queue: q, Type: typ, RunAt: now.Add(-time.Minute)},
			{Queue: q, Type: typ, IdempotencyKey: "k1"},
			{Queue: q, Type: typ},
		}
		out, err := c.EnqueueBatch(ctx, jobs)
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range out {
			rec, err := c.Status(ctx, e.ID)
			if err != nil || e.Err != nil || rec.Queue != q || rec.Type != typ || rec.ID != e.ID {
				t.Fatalf("job %d: %+v %v %v", i, rec, err, e.Err)
			}
			near(fmt.Sprintf("job %d created", i), rec.CreatedAt, now)
			near(fmt.Sprintf("job %d updated", i), rec.UpdatedAt, now)
			want := StateQueued
			if i == 1 {
				want = StateDelayed
				if rec.RunAt == nil {
					t.Fatalf("delayed job without run_at: %+v", rec)
				}
				near("delayed job's run_at", *rec.RunAt, now.Add(time.Hour))
			}
			if rec.State != want || (i == 3) != (rec.IdempotencyKey == "k1") {
				t.Errorf("job %d: %+v", i, rec)
			}
		}
		if b := mustBooks(t, c, q); b.Enqueued != 5 || b.Stream != 4 || b.Delayed != 1 || b.Drift() != 0 {
			t.Fatalf("books %+v drift %d", b, b.Drift())
		}
		// Jobs due now without keys (enqueuenow.lua), one and many at a
		// time, are counted by their records like the others.
		if _, err := c.Enqueue(ctx, Job{Queue: q, Type: typ}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.EnqueueBatch(ctx, []Job{{Queue: q, Type: typ}, {Queue: q, Type: typ}}); err != nil {
			t.Fatal(err)
		}
		if b := mustBooks(t, c, q); b.Enqueued != 8 || b.Stream != 7 || b.Delayed != 1 || b.Drift() != 0 {
			t.Fatalf("books %+v drift %d", b, b.Drift())
		}
	})
}
