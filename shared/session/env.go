package session

import (
	"time"

	"github.com/lambdis/lambdis/shared/envvar"
)

// Environment variables of a function that creates sessions (a login
// endpoint). The authorizer needs none of them: each session carries its own
// TTLs.
const (
	EnvIdleTTL    = "SESSION_IDLE_TTL"     // default 30m, from 1s to 366d
	EnvMaxTTL     = "SESSION_MAX_TTL"      // default 24h, from 1m to 366d; 0 = none
	EnvMaxPerUser = "SESSION_MAX_PER_USER" // default 100, from 1 to 10000
)

// ConfigFromEnv reads the variables above; errors name the variable.
func ConfigFromEnv(get envvar.Getenv) (Config, error) {
	var c Config
	var err error
	if c.IdleTTL, err = envvar.Duration(get, EnvIdleTTL, DefaultIdleTTL, time.Second, MaxTTLBound); err != nil {
		return Config{}, err
	}
	if v := envvar.String(get, EnvMaxTTL, ""); v == "0" || v == "0s" {
		c.MaxTTL = NoMaxTTL
	} else if c.MaxTTL, err = envvar.Duration(get, EnvMaxTTL, DefaultMaxTTL, time.Minute, MaxTTLBound); err != nil {
		return Config{}, err
	}
	n, err := envvar.Int(get, EnvMaxPerUser, DefaultMaxPerUser, 1, maxPerUserBound)
	if err != nil {
		return Config{}, err
	}
	c.MaxPerUser = int(n)
	return c, nil
}
