package drainer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/queue"
	"github.com/lambdis/lambdis/shared/telemetry"
	"github.com/redis/go-redis/v9"
)

// Bounds of the input.
const (
	MaxInput   = 64 << 10
	MaxMaxJobs = 1_000_000
)

// ErrInput is wrapped by every error about the invocation's input.
var ErrInput = errors.New("worker: bad input")

// Metric names (unit Count, dimension Function=worker): the Summary of
// every run, and EvictionPolicyUnsafe (1 when the server may evict queue
// keys, else 0).
const (
	MetricProcessed            = "Processed"
	MetricSucceeded            = "Succeeded"
	MetricRetried              = "Retried"
	MetricDead                 = "Dead"
	MetricReclaimed            = "Reclaimed"
	MetricLost                 = "Lost"
	MetricGivenBack            = "GivenBack"
	MetricBacklog              = "Backlog"
	MetricPending              = "Pending"
	MetricDelayed              = "Delayed"
	MetricEvictionPolicyUnsafe = "EvictionPolicyUnsafe"
	MetricRecreated            = "Recreated" // streams or consumer groups Redis had lost, created again
)

// Input is the EventBridge Scheduler input (or a wake's, which names its
// queue); every member is optional.
type Input struct {
	Queues   []string       `json:"queues,omitempty"`   // default: WORKER_QUEUES, else every registered queue
	MaxJobs  int            `json:"max_jobs,omitempty"` // 0: no cap
	Weights  map[string]int `json:"weights,omitempty"`  // default: WORKER_WEIGHTS
	Priority string         `json:"priority,omitempty"` // weighted or strict; default: WORKER_PRIORITY
	// Wake names the queue whose enqueue woke this run (the enqueue
	// function's asynchronous Invoke): the run drains it with the others,
	// so one awake run serves every queue and the next enqueues ring its
	// doorbell instead of waking more runs.
	Wake string `json:"wake,omitempty"`
}

// ParseInput decodes the input strictly: unknown members, trailing data,
// invalid or repeated queue names and a negative max_jobs are errors
// wrapping ErrInput. An empty input or null is the zero Input.
func ParseInput(raw []byte) (Input, error) {
	var in Input
	if len(raw) > MaxInput {
		return in, fmt.Errorf("%w: %d bytes, the limit is %d", ErrInput, len(raw), MaxInput)
	}
	if t := bytes.TrimSpace(raw); len(t) == 0 || string(t) == "null" {
		return in, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return Input{}, fmt.Errorf("%w: %v (want {\"queues\": [\"name\", ...], \"max_jobs\": n}, both optional)", ErrInput, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Input{}, fmt.Errorf("%w: data after the JSON object", ErrInput)
	}
	if err := validQueues(in.Queues); err != nil {
		return Input{}, fmt.Errorf("%w: queues: %v", ErrInput, err)
	}
	if in.MaxJobs < 0 || in.MaxJobs > MaxMaxJobs {
		return Input{}, fmt.Errorf("%w: max_jobs %d: must be from 0 (no cap) to %d", ErrInput, in.MaxJobs, MaxMaxJobs)
	}
	for q, wt := range in.Weights {
		if err := queue.ValidateQueueName(q); err != nil {
			return Input{}, fmt.Errorf("%w: weights: %v", ErrInput, err)
		}
		if wt < 1 || wt > MaxWeight {
			return Input{}, fmt.Errorf("%w: weights: %q: %d: must be from 1 to %d", ErrInput, q, wt, MaxWeight)
		}
	}
	if in.Wake != "" {
		if err := queue.ValidateQueueName(in.Wake); err != nil {
			return Input{}, fmt.Errorf("%w: wake: %v", ErrInput, err)
		}
	}
	if in.Priority != "" && in.Priority != "weighted" && in.Priority != "strict" {
		return Input{}, fmt.Errorf("%w: priority %q: must be \"weighted\" or \"strict\"", ErrInput, in.Priority)
	}
	return in, nil
}

type runner interface {
	Run(ctx context.Context, p queue.Plan) (queue.Summary, error)
}

type queueLister interface {
	Queues(ctx context.Context) ([]string, error)
}

type metrics interface {
	Count(name string, n int, dims ...telemetry.Dim)
}

// Handler is the scheduled worker: one invocation is one Drain.
type Handler struct {
	Worker runner
	// Queues are drained when the input names none; when empty, every
	// queue the Registry lists.
	Queues   []string
	Registry queueLister
	Weights  map[string]int
	Strict   bool
	// FunctionTimeout is the configured function timeout; an invocation
	// whose deadline is further away is logged as a misconfiguration.
	FunctionTimeout time.Duration
	Log             *slog.Logger
	Metrics         metrics
	// IdleLevel is the level of the summary line of a run that found
	// nothing to do (the zero value is INFO; the local server uses DEBUG).
	IdleLevel slog.Level
}

// New returns the Handler draining with registry's job handlers; log and m
// may be nil.
func New(rdb redis.UniversalClient, kb keys.Builder, registry *queue.Registry, cfg Config, log *slog.Logger, m *telemetry.Metrics) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := queue.NewClient(rdb, kb, cfg.Retention)
	w := queue.NewWorker(c, registry, cfg.Worker, log)
	h := &Handler{Worker: w, Queues: cfg.Queues, Registry: c, Weights: cfg.Weights, Strict: cfg.Strict, FunctionTimeout: w.Config().FunctionTimeout, Log: log}
	if _, warning := cfg.StartWindow(); warning != "" {
		log.Warn("worker: " + warning)
	}
	if m != nil { // a nil *Metrics in the interface would not compare equal to nil
		h.Metrics = m
	}
	return h
}

