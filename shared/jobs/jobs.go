package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/lambdis/lambdis/shared/envvar"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/queue"
	"github.com/lambdis/lambdis/shared/secrets"
	"github.com/lambdis/lambdis/shared/strictjson"
	"github.com/redis/go-redis/v9"
)

// The job types this package registers.
const (
	TypeWebhook         = "webhook"
	TypeCacheInvalidate = "cache.invalidate"
)

// Environment variables read by ConfigFromEnv (besides LAMBDIS_KEY_PREFIX).
const (
	EnvWebhookAllowedURLs = "WEBHOOK_ALLOWED_URLS"
	EnvWebhookSecret      = "WEBHOOK_SECRET"
	EnvWebhookSecretARN   = "WEBHOOK_SECRET_ARN"
	EnvWebhookTimeout     = "WEBHOOK_TIMEOUT"
)

// Bounds of the configuration.
const (
	DefaultWebhookTimeout = 10 * time.Second
	MinWebhookSecret      = 32 // bytes
	// secretFetchTimeout bounds the Secrets Manager call of NewRegistry.
	secretFetchTimeout = 5 * time.Second
)

// Config configures the job types.
type Config struct {
	// Keys is the key builder of the deployment: cache.invalidate accepts
	// only keys under <prefix>:cache:.
	Keys keys.Builder
	// WebhookAllowedURLs are the URL prefixes webhooks may POST to; empty
	// disables webhooks (rejected at enqueue, dead-lettered by the worker).
	WebhookAllowedURLs []string
	// WebhookSecret keys the signature (at least MinWebhookSecret bytes).
	// When it is empty and WebhookSecretARN is set, NewRegistry fetches it.
	// One of them is required when WebhookAllowedURLs is not empty.
	WebhookSecret    []byte
	WebhookSecretARN string
	// WebhookTimeout bounds each POST (0: DefaultWebhookTimeout); the job's
	// own deadline bounds it too.
	WebhookTimeout time.Duration
	// HTTPClient sends the webhooks (nil: a client of the package's own).
	// Its CheckRedirect is replaced: redirects are never followed.
	HTTPClient *http.Client
}

// ConfigFromEnv reads LAMBDIS_KEY_PREFIX, WEBHOOK_ALLOWED_URLS,
// WEBHOOK_SECRET, WEBHOOK_SECRET_ARN and WEBHOOK_TIMEOUT. Every error names
// the variable; none contains a secret.
func ConfigFromEnv(get envvar.Getenv) (Config, error) {
	kb, err := keys.FromEnv(get)
	if err != nil {
		return Config{}, fmt.Errorf("jobs: %w", err)
	}
	cfg := Config{Keys: kb}
	if raw := envvar.String(get, EnvWebhookAllowedURLs, ""); raw != "" {
		for _, s := range strings.Split(raw, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			if _, err := parseAllowRule(s); err != nil {
				return Config{}, fmt.Errorf("jobs: %w", envvar.Wrap(EnvWebhookAllowedURLs, s, err))
			}
			cfg.WebhookAllowedURLs = append(cfg.WebhookAllowedURLs, s)
		}
	}
	secret, arn := get(EnvWebhookSecret), strings.TrimSpace(get(EnvWebhookSecretARN))
	switch {
	case secret != "" && arn != "":
		return Config{}, fmt.Errorf("jobs: set only one of %s and %s", EnvWebhookSecret, EnvWebhookSecretARN)
	case secret != "" && len(secret) < MinWebhookSecret:
		return Config{}, fmt.Errorf("jobs: %s is %d bytes, need at least %d", EnvWebhookSecret, len(secret), MinWebhookSecret)
	case secret != "" && strings.TrimSpace(secret) != secret:
		return Config{}, fmt.Errorf("jobs: %s has leading or trailing whitespace", EnvWebhookSecret)
	case secret == "" && arn == "" && len(cfg.WebhookAllowedURLs) > 0:
		return Config{}, fmt.Errorf("jobs: %s is set, so webhooks are signed: set %s or %s", EnvWebhookAllowedURLs, EnvWebhookSecret, EnvWebhookSecretARN)
	}
	if secret != "" {
		cfg.WebhookSecret = []byte(secret)
	}
	cfg.WebhookSecretARN = arn
	cfg.WebhookTimeout, err = envvar.Duration(get, EnvWebhookTimeout, DefaultWebhookTimeout, 10*time.Millisecond, 15*time.Minute)
	if err != nil {
		return Config{}, fmt.Errorf("jobs: %w", err)
	}
	return cfg, nil
}

// NewRegistry returns a registry with every job type of this package. It
// fetches the webhook secret from Secrets Manager (through sm; nil means
// the default AWS client) when the configuration names one by ARN and
// webhooks are enabled. rdb is the client cache.invalidate deletes with.
func NewRegistry(ctx context.Context, cfg Config, rdb redis.UniversalClient, sm secrets.GetSecretValueAPI) (*queue.Registry, error) {
	if rdb == nil {
		return nil, errors.New("jobs: no Redis client")
	}
	wh, err := newWebhook(ctx, cfg, sm)
	if err != nil {
		return nil, err
	}
	ci := &cacheInvalidate{rdb: rdb, prefix: cfg.Keys.Prefix() + ":cache:"}
	reg := queue.NewRegistry()
	reg.Register(TypeWebhook, wh.run, wh.validate)
	reg.Register(TypeCacheInvalidate, ci.run, ci.validate)
	return reg, nil
}

// fetchSecret resolves the webhook secret named by arn.
func fetchSecret(ctx context.Context, sm secrets.GetSecretValueAPI, arn string) ([]byte, error) {
	if sm == nil {
		sm = &secrets.LazyClient{}
	}
	ctx, cancel := context.WithTimeout(ctx, secretFetchTimeout)
	defer cancel()
	s, err := secrets.Fetch(ctx, sm, arn, "secret")
	if err != nil {
		return nil, fmt.Errorf("jobs: %s: %w", EnvWebhookSecretARN, err)
	}
	if len(s) < MinWebhookSecret {
		return nil, fmt.Errorf("jobs: %s: the secret is %d bytes, need at least %d", EnvWebhookSecretARN, len(s), MinWebhookSecret)
	}
	return []byte(s), nil
}

// decodePayload decodes a job payload strictly (shared/strictjson): one JSON
// object of v's type, member names exact and once each at any depth, no
// unknown members, nothing after it. The enqueue API and the worker read a
// payload with this same function, so they cannot see different values. A
// rejection is a *strictjson.Error, its Pointer relative to the payload.
func decodePayload(raw json.RawMessage, v any) error {
	if t := bytes.TrimSpace(raw); len(t) == 0 || string(t) == "null" {
		return &strictjson.Error{Kind: strictjson.Type, Message: "must be an object"}
	}
	return strictjson.Unmarshal(raw, v)
}
