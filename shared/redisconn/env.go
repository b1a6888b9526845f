package redisconn

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// ConfigFromEnv reads the REDIS_* variables through getenv (os.Getenv when
// nil) and returns a validated Config. Unset variables take their defaults;
// every invalid or contradictory value is a *ConfigError naming the variable.
// With neither REDIS_URL nor REDIS_ADDRS set the error wraps
// ErrNotConfigured. Nothing is fetched or dialled here: the secret named by
// REDIS_AUTH_SECRET_ARN is read by New.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }

	var cfg Config
	rawURL, rawAddrs := get(EnvURL), get(EnvAddrs)
	switch {
	case rawURL != "" && rawAddrs != "":
		return Config{}, configErr(EnvURL, "is set together with "+EnvAddrs+"; set one of them")
	case rawURL == "" && rawAddrs == "":
		return Config{}, &ConfigError{Var: EnvURL, Reason: "neither " + EnvURL + " nor " + EnvAddrs + " is set", Err: ErrNotConfigured}
	}

	var err error
	if cfg.Cluster, err = parseBool(EnvCluster, get(EnvCluster), false); err != nil {
		return Config{}, err
	}

	// Where the address, credentials and the TLS default come from.
	var u parsedURL
	if rawURL != "" {
		if u, err = parseURL(rawURL); err != nil {
			return Config{}, err
		}
		cfg.Addrs, cfg.DB = []string{u.addr}, u.db
	} else {
		if cfg.Addrs, err = parseAddrs(rawAddrs); err != nil {
			return Config{}, err
		}
	}

	cfg.Username = u.username
	if v := get(EnvUsername); v != "" {
		if u.username != "" {
			return Config{}, configErr(EnvUsername, "the username is also in "+EnvURL+"; set it in one place")
		}
		cfg.Username = v
	}
	cfg.Password = u.password
	if v := getenv(EnvPassword); v != "" { // not trimmed: spaces may be part of a password
		if u.password != "" {
			return Config{}, configErr(EnvPassword, "the password is also in "+EnvURL+"; set it in one place")
		}
		cfg.Password = v
	}
	if v := get(EnvAuthSecretARN); v != "" {
		if cfg.Password != "" {
			return Config{}, configErr(EnvAuthSecretARN, "the password is also set by "+EnvPassword+" or "+EnvURL+"; set it in one place")
		}
		cfg.AuthSecretARN = v
	}

	if cfg.TLS, err = parseBool(EnvTLS, get(EnvTLS), u.tls); err != nil {
		return Config{}, err
	}
	if u.tls && !cfg.TLS {
		return Config{}, configErr(EnvTLS, "is false but "+EnvURL+" is rediss:// (TLS); use redis:// for plain TCP")
	}
	cfg.TLSServerName = get(EnvTLSServerName)
	cfg.TLSCAFile = get(EnvTLSCAFile)

	for _, f := range cfg.intFields() {
		if *f.p, err = parseInt(f.env, get(f.env), f.def, f.min, f.max); err != nil {
			return Config{}, err
		}
	}
	for _, f := range cfg.durFields() {
		if *f.p, err = parseDuration(f.env, get(f.env), f.def); err != nil {
			return Config{}, err
		}
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// parseAddrs splits a comma-separated list of host:port addresses.
func parseAddrs(s string) ([]string, error) {
	parts := strings.Split(s, ",")
	addrs := make([]string, 0, len(parts))
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			return nil, configErr(EnvAddrs, fmt.Sprintf("address %d is empty", i+1))
		}
		if err := checkAddr(p); err != nil {
			return nil, configErr(EnvAddrs, fmt.Sprintf("address %d: %v", i+1, err))
		}
		addrs = append(addrs, p)
	}
	return addrs, nil
}

func parseBool(env, v string, def bool) (bool, error) {
	switch strings.ToLower(v) {
	case "":
		return def, nil
	case "true", "1", "yes":
		return true, nil
	case "false", "0", "no":
		return false, nil
	}
	return false, configErr(env, fmt.Sprintf("%q is not true or false", v))
}

func parseInt(env, v string, def, min, max int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, configErr(env, fmt.Sprintf("%q is not an integer", v))
	}
	if n < min || n > max {
		return 0, configErr(env, fmt.Sprintf("%d is outside %d..%d", n, min, max))
	}
	return n, nil
}

func parseDuration(env, v string, def time.Duration) (time.Duration, error) {
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, configErr(env, fmt.Sprintf("%q is not a duration (use a unit, e.g. \"500ms\")", v))
	}
	if why := checkDuration(d); why != "" {
		return 0, configErr(env, fmt.Sprintf("%q %s", v, why))
	}
	return d, nil
}
