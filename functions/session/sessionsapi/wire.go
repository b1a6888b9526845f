package sessionsapi

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/lambdis/lambdis/shared/envvar"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/session"
	"github.com/redis/go-redis/v9"
)

// EnvStoreTimeout bounds each Redis call (besides REDIS_*,
// LAMBDIS_KEY_PREFIX, SESSION_IDLE_TTL, SESSION_MAX_TTL,
// SESSION_MAX_PER_USER and SESSION_COOKIE_*).
const EnvStoreTimeout = "SESSION_STORE_TIMEOUT"

// FromEnv builds the Handler around an existing Redis client.
func FromEnv(_ context.Context, get envvar.Getenv, rdb redis.UniversalClient, log *slog.Logger) (*Handler, error) {
	kb, err := keys.FromEnv(get)
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	cfg, err := session.ConfigFromEnv(get)
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	cookie, err := CookieFromEnv(get)
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	timeout, err := envvar.Duration(get, EnvStoreTimeout, time.Second, time.Millisecond, 10*time.Second)
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	store, err := session.NewStore(rdb, kb, cfg)
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	return &Handler{Store: store, Cookie: cookie, StoreTimeout: timeout, Log: log}, nil
}
