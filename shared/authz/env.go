package authz

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lambdis/lambdis/shared/envvar"

	"github.com/lambdis/lambdis/shared/secrets"
)

// VerifierFromEnv builds a Verifier from the JWT_* variables, fetching the
// HS256 secret named by JWT_SECRET_ARN once (plain string, or the JSON field
// "secret") through sm. sm may be nil when JWT_SECRET_ARN is unset; when it
// is set and sm is nil, the default AWS client is used.
func VerifierFromEnv(ctx context.Context, getenv func(string) string, sm secrets.GetSecretValueAPI) (*Verifier, error) {
	cfg, err := VerifierConfigFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	if arn := strings.TrimSpace(getenv(EnvJWTSecretARN)); arn != "" {
		if sm == nil {
			sm = &secrets.LazyClient{}
		}
		s, err := secrets.Fetch(ctx, sm, arn, "secret")
		if err != nil {
			return nil, fmt.Errorf("authz: %s: %w", EnvJWTSecretARN, err)
		}
		cfg.HMACSecret = []byte(s)
	}
	v, err := NewVerifier(cfg)
	if err != nil {
		return nil, fmt.Errorf("authz: JWT configuration: %w", err)
	}
	return v, nil
}

// EnvMaxTokenTTL names the longest token lifetime accepted (see StoreConfig).
const EnvMaxTokenTTL = "AUTHZ_MAX_TOKEN_TTL"

// MaxTokenTTLFromEnv reads AUTHZ_MAX_TOKEN_TTL: a duration from 1m to 90 days
// (default 24h), or 0 for Unbounded.
func MaxTokenTTLFromEnv(get func(string) string) (time.Duration, error) {
	if v := envvar.String(get, EnvMaxTokenTTL, ""); v == "0" || v == "0s" {
		return Unbounded, nil
	}
	return envvar.Duration(get, EnvMaxTokenTTL, DefaultMaxTokenTTL, time.Minute, 90*24*time.Hour)
}
