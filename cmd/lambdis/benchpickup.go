package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lambdis/lambdis/shared/queue"
	"github.com/redis/go-redis/v9"
)

// preparePickup measures a job from enqueue to the start of its handler,
// with a worker run awake on the queue (lingering, as a woken run is), beside
// the floor of any stream queue: XADD until a consumer blocked in
// XREADGROUP reads it. Both run until the scenario ends (benchEnv.cleanup).
func preparePickup(ctx context.Context, e *benchEnv) (benchOp, benchOp, error) {
	var waiters sync.Map // token -> chan struct{}
	signal := func(token string) {
		if ch, ok := waiters.LoadAndDelete(token); ok {
			close(ch.(chan struct{}))
		}
	}
	var next atomic.Int64
	wait := func(ctx context.Context, send func(token string) error) error {
		token := strconv.FormatInt(next.Add(1), 10)
		ch := make(chan struct{})
		waiters.Store(token, ch)
		if err := send(token); err != nil {
			waiters.Delete(token)
			return err
		}
		select {
		case <-ch:
			return nil
		case <-ctx.Done():
			waiters.Delete(token)
			return ctx.Err()
		}
	}
	wctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	e.cleanup = append(e.cleanup, func() { stop(); wg.Wait() })

	// Lambdis: a lingering run, as many job slots as callers.
	c := queue.NewClient(e.rdb, e.kb, 0)
	reg := queue.NewRegistry()
	reg.Register("bench.pickup", func(_ context.Context, d queue.Delivery) error {
		var p struct{ T string }
		_ = json.Unmarshal(d.Payload, &p)
		signal(p.T)
		return nil
	}, nil)
	w := queue.NewWorker(c, reg, queue.WorkerConfig{Concurrency: e.callers + 10, Batch: 4 * e.callers, JobTimeout: time.Second, Linger: maxBenchDuration}, nil)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for wctx.Err() == nil { // a run lasts at most DefaultBudget: the next takes over
			_, _ = w.Run(wctx, queue.Plan{Queues: []string{"pickup"}})
		}
	}()
	op := func(ctx context.Context) error {
		return wait(ctx, func(token string) error {
			_, err := c.Enqueue(ctx, queue.Job{Queue: "pickup", Type: "bench.pickup", Payload: json.RawMessage(`{"t":"` + token + `"}`)})
			return err
		})
	}

	// The floor: consumers blocked in XREADGROUP on a raw stream.
	stream, err := e.kb.Key(benchRawModule, "pickup", "stream")
	if err != nil {
		return nil, nil, err
	}
	if err := e.rdb.XGroupCreateMkStream(ctx, stream, "g", "$").Err(); err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return nil, nil, fmt.Errorf("pickup: %w", err)
	}
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for wctx.Err() == nil {
				res, err := e.rdb.XReadGroup(wctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c" + strconv.Itoa(i), Streams: []string{stream, ">"}, Count: 100, Block: 100 * time.Millisecond}).Result()
				if err != nil && !errors.Is(err, redis.Nil) {
					continue
				}
				for _, s := range res {
					for _, m := range s.Messages {
						t, _ := m.Values["t"].(string)
						signal(t)
					}
				}
			}
		}()
	}
	base := func(ctx context.Context) error {
		return wait(ctx, func(token string) error {
			return e.rdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, NoMkStream: true, Values: []any{"t", token}}).Err()
		})
	}
	return op, base, nil
}
