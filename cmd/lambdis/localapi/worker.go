package localapi

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/lambdis/lambdis/functions/worker/drainer"
	"github.com/lambdis/lambdis/shared/telemetry"
)

// DefaultWorkerQueues is what the in-process worker drains when
// WORKER_QUEUES is unset: the default queue and "cache", where
// shared/cache puts its delayed second deletes.
const DefaultWorkerQueues = "default,cache"

// worker is the scheduled worker function run in-process: the stand-in for
// EventBridge Scheduler invoking functions/worker.
type worker struct {
	h        *drainer.Handler
	metrics  *telemetry.Metrics
	interval time.Duration
}

// buildWorker builds the worker function as functions/worker's main.go
// does. Each run's deadline is the interval, so the interval is also its
// WORKER_FUNCTION_TIMEOUT (whatever the environment says: no run outlives
// it, which is what makes reclaiming orphaned jobs safe).
func (s *Server) buildWorker(ctx context.Context, interval time.Duration) (*worker, error) {
	if interval < time.Second || interval > drainer.MaxFunctionTimeout {
		return nil, fmt.Errorf("localapi: worker interval %v: must be from 1s to %v (0: no worker)", interval, drainer.MaxFunctionTimeout)
	}
	get := func(k string) string {
		switch v := s.getenv(k); {
		case k == drainer.EnvFunctionTimeout:
			return interval.String()
		case k == drainer.EnvQueues && strings.TrimSpace(v) == "":
			return DefaultWorkerQueues
		default:
			return v
		}
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
	return &worker{h: h, metrics: m, interval: interval}, nil
}

// WorkerInterval is how often the in-process worker runs (0: never).
func (s *Server) WorkerInterval() time.Duration {
	if s.worker == nil {
		return 0
	}
	return s.worker.interval
}

// WorkerQueues are the queues the in-process worker drains.
func (s *Server) WorkerQueues() []string {
	if s.worker == nil {
		return nil
	}
	return append([]string(nil), s.worker.h.Queues...)
}

// runWorker invokes the worker at once and then every interval until ctx is
// done. A run is not cut short by ctx: it ends by its own deadline, one
// interval, as a Lambda invocation would.
func (s *Server) runWorker(ctx context.Context) {
	t := time.NewTicker(s.worker.interval)
	defer t.Stop()
	for {
		requestID := newRequestID()
		rctx := lambdacontext.NewContext(context.WithoutCancel(ctx), &lambdacontext.LambdaContext{AwsRequestID: requestID})
		rctx, cancel := context.WithTimeout(rctx, s.worker.interval)
		// The handler logs its errors; a panic is the runtime's to report.
		if _, err := invoke(rctx, s.worker.h.Handle, nil); err != nil && strings.HasPrefix(err.Error(), "panic: ") {
			s.log.Error("worker panicked", "error", err.Error(), "request_id", requestID)
		}
		cancel()
		s.flushMetrics(rctx, s.worker.metrics)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