// Handle runs one drain: the input's queues (else Queues) until they are
// empty, max_jobs jobs have run, or ctx's deadline (the Lambda's) leaves no
// time for another batch. It returns and logs the Summary and emits it as
// metrics; a bad input or a failed drain is an error (the Summary of a
// failed drain is still returned, logged and counted).
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (queue.Summary, error) {
	log := h.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = telemetry.WithRequest(ctx, log)
	in, err := ParseInput(raw)
	if err != nil {
		log.Error("worker: input rejected", "error", err.Error(), "input", clip(raw, 512))
		return queue.Summary{}, err
	}
	queues := in.Queues
	if len(queues) == 0 {
		queues = h.Queues
	}
	everyQueue := len(queues) == 0
	if everyQueue && h.Registry != nil {
		if queues, err = h.Registry.Queues(ctx); err != nil {
			err = fmt.Errorf("worker: %w", err)
			log.Error("worker: drain failed", "error", err.Error())
			return queue.Summary{}, err
		}
	}
	if in.Wake != "" && !slices.Contains(queues, in.Wake) {
		queues = append(queues, in.Wake)
	}
	plan := queue.Plan{Queues: queues, MaxJobs: in.MaxJobs, Weights: h.Weights, Strict: h.Strict, Open: everyQueue}
	if in.Weights != nil {
		plan.Weights = in.Weights
	}
	if in.Priority != "" {
		plan.Strict = in.Priority == "strict"
	}
	if dl, ok := ctx.Deadline(); ok && h.FunctionTimeout > 0 && time.Until(dl) > h.FunctionTimeout+time.Second {
		log.Warn("worker: the invocation may outlive "+EnvFunctionTimeout+": set it to the function's timeout, or jobs still running may be reclaimed and run twice",
			"function_timeout", h.FunctionTimeout.String(), "time_left", time.Until(dl).Round(time.Millisecond).String())
	}

	start := time.Now()
	sum, err := h.Worker.Run(ctx, plan)
	h.emit(sum)
	if sum.Evicting {
		log.Error("worker: the Redis eviction policy can evict queue data: set maxmemory-policy to noeviction (or a volatile-* policy)",
			"maxmemory_policy", sum.EvictionPolicy, "metric", MetricEvictionPolicyUnsafe)
	}
	attrs := summaryAttrs(sum, queues, in.MaxJobs, time.Since(start))
	if err != nil {
		err = fmt.Errorf("worker: drain: %w", err)
		log.LogAttrs(ctx, slog.LevelError, "worker: drain failed", append(attrs, slog.String("error", err.Error()))...)
		return sum, err
	}
	level := slog.LevelInfo
	if idle(sum) {
		level = h.IdleLevel
	}
	log.LogAttrs(ctx, level, "worker: drained", attrs...)
	return sum, nil
}

// idle reports whether a run changed nothing.
func idle(s queue.Summary) bool {
	return s.Processed+s.Reclaimed+s.Lost+s.GivenBack+s.Promoted+s.NotOwned+s.ConsumersRemoved+s.Recreated == 0 &&
		s.Backlog+s.Pending == 0 && !s.Evicting && !s.OutOfTime
}

// summaryAttrs are the fields of the summary line: every Summary field, the
// queues, the cap and the run's duration.
func summaryAttrs(s queue.Summary, queues []string, maxJobs int, d time.Duration) []slog.Attr {
	return []slog.Attr{
		slog.Any("queues", queues),
		slog.Int("max_jobs", maxJobs),
		slog.Int("processed", s.Processed),
		slog.Int("succeeded", s.Succeeded),
		slog.Int("retried", s.Retried),
		slog.Int("dead", s.Dead),
		slog.Int("reclaimed", s.Reclaimed),
		slog.Int("lost", s.Lost),
		slog.Int("given_back", s.GivenBack),
		slog.Int("promoted", s.Promoted),
		slog.Int("not_owned", s.NotOwned),
		slog.Int("consumers_removed", s.ConsumersRemoved),
		slog.Int64("backlog", s.Backlog),
		slog.Int64("pending", s.Pending),
		slog.Int64("delayed", s.Delayed),
		slog.Bool("evicting", s.Evicting),
		slog.String("eviction_policy", s.EvictionPolicy),
		slog.Bool("out_of_time", s.OutOfTime),
		slog.Int("recreated", s.Recreated),
		slog.Int("polls", s.Polls),
		slog.Int64("idle_ms", s.IdleMS),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000),
	}
}

func (h *Handler) emit(s queue.Summary) {
	if h.Metrics == nil {
		return
	}
	evicting := 0
	if s.Evicting {
		evicting = 1
	}
	for _, m := range []struct {
		name string
		n    int
	}{
		{MetricProcessed, s.Processed},
		{MetricSucceeded, s.Succeeded},
		{MetricRetried, s.Retried},
		{MetricDead, s.Dead},
		{MetricReclaimed, s.Reclaimed},
		{MetricLost, s.Lost},
		{MetricGivenBack, s.GivenBack},
		{MetricBacklog, int(s.Backlog)},
		{MetricPending, int(s.Pending)},
		{MetricDelayed, int(s.Delayed)},
		{MetricEvictionPolicyUnsafe, evicting},
		{MetricRecreated, s.Recreated},
	} {
		h.Metrics.Count(m.name, m.n)
	}
}

// clip returns at most n bytes of b as a string, for logs.
func clip(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "…"
}
