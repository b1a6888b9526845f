package authorizer

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/lambdis/lambdis/shared/authz"
	"github.com/lambdis/lambdis/shared/envvar"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/secrets"
	"github.com/lambdis/lambdis/shared/session"
	"github.com/lambdis/lambdis/shared/telemetry"
	"github.com/redis/go-redis/v9"
)

// FromEnv builds the Handler from the environment around an existing Redis
// client: the function's main.go and the local server share it.
func FromEnv(ctx context.Context, get envvar.Getenv, rdb redis.UniversalClient, sm secrets.GetSecretValueAPI, log *slog.Logger, m *telemetry.Metrics) (*Handler, error) {
	cfg, err := ConfigFromEnv(get)
	if err != nil {
		return nil, fmt.Errorf("authorizer: %w", err)
	}
	kb, err := keys.FromEnv(get)
	if err != nil {
		return nil, fmt.Errorf("authorizer: %w", err)
	}
	v, err := authz.VerifierFromEnv(ctx, get, sm)
	if err != nil {
		return nil, fmt.Errorf("authorizer: %w", err)
	}
	store, err := authz.NewStore(rdb, kb, authz.StoreConfig{Leeway: v.Leeway(), MaxTokenTTL: cfg.MaxTokenTTL})
	if err != nil {
		return nil, fmt.Errorf("authorizer: %w", err)
	}
	sessions, err := session.NewStore(rdb, kb, session.Config{})
	if err != nil {
		return nil, fmt.Errorf("authorizer: %w", err)
	}
	h := &Handler{Config: cfg, Verifier: v, Store: store, Sessions: sessions, Log: log}
	if m != nil { // a nil *Metrics in the interface would not compare equal to nil
		h.Metrics = m
	}
	return h, nil
}
