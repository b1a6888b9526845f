package authorizer

import (
	"fmt"
	"time"

	"github.com/lambdis/lambdis/shared/authz"
	"github.com/lambdis/lambdis/shared/envvar"
	"github.com/lambdis/lambdis/shared/ratelimit"
)

// Environment variables of the authorizer (besides REDIS_*, JWT_* and
// LAMBDIS_KEY_PREFIX, read by their own packages).
const (
	EnvRateLimits          = "RATE_LIMITS"
	EnvRateLimitsAnonymous = "RATE_LIMITS_ANONYMOUS"
	EnvMaxTokenTTL         = authz.EnvMaxTokenTTL
	EnvRedisTimeout        = "AUTHZ_REDIS_TIMEOUT"
	EnvRateLimitFailOpen   = "AUTHZ_RATELIMIT_FAIL_OPEN"
	EnvRevocationFailOpen  = "AUTHZ_REVOCATION_FAIL_OPEN"
)

// DefaultRateLimits applies when RATE_LIMITS is unset.
const DefaultRateLimits = "per_second=10/1s:20,per_minute=300/1m"

// Config is the authorizer's behaviour.
type Config struct {
	// Policies apply to every token's subject, all or nothing.
	Policies []ratelimit.Policy
	// AnonymousPolicies apply per source IP to requests without a token;
	// none means anonymous requests are rejected (401).
	AnonymousPolicies []ratelimit.Policy
	// MaxTokenTTL is the longest lifetime (exp - iat) accepted; it bounds how
	// long a revoke-all cut-off must be kept. authz.Unbounded (from "0")
	// accepts any lifetime and keeps cut-offs forever.
	MaxTokenTTL time.Duration
	// RedisTimeout bounds the decision's round trip.
	RedisTimeout time.Duration
	// RateLimitFailOpen allows requests the limiter cannot check.
	RateLimitFailOpen bool
	// RevocationFailOpen accepts tokens whose revocation cannot be checked.
	RevocationFailOpen bool
}

// ConfigFromEnv reads the variables above; errors name the variable.
func ConfigFromEnv(get envvar.Getenv) (Config, error) {
	var c Config
	var err error
	raw := envvar.String(get, EnvRateLimits, DefaultRateLimits)
	if c.Policies, err = ratelimit.ParsePolicies(raw); err != nil {
		return Config{}, envvar.Wrap(EnvRateLimits, raw, err)
	}
	rawAnon := envvar.String(get, EnvRateLimitsAnonymous, "")
	if c.AnonymousPolicies, err = ratelimit.ParsePolicies(rawAnon); err != nil {
		return Config{}, envvar.Wrap(EnvRateLimitsAnonymous, rawAnon, err)
	}
	if c.MaxTokenTTL, err = authz.MaxTokenTTLFromEnv(get); err != nil {
		return Config{}, err
	}
	if c.RedisTimeout, err = envvar.Duration(get, EnvRedisTimeout, 150*time.Millisecond, time.Millisecond, 10*time.Second); err != nil {
		return Config{}, err
	}
	if c.RateLimitFailOpen, err = envvar.Bool(get, EnvRateLimitFailOpen, true); err != nil {
		return Config{}, err
	}
	if c.RevocationFailOpen, err = envvar.Bool(get, EnvRevocationFailOpen, false); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Validate checks a Config built in code.
func (c Config) Validate() error {
	if err := ratelimit.ValidatePolicies(c.Policies); err != nil {
		return fmt.Errorf("authorizer: policies: %w", err)
	}
	if err := ratelimit.ValidatePolicies(c.AnonymousPolicies); err != nil {
		return fmt.Errorf("authorizer: anonymous policies: %w", err)
	}
	if (c.MaxTokenTTL <= 0 && c.MaxTokenTTL != authz.Unbounded) || c.RedisTimeout <= 0 {
		return fmt.Errorf("authorizer: MaxTokenTTL and RedisTimeout must be positive")
	}
	return nil
}
