package drainer

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/lambdis/lambdis/shared/envvar"
	"github.com/lambdis/lambdis/shared/jobs"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/secrets"
	"github.com/lambdis/lambdis/shared/telemetry"
	"github.com/redis/go-redis/v9"
)

// FromEnv builds the Handler from the environment around an existing Redis
// client, with the job types of shared/jobs: the function's main.go and the
// local server share it.
func FromEnv(ctx context.Context, get envvar.Getenv, rdb redis.UniversalClient, sm secrets.GetSecretValueAPI, log *slog.Logger, m *telemetry.Metrics) (*Handler, error) {
	cfg, err := ConfigFromEnv(get)
	if err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	kb, err := keys.FromEnv(get)
	if err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	jcfg, err := jobs.ConfigFromEnv(get)
	if err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	registry, err := jobs.NewRegistry(ctx, jcfg, rdb, sm)
	if err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	return New(rdb, kb, registry, cfg, log, m), nil
}
