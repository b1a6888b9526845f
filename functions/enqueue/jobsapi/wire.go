package jobsapi

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/lambdis/lambdis/shared/envvar"
	"github.com/lambdis/lambdis/shared/jobs"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/queue"
	"github.com/lambdis/lambdis/shared/secrets"
	"github.com/redis/go-redis/v9"
)

// Environment variables of the enqueue function (besides REDIS_*,
// LAMBDIS_KEY_PREFIX and the job types' WEBHOOK_*, read by jobs.ConfigFromEnv).
const (
	// EnvRetention: how long finished job records (and their idempotency
	// keys) are kept, 1s to queue.MaxDelay; the worker reads the same
	// variable with the same bounds.
	EnvRetention    = queue.EnvRetention
	EnvStoreTimeout = "ENQUEUE_STORE_TIMEOUT"
	EnvScope        = "ENQUEUE_SCOPE"
	EnvAdminScope   = "ENQUEUE_ADMIN_SCOPE" // reads every job's status (default DefaultAdminScope)
	// EnvQueues is the allow-list of queue names (comma list; unset: any
	// valid name).
	EnvQueues = "ENQUEUE_QUEUES"
)

// DefaultStoreTimeout bounds one enqueue or status round trip.
const DefaultStoreTimeout = 2 * time.Second

// FromEnv builds the Handler around an existing Redis client. sm reads
// WEBHOOK_SECRET_ARN when set (nil: the default AWS client). The handler
// wakes no worker until SetWaker.
func FromEnv(ctx context.Context, get envvar.Getenv, rdb redis.UniversalClient, sm secrets.GetSecretValueAPI, log *slog.Logger) (*Handler, error) {
	kb, err := keys.FromEnv(get)
	if err != nil {
		return nil, fmt.Errorf("enqueue: %w", err)
	}
	retention, err := queue.RetentionFromEnv(get)
	if err != nil {
		return nil, fmt.Errorf("enqueue: %w", err)
	}
	timeout, err := envvar.Duration(get, EnvStoreTimeout, DefaultStoreTimeout, time.Millisecond, 25*time.Second)
	if err != nil {
		return nil, fmt.Errorf("enqueue: %w", err)
	}
	cfg, err := jobs.ConfigFromEnv(get)
	if err != nil {
		return nil, fmt.Errorf("enqueue: %w", err)
	}
	reg, err := jobs.NewRegistry(ctx, cfg, rdb, sm)
	if err != nil {
		return nil, fmt.Errorf("enqueue: %w", err)
	}
	raw := envvar.String(get, EnvQueues, "")
	allowed, err := ParseQueues(raw)
	if err != nil {
		return nil, fmt.Errorf("enqueue: %w", envvar.Wrap(EnvQueues, raw, err))
	}
	return &Handler{
		Queue: queue.NewClient(rdb, kb, retention), Registry: reg, Queues: allowed,
		Scope: envvar.String(get, EnvScope, ""), AdminScope: envvar.String(get, EnvAdminScope, DefaultAdminScope),
		StoreTimeout: timeout, Log: log,
	}, nil
}

// SetWaker makes the handler's queue client wake a worker when an enqueue
// finds none awake: the deployed function's is lambdawake's, built in
// main.go (so the Lambda client is linked there only, not into `lambdis
// serve`, whose waker is its in-process worker).
func (h *Handler) SetWaker(w queue.Waker) {
	if c, ok := h.Queue.(*queue.Client); ok {
		c.SetWaker(w)
	}
}

// ParseQueues reads ENQUEUE_QUEUES: a comma list of valid, distinct queue
// names ("" is no list).
func ParseQueues(raw string) ([]string, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, nil
	}
	var out []string
	for _, name := range strings.Split(raw, ",") {
		name = strings.TrimSpace(name)
		if err := queue.ValidateQueueName(name); err != nil {
			return nil, fmt.Errorf("%q: %w", name, err)
		}
		if slices.Contains(out, name) {
			return nil, fmt.Errorf("%q is named twice", name)
		}
		out = append(out, name)
	}
	return out, nil
}
