package adminapi

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/lambdis/lambdis/functions/ratelimit/authorizer"
	"github.com/lambdis/lambdis/shared/authz"
	"github.com/lambdis/lambdis/shared/envvar"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/queue"
	"github.com/lambdis/lambdis/shared/redischeck"
	"github.com/redis/go-redis/v9"
)

// Environment variables of the admin function (besides REDIS_*,
// LAMBDIS_KEY_PREFIX, JOB_RETENTION, and the authorizer's RATE_LIMITS,
// AUTHZ_MAX_TOKEN_TTL and JWT_LEEWAY, read as the authorizer reads them so
// that the state shown is the state it decides on).
const (
	EnvAdminScope   = "ADMIN_SCOPE"
	EnvStoreTimeout = "ADMIN_STORE_TIMEOUT"
)

// DefaultStoreTimeout bounds one operation (a redrive of every dead letter
// is one script call per hundred of them).
const DefaultStoreTimeout = 10 * time.Second

// FromEnv builds the Handler around an existing Redis client.
func FromEnv(ctx context.Context, get envvar.Getenv, rdb redis.UniversalClient, log *slog.Logger) (*Handler, error) {
	kb, err := keys.FromEnv(get)
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	retention, err := queue.RetentionFromEnv(get)
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	timeout, err := envvar.Duration(get, EnvStoreTimeout, DefaultStoreTimeout, time.Millisecond, 25*time.Second)
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	cfg, err := authorizer.ConfigFromEnv(get)
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	// JWT_LEEWAY as the verifier reads it: the token cut-off is the
	// revoke-all's second plus the leeway.
	leeway, err := envvar.Duration(get, authz.EnvJWTLeeway, authz.DefaultEnvLeeway, 0, authz.MaxLeeway)
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	store, err := authz.NewStore(rdb, kb, authz.StoreConfig{Leeway: leeway, MaxTokenTTL: cfg.MaxTokenTTL})
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	probe, err := kb.Key("doctor", "probe")
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	_, cluster := rdb.(*redis.ClusterClient)
	return &Handler{
		Queue: queue.NewClient(rdb, kb, retention), Subjects: store, Policies: cfg.Policies,
		Redis:      RedisChecks{Client: rdb, Options: redischeck.Options{Cluster: cluster, ProbeKey: probe}},
		AdminScope: envvar.String(get, EnvAdminScope, DefaultAdminScope), StoreTimeout: timeout, Log: log,
	}, nil
}

// RedisChecks runs the checks of `lambdis doctor` on the function's own
// client, for GET /admin/redis.
type RedisChecks struct {
	Client  redis.UniversalClient
	Options redischeck.Options
}

// Check runs them.
func (c RedisChecks) Check(ctx context.Context) redischeck.Report {
	return redischeck.Run(ctx, c.Client, c.Options)
}
