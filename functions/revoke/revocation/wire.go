package revocation

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/lambdis/lambdis/shared/authz"
	"github.com/lambdis/lambdis/shared/envvar"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/secrets"
	"github.com/redis/go-redis/v9"
)

// Environment variables of the revoke function (besides REDIS_*, JWT_*,
// LAMBDIS_KEY_PREFIX and AUTHZ_MAX_TOKEN_TTL, read as the authorizer does).
const (
	EnvAdminScope   = "REVOKE_ADMIN_SCOPE"
	EnvStoreTimeout = "REVOKE_STORE_TIMEOUT"
)

// FromEnv builds the Handler around an existing Redis client.
func FromEnv(ctx context.Context, get envvar.Getenv, rdb redis.UniversalClient, sm secrets.GetSecretValueAPI, log *slog.Logger) (*Handler, error) {
	kb, err := keys.FromEnv(get)
	if err != nil {
		return nil, fmt.Errorf("revoke: %w", err)
	}
	maxTTL, err := authz.MaxTokenTTLFromEnv(get)
	if err != nil {
		return nil, fmt.Errorf("revoke: %w", err)
	}
	timeout, err := envvar.Duration(get, EnvStoreTimeout, time.Second, time.Millisecond, 10*time.Second)
	if err != nil {
		return nil, fmt.Errorf("revoke: %w", err)
	}
	v, err := authz.VerifierFromEnv(ctx, get, sm)
	if err != nil {
		return nil, fmt.Errorf("revoke: %w", err)
	}
	store, err := authz.NewStore(rdb, kb, authz.StoreConfig{Leeway: v.Leeway(), MaxTokenTTL: maxTTL})
	if err != nil {
		return nil, fmt.Errorf("revoke: %w", err)
	}
	return &Handler{
		Verifier: v, Store: store, StoreTimeout: timeout, Log: log,
		AdminScope: envvar.String(get, EnvAdminScope, DefaultAdminScope),
	}, nil
}
