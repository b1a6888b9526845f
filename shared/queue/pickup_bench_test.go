package queue

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/redistest"
)

// BenchmarkPickup measures enqueue accepted → handler start for jobs due
// now, in the shape `lambdis serve` runs the worker (the Lambda shape on
// one machine): the enqueue wakes a run when no worker is awake on the
// queue, the run lingers for more, and a tick starts a run every interval.
// Beside it, in the same run, today's tick-only shape: no wake, no linger,
// a tick every 2s (the old `lambdis serve` default; deployed it was every
// minute, 30s on average). Each row reports p50, p99 and max in ms.
//
//	go test -run '^$' -bench Pickup -benchtime 1x ./shared/queue
func BenchmarkPickup(b *testing.B) {
	srv := redistest.StartServer(b)
	for _, shape := range []struct {
		name   string
		wake   bool
		linger time.Duration
		tick   time.Duration
	}{
		{"wake+linger", true, 5 * time.Second, time.Minute},
		{"wake-from-idle", true, 0, time.Minute},
		{"tick-only-2s", false, 0, 2 * time.Second},
	} {
		for _, load := range []struct {
			name  string
			jobs  int
			every time.Duration // 0: one burst
		}{
			{"1-per-s", 8, time.Second},
			{"100-per-s", 400, 10 * time.Millisecond},
			{"burst-10000", 10000, 0},
		} {
			b.Run(shape.name+"/"+load.name, func(b *testing.B) {
				for range b.N {
					rdb := srv.Client(b)
					if err := rdb.FlushAll(context.Background()).Err(); err != nil {
						b.Fatal(err)
					}
					lat := pickup(b, newClient(rdb), shape.wake, shape.linger, shape.tick, load.jobs, load.every)
					slices.Sort(lat)
					ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
					b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
					b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
					b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
				}
			})
		}
	}
}

// pickup enqueues jobs (one every every, or all at once in batches) to a
// worker of the given shape and returns each job's pickup latency.
func pickup(b *testing.B, c *Client, wake bool, linger, tick time.Duration, jobs int, every time.Duration) []time.Duration {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	accepted, started := map[string]time.Time{}, map[string]time.Time{}
	done := make(chan struct{})
	reg := NewRegistry()
	reg.Register("t", func(ctx context.Context, d Delivery) error {
		mu.Lock()
		started[d.ID] = time.Now()
		if len(started) == jobs {
			close(done)
		}
		mu.Unlock()
		return nil
	}, nil)
	cfg := WorkerConfig{JobTimeout: time.Second, Concurrency: 50, Batch: 500, Linger: linger}
	var runs sync.WaitGroup
	run := func(queues ...string) {
		runs.Add(1)
		go func() {
			defer runs.Done()
			rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
			defer rcancel()
			_, _ = NewWorker(c, reg, cfg, nil).Run(rctx, Plan{Queues: queues})
		}()
	}
	if wake {
		c.SetWaker(WakeFunc(func(_ context.Context, q string) error { run(q); return nil }))
		defer c.SetWaker(nil)
	}
	go func() { // the schedule
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				run("pick")
			}
		}
	}()
	enqueue := func(batch []Job) {
		out, err := c.EnqueueBatch(ctx, batch)
		now := time.Now()
		if err != nil {
			b.Error(err)
			return
		}
		mu.Lock()
		for _, e := range out {
			accepted[e.ID] = now
		}
		mu.Unlock()
	}
	if every == 0 {
		for sent := 0; sent < jobs; sent += MaxBatch {
			batch := make([]Job, min(MaxBatch, jobs-sent))
			for i := range batch {
				batch[i] = job("pick", "t", `{}`)
			}
			enqueue(batch)
		}
	} else {
		t := time.NewTicker(every)
		for range jobs {
			enqueue([]Job{job("pick", "t", `{}`)})
			<-t.C
		}
		t.Stop()
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		b.Fatalf("%d of %d jobs started", len(started), jobs)
	}
	cancel()
	runs.Wait()
	mu.Lock()
	defer mu.Unlock()
	lat := make([]time.Duration, 0, jobs)
	for id, a := range accepted {
		lat = append(lat, max(0, started[id].Sub(a)))
	}
	return lat
}
