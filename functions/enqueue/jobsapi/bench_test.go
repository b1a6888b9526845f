package jobsapi

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/lambdis/lambdis/shared/jobs"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/queue"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

// BenchmarkEnqueue compares, on one real redis-server and in one run:
//
//	xadd/callers=50            one raw XADD of the same fields (the baseline)
//	enqueue/callers=50         queue.Client.Enqueue: the enqueue script (idempotency
//	                           check, job record, XADD, counters)
//	enqueue-idem/callers=50    the same with an Idempotency-Key (an idempotency record
//	                           claimed and completed in the same script)
//	handler/callers=50         the whole POST /jobs: JSON decoding, validation, enqueue, answer
//	xadd-pipeline/batch=100    100 raw XADDs in one pipeline (the baseline for batches)
//	enqueue-batch/batch=100    queue.Client.EnqueueBatch of 100 jobs (one script call)
//
// Batches run from 4 callers; their jobs/s metric counts jobs, ops/s
// batches. The server is flushed before each. Read the results as ratios
// against the baseline from the same run (see the README).
func BenchmarkEnqueue(b *testing.B) {
	srv := redistest.StartServer(b)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, PoolSize: 64})
	b.Cleanup(func() { _ = rdb.Close() })
	c := queue.NewClient(rdb, keys.Builder{}, 0)
	f := newFixture(b, rdb)
	f.h.Log = nil
	ctx := context.Background()
	payload := json.RawMessage(`{"keys":["lambdis:cache:{user:42}"]}`)
	job := queue.Job{Queue: "bench", Type: jobs.TypeCacheInvalidate, Payload: payload}
	stream, err := keys.Builder{}.Key(queue.Module, "bench", "baseline")
	if err != nil {
		b.Fatal(err)
	}
	xadd := func(ctx context.Context, p redis.Cmdable) *redis.StringCmd {
		return p.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []any{
			"id", "bench:0123456789abcdef0123456789abcdef", "type", job.Type, "payload", string(payload), "attempt", 1, "max", 5,
		}})
	}
	flush := func(b *testing.B) {
		b.Helper()
		if err := rdb.FlushAll(ctx).Err(); err != nil {
			b.Fatal(err)
		}
	}
	const callers, batch, batchCallers = 50, 100, 4

	b.Run(fmt.Sprintf("xadd/callers=%d", callers), func(b *testing.B) {
		flush(b)
		redistest.RunCallers(b, callers, func(ctx context.Context) error { return xadd(ctx, rdb).Err() })
	})
	b.Run(fmt.Sprintf("enqueue/callers=%d", callers), func(b *testing.B) {
		flush(b)
		redistest.RunCallers(b, callers, func(ctx context.Context) error {
			_, err := c.Enqueue(ctx, job)
			return err
		})
	})
	var n atomic.Int64
	b.Run(fmt.Sprintf("enqueue-idem/callers=%d", callers), func(b *testing.B) {
		flush(b)
		redistest.RunCallers(b, callers, func(ctx context.Context) error {
			j := job
			j.IdempotencyKey = "k-" + strconv.FormatInt(n.Add(1), 10)
			_, err := c.Enqueue(ctx, j)
			return err
		})
	})
	req := post(cacheJob("bench", "lambdis:cache:{user:42}"))
	b.Run(fmt.Sprintf("handler/callers=%d", callers), func(b *testing.B) {
		flush(b)
		redistest.RunCallers(b, callers, func(ctx context.Context) error {
			resp, err := f.h.Handle(ctx, req)
			if err == nil && resp.StatusCode != 202 {
				err = fmt.Errorf("status %d: %s", resp.StatusCode, resp.Body)
			}
			return err
		})
	})
	b.Run(fmt.Sprintf("xadd-pipeline/batch=%d", batch), func(b *testing.B) {
		flush(b)
		redistest.RunCallers(b, batchCallers, func(ctx context.Context) error {
			_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
				for range batch {
					xadd(ctx, p)
				}
				return nil
			})
			return err
		})
		b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "jobs/s")
	})
	jobsOf := make([]queue.Job, batch)
	for i := range jobsOf {
		jobsOf[i] = job
	}
	b.Run(fmt.Sprintf("enqueue-batch/batch=%d", batch), func(b *testing.B) {
		flush(b)
		redistest.RunCallers(b, batchCallers, func(ctx context.Context) error {
			_, err := c.EnqueueBatch(ctx, jobsOf)
			return err
		})
		b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "jobs/s")
	})
}
