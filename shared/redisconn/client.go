package redisconn

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/lambdis/lambdis/shared/secrets"
	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// secretTimeout bounds the one Secrets Manager read New makes. A function in
// a VPC without a route to Secrets Manager would otherwise hang until the
// Lambda init phase is killed.
const secretTimeout = 5 * time.Second

// Retry backoff between attempts of one command: short, because the whole
// command must fit well inside an invocation.
const (
	minRetryBackoff = 8 * time.Millisecond
	maxRetryBackoff = 100 * time.Millisecond
)

// FromEnv is New(ctx, ConfigFromEnv(os.Getenv), nil): the one call a
// function's main.go makes, once, before lambda.Start.
func FromEnv(ctx context.Context) (redis.UniversalClient, error) {
	cfg, err := ConfigFromEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	return New(ctx, cfg, nil)
}

// New builds the pooled client described by cfg (zero fields take their
// defaults) and, unless cfg.SkipPing, sends one PING so that a wrong address,
// password or TLS setting fails at start-up rather than in the first
// request.
//
// With cfg.AuthSecretARN set, the password is read from Secrets Manager once,
// here, through sm; a nil sm means a client built from the default AWS
// configuration (secrets.LazyClient), so a configuration without a secret
// never needs AWS credentials.
//
// cfg.Cluster selects a *redis.ClusterClient (even for one address);
// otherwise the client is a *redis.Client. The caller closes it.
func New(ctx context.Context, cfg Config, sm secrets.GetSecretValueAPI) (redis.UniversalClient, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	tlsCfg, err := cfg.tlsConfig()
	if err != nil {
		return nil, err
	}
	password := cfg.Password
	if cfg.AuthSecretARN != "" {
		if sm == nil {
			sm = &secrets.LazyClient{}
		}
		sctx, cancel := context.WithTimeout(ctx, secretTimeout)
		password, err = secrets.Fetch(sctx, sm, cfg.AuthSecretARN, "password")
		cancel()
		if err != nil {
			return nil, &ConfigError{Var: EnvAuthSecretARN, Reason: "cannot read the Redis password", Err: err}
		}
	}

	client := redis.NewUniversalClient(cfg.options(password, tlsCfg))
	if cfg.SkipPing {
		return client, nil
	}
	// Each attempt may need a dial (TCP, TLS, HELLO) and a reply.
	attempt := cfg.DialTimeout + cfg.ReadTimeout
	pctx, cancel := context.WithTimeout(ctx, time.Duration(cfg.MaxRetries+1)*attempt)
	defer cancel()
	if err := client.Ping(pctx).Err(); err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("redisconn: PING %s: %w", cfg.target(), err)
	}
	return client, nil
}

// options translates cfg into go-redis options. Besides the settings in
// Config it fixes a few that matter in Lambda:
//
//   - ContextTimeoutEnabled: a caller's context deadline bounds every call.
//   - DialerRetries 1: a failed dial is retried by the command's own
//     MaxRetries, not five more times inside the pool.
//   - PipelinePoolSize -1: pipelines share the one small pool instead of a
//     second pool of ten connections.
//   - DisableIdentity and maintenance notifications off: no CLIENT SETINFO
//     or CLIENT MAINT_NOTIFICATIONS round trips on every new connection
//     (neither is useful on ElastiCache).
func (c Config) options(password string, tlsCfg *tls.Config) *redis.UniversalOptions {
	return &redis.UniversalOptions{
		Addrs:         append([]string(nil), c.Addrs...),
		IsClusterMode: c.Cluster,
		DB:            c.DB,
		Username:      c.Username,
		Password:      password,
		TLSConfig:     tlsCfg,

		PoolSize:        c.PoolSize,
		MinIdleConns:    c.MinIdleConns,
		ConnMaxIdleTime: c.ConnMaxIdleTime,
		PoolTimeout:     c.PoolTimeout,

		MaxRetries:      c.MaxRetries,
		MinRetryBackoff: minRetryBackoff,
		MaxRetryBackoff: maxRetryBackoff,

		DialTimeout:           c.DialTimeout,
		DialerRetries:         1,
		ReadTimeout:           c.ReadTimeout,
		WriteTimeout:          c.WriteTimeout,
		ContextTimeoutEnabled: true,

		PipelinePoolSize:         -1,
		DisableIdentity:          true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	}
}

// target names what New connects to, for error messages.
func (c Config) target() string {
	mode := "standalone"
	if c.Cluster {
		mode = "cluster"
	}
	s := mode + " " + strings.Join(c.Addrs, ",")
	if c.TLS {
		s += " (TLS)"
	}
	return s
}
