package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/redisconn"
	"github.com/redis/go-redis/v9"
)

// urlFlagUsage documents the --url flag of the commands that talk to Redis.
const urlFlagUsage = "Redis to use instead of $REDIS_URL / $REDIS_ADDRS: redis://[user[:password]@]host[:port][/db] or rediss://… (every other REDIS_* variable still applies)"

// withURL returns getenv with REDIS_URL replaced by url and REDIS_ADDRS
// unset, or getenv itself when url is empty: --url overrides the address and
// nothing else of the functions' configuration.
func withURL(getenv func(string) string, url string) func(string) string {
	url = strings.TrimSpace(url)
	if url == "" {
		return getenv
	}
	return func(k string) string {
		switch k {
		case redisconn.EnvURL:
			return url
		case redisconn.EnvAddrs:
			return ""
		}
		return getenv(k)
	}
}

// fromURLFlag names --url instead of REDIS_URL in a configuration error
// when the value came from --url (withURL passes it as REDIS_URL).
func fromURLFlag(err error, url string) error {
	if err == nil || strings.TrimSpace(url) == "" || !strings.Contains(err.Error(), redisconn.EnvURL) {
		return err
	}
	return fmt.Errorf("%s (the value of --url; %s is not used with it)", strings.Replace(err.Error(), redisconn.EnvURL, "--url", 1), redisconn.EnvURL)
}

// redisTarget is what the functions would connect to, read from the same
// variables they read.
type redisTarget struct {
	cfg  redisconn.Config
	keys keys.Builder
}

// loadTarget reads the REDIS_* variables and LAMBDIS_KEY_PREFIX.
func loadTarget(getenv func(string) string) (redisTarget, error) {
	cfg, err := redisconn.ConfigFromEnv(getenv)
	if err != nil {
		return redisTarget{}, err
	}
	kb, err := keys.FromEnv(getenv)
	if err != nil {
		return redisTarget{}, err
	}
	return redisTarget{cfg: cfg, keys: kb}, nil
}

// connect builds the client the functions would build (redisconn.New, which
// PINGs once), reading a password secret from Secrets Manager if told to.
func (t redisTarget) connect(ctx context.Context) (redis.UniversalClient, error) {
	return redisconn.New(ctx, t.cfg, nil)
}

// describe names the target without its password.
func (t redisTarget) describe() string {
	var b strings.Builder
	if t.cfg.Cluster {
		b.WriteString("cluster client, seeds ")
	} else {
		b.WriteString("standalone client, ")
	}
	b.WriteString(strings.Join(t.cfg.Addrs, ","))
	if t.cfg.DB != 0 {
		b.WriteString(" db ")
		b.WriteString(strconv.Itoa(t.cfg.DB))
	}
	if t.cfg.TLS {
		b.WriteString(", TLS")
	}
	if t.cfg.Username != "" {
		b.WriteString(", user " + t.cfg.Username)
	}
	switch {
	case t.cfg.AuthSecretARN != "":
		b.WriteString(", password from " + redisconn.EnvAuthSecretARN)
	case t.cfg.Password != "":
		b.WriteString(", password set")
	}
	b.WriteString(", key prefix " + t.keys.Prefix())
	return b.String()
}
