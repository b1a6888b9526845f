package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

const benchJobs = 20000

// BenchmarkDrain measures draining 20,000 no-op jobs, beside a raw
// XREADGROUP + XACK/XDEL loop over the same number of entries on the same
// server in the same run. Report jobs/s as ratios to the raw baseline.
func BenchmarkDrain(b *testing.B) {
	rdb := redis.NewClient(&redis.Options{Addr: redistest.StartServer(b).Addr, PoolSize: 64})
	b.Cleanup(func() { _ = rdb.Close() })
	ctx := context.Background()
	c := newClient(rdb)
	fill := func(b *testing.B, queue string) {
		b.Helper()
		jobs := make([]Job, 0, MaxBatch)
		for i := 0; i < benchJobs; i++ {
			jobs = append(jobs, Job{Queue: queue, Type: "noop", Payload: json.RawMessage(`{"n":1}`)})
			if len(jobs) == MaxBatch {
				if _, err := c.EnqueueBatch(ctx, jobs); err != nil {
					b.Fatal(err)
				}
				jobs = jobs[:0]
			}
		}
	}
	b.Run("raw_xreadgroup_xack", func(b *testing.B) {
		var total time.Duration
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			stream := fmt.Sprintf("raw:%d", i)
			rdb.XGroupCreateMkStream(ctx, stream, "g", "0")
			p := rdb.Pipeline()
			for n := 0; n < benchJobs; n++ {
				p.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []any{"id", "x", "type", "noop", "payload", `{"n":1}`}})
				if n%500 == 499 {
					if _, err := p.Exec(ctx); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.StartTimer()
			start := time.Now()
			for done := 0; done < benchJobs; {
				res, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c", Streams: []string{stream, ">"}, Count: 100, Block: 10 * time.Millisecond}).Result()
				if err != nil {
					b.Fatal(err)
				}
				ids := make([]string, 0, 100)
				for _, m := range res[0].Messages {
					ids = append(ids, m.ID)
				}
				p := rdb.Pipeline()
				p.XAck(ctx, stream, "g", ids...)
				p.XDel(ctx, stream, ids...)
				if _, err := p.Exec(ctx); err != nil {
					b.Fatal(err)
				}
				done += len(ids)
			}
			total += time.Since(start)
		}
		b.ReportMetric(float64(benchJobs*b.N)/total.Seconds(), "jobs/s")
	})
	reg := NewRegistry()
	reg.Register("noop", func(ctx context.Context, d Delivery) error { return nil }, nil)
	b.Run("worker_concurrency=50", func(b *testing.B) {
		var total time.Duration
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			q := fmt.Sprintf("bench%d", i)
			fill(b, q)
			w := NewWorker(c, reg, WorkerConfig{Concurrency: 50, Batch: 500, JobTimeout: 10 * time.Second, MaxBlock: 10 * time.Millisecond}, nil)
			b.StartTimer()
			start := time.Now()
			dctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
			s, err := w.Drain(dctx, []string{q}, 0)
			cancel()
			total += time.Since(start)
			if err != nil || s.Succeeded != benchJobs {
				b.Fatalf("%+v %v", s, err)
			}
		}
		b.ReportMetric(float64(benchJobs*b.N)/total.Seconds(), "jobs/s")
	})
}

// BenchmarkEnqueue measures single-job enqueues from 50 callers and batches
// of 100, beside a raw XADD of the same fields from the same number of
// callers on the same server in the same run.
func BenchmarkEnqueue(b *testing.B) {
	rdb := redis.NewClient(&redis.Options{Addr: redistest.StartServer(b).Addr, PoolSize: 64})
	b.Cleanup(func() { _ = rdb.Close() })
	c := newClient(rdb)
	payload := json.RawMessage(`{"to":"alice@example.com","template":"welcome"}`)
	b.Run("raw_xadd/callers=50", func(b *testing.B) {
		redistest.RunCallers(b, 50, func(ctx context.Context) error {
			return rdb.XAdd(ctx, &redis.XAddArgs{Stream: "raw", Values: []any{"id", "x", "type", "email", "payload", string(payload), "attempt", 1, "max", 5}}).Err()
		})
	})
	b.Run("enqueue/callers=50", func(b *testing.B) {
		redistest.RunCallers(b, 50, func(ctx context.Context) error {
			_, err := c.Enqueue(ctx, Job{Queue: "single", Type: "email", Payload: payload})
			return err
		})
	})
	// The common deployed case: a worker awake on the queue (its lease
	// held), so the script only reads the lease.
	b.Run("enqueue_worker_awake/callers=50", func(b *testing.B) {
		k, _ := newQueueKeys(c.keys, "awake")
		if err := rdb.Set(context.Background(), k.awake, "busy:bench", time.Hour).Err(); err != nil {
			b.Fatal(err)
		}
		redistest.RunCallers(b, 50, func(ctx context.Context) error {
			_, err := c.Enqueue(ctx, Job{Queue: "awake", Type: "email", Payload: payload})
			return err
		})
	})
	batch := make([]Job, 100)
	for i := range batch {
		batch[i] = Job{Queue: "batch", Type: "email", Payload: payload}
	}
	b.Run("enqueue_batch100/callers=50", func(b *testing.B) {
		redistest.RunCallers(b, 50, func(ctx context.Context) error {
			_, err := c.EnqueueBatch(ctx, batch)
			return err
		})
		b.ReportMetric(b.Elapsed().Seconds(), "s") // context for jobs/s = 100 * ops/s
	})
}
