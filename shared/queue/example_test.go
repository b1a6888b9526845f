package queue_test

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/queue"
	"github.com/redis/go-redis/v9"
)

// Enqueue adds a job to a queue's stream (or to its delayed set); the same
// idempotency key and payload give back the same job. Status reads a job's
// record, which outlives the job by the retention. A worker (Drain, run by
// functions/worker) runs the jobs.
func ExampleClient_Enqueue() {
	ctx := context.Background()
	rdb := newRedis()
	defer rdb.Close()
	q := queue.NewClient(rdb, keys.Builder{}, 24*time.Hour)

	job := queue.Job{
		Queue: "email", Type: "webhook",
		Payload:        json.RawMessage(`{"url":"https://hooks.example.com/welcome","body":{"user":42}}`),
		IdempotencyKey: "welcome-42",
	}
	first, err := q.Enqueue(ctx, job)
	if err != nil {
		panic(err)
	}
	again, err := q.Enqueue(ctx, job) // a client retry
	if err != nil {
		panic(err)
	}
	fmt.Println("duplicate:", again.Duplicate, "same job:", again.ID == first.ID)

	rec, err := q.Status(ctx, first.ID)
	if err != nil {
		panic(err)
	}
	fmt.Println(rec.Queue, rec.Type, rec.State, rec.Attempts, rec.MaxAttempts)

	later, err := q.Enqueue(ctx, queue.Job{Queue: "email", Type: "webhook", Payload: json.RawMessage(`{}`), Delay: time.Hour})
	if err != nil {
		panic(err)
	}
	rec, err = q.Status(ctx, later.ID)
	if err != nil {
		panic(err)
	}
	fmt.Println(rec.State)
	// Output:
	// duplicate: true same job: true
	// email webhook queued 0 5
	// delayed
}

// newRedis is an in-memory Redis (miniredis) for the examples; use
// redisconn.New for a real one.
func newRedis() *redis.Client {
	mr, err := miniredis.Run()
	if err != nil {
		panic(err)
	}
	return redis.NewClient(&redis.Options{Addr: mr.Addr()})
}
