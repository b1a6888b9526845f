package boards

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/lambdis/lambdis/shared/envvar"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/leaderboard"
	"github.com/redis/go-redis/v9"
)

// Environment variables of the leaderboard function (besides REDIS_*,
// LAMBDIS_KEY_PREFIX, LOG_LEVEL and LAMBDIS_METRICS_NAMESPACE).
const (
	EnvAdminScope   = "LEADERBOARD_ADMIN_SCOPE"
	EnvSubmitScope  = "LEADERBOARD_SUBMIT_SCOPE"
	EnvRetention    = "LEADERBOARD_RETENTION"
	EnvStoreTimeout = "LEADERBOARD_STORE_TIMEOUT"
)

// FromEnv builds the Handler around an existing Redis client.
func FromEnv(_ context.Context, get envvar.Getenv, rdb redis.UniversalClient, log *slog.Logger) (*Handler, error) {
	kb, err := keys.FromEnv(get)
	if err != nil {
		return nil, fmt.Errorf("leaderboard: %w", err)
	}
	timeout, err := envvar.Duration(get, EnvStoreTimeout, time.Second, time.Millisecond, 10*time.Second)
	if err != nil {
		return nil, fmt.Errorf("leaderboard: %w", err)
	}
	retention, err := retentionFromEnv(get)
	if err != nil {
		return nil, fmt.Errorf("leaderboard: %w", err)
	}
	store, err := leaderboard.NewStore(rdb, kb, leaderboard.Config{Retention: retention})
	if err != nil {
		return nil, fmt.Errorf("leaderboard: %w", err)
	}
	return &Handler{
		Store: store, StoreTimeout: timeout, Retention: retention, Log: log,
		AdminScope:  envvar.String(get, EnvAdminScope, DefaultAdminScope),
		SubmitScope: envvar.String(get, EnvSubmitScope, DefaultSubmitScope),
	}, nil
}

// retentionFromEnv reads LEADERBOARD_RETENTION: a Go duration (36h) or
// whole days (14d), from leaderboard.MinRetention to MaxRetention.
func retentionFromEnv(get envvar.Getenv) (time.Duration, error) {
	return envvar.Duration(get, EnvRetention, leaderboard.DefaultRetention, leaderboard.MinRetention, leaderboard.MaxRetention)
}
