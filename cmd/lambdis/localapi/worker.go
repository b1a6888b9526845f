package localapi

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/lambdis/lambdis/functions/worker/drainer"
	"github.com/lambdis/lambdis/shared/telemetry"
)

// DefaultWorkerTimeout is each in-process run's deadline (its
// WORKER_FUNCTION_TIMEOUT) unless the environment sets one: longer than the
// tick, as the stack's worker timeout is longer than its schedule.
const DefaultWorkerTimeout = 10 * time.Second

// maxWakeRuns bounds the runs woken at once, as the worker's reserved
// concurrency does deployed; maxTickRuns the tick runs at once: a run may
// start jobs for its timeout less the job timeout, so tick runs overlap as
// they do deployed (the worker's timeout is longer than the schedule's
// interval) and no gap opens between one and the next.
const maxWakeRuns, maxTickRuns = 4, 2

// worker is the worker function run in-process, started the two ways
// Lambda starts it deployed: the schedule's tick (EventBridge Scheduler, an
// input naming no queue: every registered queue) and the enqueue's wake (an
// asynchronous Invoke naming the queue).
type worker struct {
	h        *drainer.Handler
	metrics  *telemetry.Metrics
	interval time.Duration
	timeout  time.Duration
	wakes    chan string

	mu      sync.Mutex
	active  map[string]bool // the queues of woken runs
	pending map[string]bool // woken queues waiting for a run to end
	ticks   int             // tick runs in progress
}

// buildWorker builds the worker function as functions/worker's main.go
// does.
func (s *Server) buildWorker(ctx context.Context, interval time.Duration) (*worker, error) {
	if interval < time.Second || interval > drainer.MaxFunctionTimeout {
		return nil, fmt.Errorf("localapi: worker interval %v: must be from 1s to %v (0: no worker)", interval, drainer.MaxFunctionTimeout)
	}
	timeout := DefaultWorkerTimeout
	get := func(k string) string {
		v := s.getenv(k)
		if k == drainer.EnvFunctionTimeout && strings.TrimSpace(v) == "" {
			return timeout.String()
		}
		return v
	}
	ns, err := telemetry.NamespaceFromEnv(get)
	if err != nil {
		return nil, fmt.Errorf("localapi: worker: %w", err)
	}
	m, err := telemetry.NewMetrics(ns, telemetry.Dim{Name: "Function", Value: "worker"})
	if err != nil {
		return nil, fmt.Errorf("localapi: worker: %w", err)
	}
	h, err := drainer.FromEnv(ctx, get, s.rdb, nil, s.functionLog("worker"), m)
	if err != nil {
		return nil, fmt.Errorf("localapi: %w", err)
	}
	h.IdleLevel = slog.LevelDebug // a line every interval would drown the request log
	return &worker{h: h, metrics: m, interval: interval, timeout: h.FunctionTimeout, wakes: make(chan string, 64), active: map[string]bool{}, pending: map[string]bool{}}, nil
}

// Wake is the in-process stand-in for the enqueue function's asynchronous
// Invoke of the worker (queue.Waker): it never blocks; a wake that finds
// the wake buffer full is dropped, as a throttled Invoke would be (the
// queue's lease lapses and the next enqueue wakes again; the tick runs the
// job in any case).
func (w *worker) Wake(_ context.Context, queue string) error {
	select {
	case w.wakes <- queue:
		return nil
	default:
		return fmt.Errorf("localapi: worker: %d wakes waiting", cap(w.wakes))
	}
}

// WorkerInterval is how often the in-process worker ticks (0: never).
func (s *Server) WorkerInterval() time.Duration {
	if s.worker == nil {
		return 0
	}
	return s.worker.interval
}

// WorkerQueues are the queues WORKER_QUEUES names; none: the worker drains
// every registered queue.
func (s *Server) WorkerQueues() []string {
	if s.worker == nil {
		return nil
	}
	return append([]string(nil), s.worker.h.Queues...)
}

// runWorker ticks at once and then every interval (at most maxTickRuns tick
// runs at once), and starts a run for each wake, until ctx is
// done; it then waits for the runs, which ctx's end cuts short (jobs
// started are finished or given back, never lost).
func (s *Server) runWorker(ctx context.Context) {
	w := s.worker
	var wg sync.WaitGroup
	var start func(queue string)
	start = func(queue string) {
		w.mu.Lock()
		switch {
		case queue == "" && w.ticks >= maxTickRuns, queue != "" && w.active[queue]:
			w.mu.Unlock()
			return
		case queue != "" && len(w.active) >= maxWakeRuns:
			// Throttled, as Lambda throttles an asynchronous Invoke past the
			// reserved concurrency: it runs when a run ends.
			w.pending[queue] = true
			w.mu.Unlock()
			return
		case queue == "":
			w.ticks++
		default:
			w.active[queue] = true
		}
		w.mu.Unlock()
		var input []byte
		if queue != "" {
			input, _ = json.Marshal(drainer.Input{Wake: queue})
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.invokeWorker(ctx, input)
			w.mu.Lock()
			if queue == "" {
				w.ticks--
			} else {
				delete(w.active, queue)
			}
			next := ""
			for q := range w.pending {
				next = q
				delete(w.pending, q)
				break
			}
			w.mu.Unlock()
			if next != "" && ctx.Err() == nil {
				start(next)
			}
		}()
	}
	t := time.NewTicker(w.interval)
	defer t.Stop()
	start("")
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-t.C:
			start("")
		case q := <-w.wakes:
			start(q)
		}
	}
}

// invokeWorker is one invocation of the worker function, with its own
// request id and the function's timeout as its deadline.
func (s *Server) invokeWorker(ctx context.Context, input []byte) {
	requestID := newRequestID()
	rctx := lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: requestID})
	rctx, cancel := context.WithTimeout(rctx, s.worker.timeout)
	defer cancel()
	// The handler logs its errors; a panic is the runtime's to report.
	if _, err := invoke(rctx, s.worker.h.Handle, json.RawMessage(input)); err != nil && strings.HasPrefix(err.Error(), "panic: ") {
		s.log.Error("worker panicked", "error", err.Error(), "request_id", requestID)
	}
	s.flushMetrics(context.WithoutCancel(rctx), s.worker.metrics)
}
