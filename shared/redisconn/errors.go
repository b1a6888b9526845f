package redisconn

import "errors"

// ErrNotConfigured is wrapped by the error ConfigFromEnv returns when neither
// REDIS_URL nor REDIS_ADDRS is set, so that callers with an optional Redis
// can tell "not configured" from "configured wrongly".
var ErrNotConfigured = errors.New("no Redis address configured")

// ConfigError reports a missing, malformed or contradictory setting. Var is
// the environment variable it concerns (also for a Config built in code: each
// field is documented with its variable). The message never contains a
// password.
type ConfigError struct {
	Var    string // e.g. "REDIS_POOL_SIZE"
	Reason string // e.g. `"abc" is not an integer`
	Err    error  // the underlying error, if any
}

func (e *ConfigError) Error() string {
	s := "redisconn: " + e.Var + ": " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *ConfigError) Unwrap() error { return e.Err }

func configErr(env, reason string) error {
	return &ConfigError{Var: env, Reason: reason}
}
