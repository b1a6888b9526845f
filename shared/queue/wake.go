package queue

import (
	"context"
	"time"
)

// Waker starts a worker for a queue that has work due now and no worker
// awake (no lease): the enqueue function invokes the worker Lambda
// asynchronously, `lambdis serve` signals its in-process worker. A burst of
// enqueues causes one wake: the enqueue script takes the queue's wake lease
// in the same call that adds the job.
type Waker interface {
	Wake(ctx context.Context, queue string) error
}

// WakeFunc adapts a function to Waker.
type WakeFunc func(ctx context.Context, queue string) error

// Wake calls f.
func (f WakeFunc) Wake(ctx context.Context, queue string) error { return f(ctx, queue) }

// DefaultWakeTimeout bounds one wake; a wake that fails or times out never
// fails the enqueue (the job is stored, and the schedule's tick is the
// safety net).
const DefaultWakeTimeout = time.Second

// SetWaker makes the client wake a worker when an enqueue finds none awake
// on the queue (nil: no wakes, only the schedule's ticks start workers).
func (c *Client) SetWaker(w Waker) { c.waker = w }
