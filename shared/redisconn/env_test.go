package redisconn

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// defaults is the Config ConfigFromEnv returns for one plain address with
// nothing else set.
func defaults(addrs ...string) Config {
	return Config{
		Addrs:           addrs,
		PoolSize:        DefaultPoolSize,
		MinIdleConns:    DefaultMinIdleConns,
		ConnMaxIdleTime: DefaultConnMaxIdleTime,
		MaxRetries:      DefaultMaxRetries,
		DialTimeout:     DefaultDialTimeout,
		ReadTimeout:     DefaultReadTimeout,
		WriteTimeout:    DefaultWriteTimeout,
		PoolTimeout:     DefaultPoolTimeout,
	}
}

func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want func(c *Config) // applied to defaults("h:6379")
	}{
		{name: "URL defaults", env: map[string]string{EnvURL: "redis://h:6379"}},
		{name: "URL default port", env: map[string]string{EnvURL: "redis://h"}},
		{name: "URL with spaces around", env: map[string]string{EnvURL: "  redis://h:6379\n"}},
		{name: "URL db", env: map[string]string{EnvURL: "redis://h:6379/3"}, want: func(c *Config) { c.DB = 3 }},
		{name: "URL trailing slash", env: map[string]string{EnvURL: "redis://h:6379/"}},
		{name: "URL user and password", env: map[string]string{EnvURL: "redis://app:p%40ss@h:6379"},
			want: func(c *Config) { c.Username, c.Password = "app", "p@ss" }},
		{name: "URL password only", env: map[string]string{EnvURL: "redis://:pw@h:6379"},
			want: func(c *Config) { c.Password = "pw" }},
		{name: "rediss turns TLS on", env: map[string]string{EnvURL: "rediss://h:6379"},
			want: func(c *Config) { c.TLS = true }},
		{name: "rediss with REDIS_TLS=true", env: map[string]string{EnvURL: "rediss://h:6379", EnvTLS: "true"},
			want: func(c *Config) { c.TLS = true }},
		{name: "redis with REDIS_TLS=true", env: map[string]string{EnvURL: "redis://h:6379", EnvTLS: "TRUE"},
			want: func(c *Config) { c.TLS = true }},
		{name: "TLS server name and CA file", env: map[string]string{EnvURL: "rediss://h:6379", EnvTLSServerName: "redis.test", EnvTLSCAFile: "/ca.pem"},
			want: func(c *Config) { c.TLS, c.TLSServerName, c.TLSCAFile = true, "redis.test", "/ca.pem" }},
		{name: "URL with cluster", env: map[string]string{EnvURL: "rediss://h:6379", EnvCluster: "true"},
			want: func(c *Config) { c.TLS, c.Cluster = true, true }},
		{name: "one address", env: map[string]string{EnvAddrs: "h:6379"}},
		{name: "one address, cluster", env: map[string]string{EnvAddrs: "h:6379", EnvCluster: "1"},
			want: func(c *Config) { c.Cluster = true }},
		{name: "cluster explicitly false", env: map[string]string{EnvAddrs: "h:6379", EnvCluster: "false"}},
		{name: "cluster no", env: map[string]string{EnvAddrs: "h:6379", EnvCluster: "No"}},
		{name: "cluster yes", env: map[string]string{EnvAddrs: "h:6379", EnvCluster: "yes"},
			want: func(c *Config) { c.Cluster = true }},
		{name: "seed list", env: map[string]string{EnvAddrs: "h:6379, [::1]:7000 ,10.0.0.2:7001", EnvCluster: "true"},
			want: func(c *Config) { c.Addrs, c.Cluster = []string{"h:6379", "[::1]:7000", "10.0.0.2:7001"}, true }},
		{name: "username and password variables", env: map[string]string{EnvAddrs: "h:6379", EnvUsername: "app", EnvPassword: " pw with spaces "},
			want: func(c *Config) { c.Username, c.Password = "app", " pw with spaces " }},
		{name: "URL user with password variable", env: map[string]string{EnvURL: "redis://app@h:6379", EnvPassword: "pw"},
			want: func(c *Config) { c.Username, c.Password = "app", "pw" }},
		{name: "secret ARN", env: map[string]string{EnvURL: "redis://app@h:6379", EnvAuthSecretARN: testARN},
			want: func(c *Config) { c.Username, c.AuthSecretARN = "app", testARN }},
		{name: "tuning", env: map[string]string{
			EnvURL: "redis://h:6379", EnvPoolSize: "16", EnvMinIdleConns: "2", EnvConnMaxIdleTime: "25s",
			EnvMaxRetries: "1", EnvDialTimeout: "1s", EnvReadTimeout: "750ms", EnvWriteTimeout: "300ms", EnvPoolTimeout: "2s",
		}, want: func(c *Config) {
			c.PoolSize, c.MinIdleConns, c.ConnMaxIdleTime, c.MaxRetries = 16, 2, 25*time.Second, 1
			c.DialTimeout, c.ReadTimeout, c.WriteTimeout, c.PoolTimeout = time.Second, 750*time.Millisecond, 300*time.Millisecond, 2*time.Second
		}},
		{name: "bounds inclusive", env: map[string]string{
			EnvURL: "redis://h:6379", EnvPoolSize: "256", EnvMinIdleConns: "256", EnvMaxRetries: "10", EnvDialTimeout: "30s",
		}, want: func(c *Config) {
			c.PoolSize, c.MinIdleConns, c.MaxRetries, c.DialTimeout = 256, 256, 10, 30*time.Second
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ConfigFromEnv(env(nil, tc.env))
			if err != nil {
				t.Fatalf("ConfigFromEnv(%v) error: %v", tc.env, err)
			}
			want := defaults("h:6379")
			if tc.want != nil {
				tc.want(&want)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("ConfigFromEnv(%v)\n got %#v\nwant %#v", tc.env, got, want)
			}
		})
	}
}

// TestConfigFromEnvInvalid covers the invalid forms of every variable. Each
// error must be a *ConfigError for that variable, name it in its message,
// carry the reason, and never contain the password.
func TestConfigFromEnvInvalid(t *testing.T) {
	base := map[string]string{EnvURL: "redis://127.0.0.1:6379"}
	notPEM := filepath.Join(t.TempDir(), "not.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "missing.pem")

	type tcase struct {
		name    string
		env     map[string]string // overlaid on base; "" unsets
		wantVar string
		reason  string
	}
	tests := []tcase{
		{"neither URL nor addrs", map[string]string{EnvURL: ""}, EnvURL, "neither REDIS_URL nor REDIS_ADDRS is set"},
		{"URL only spaces", map[string]string{EnvURL: "   "}, EnvURL, "neither"},
		{"URL and addrs", map[string]string{EnvAddrs: "h:1"}, EnvURL, "set together with REDIS_ADDRS"},
		{"URL scheme", map[string]string{EnvURL: "http://:" + leak + "@h:6379"}, EnvURL, `scheme "http" is not redis or rediss`},
		{"URL unix", map[string]string{EnvURL: "unix:///tmp/redis.sock"}, EnvURL, `scheme "unix"`},
		{"URL no scheme", map[string]string{EnvURL: "//h:6379"}, EnvURL, "has no scheme"},
		{"URL host:port only", map[string]string{EnvURL: "h:6379"}, EnvURL, `scheme "h"`},
		{"URL no host", map[string]string{EnvURL: "redis://"}, EnvURL, "has no host"},
		{"URL no host with password", map[string]string{EnvURL: "redis://:" + leak + "@"}, EnvURL, "has no host"},
		{"URL bad port", map[string]string{EnvURL: "redis://:" + leak + "@h:abc"}, EnvURL, "is not a valid URL"},
		{"URL port zero", map[string]string{EnvURL: "redis://:" + leak + "@h:0"}, EnvURL, "is not a number in 1..65535"},
		{"URL port too big", map[string]string{EnvURL: "redis://h:70000"}, EnvURL, "is not a number in 1..65535"},
		{"URL control character", map[string]string{EnvURL: "redis://:" + leak + "@h:6379/\x7f"}, EnvURL, "is not a valid URL"},
		{"URL db not a number", map[string]string{EnvURL: "redis://:" + leak + "@h:6379/x"}, EnvURL, `database "x"`},
		{"URL db negative", map[string]string{EnvURL: "redis://h:6379/-1"}, EnvURL, `database "-1"`},
		{"URL db nested path", map[string]string{EnvURL: "redis://h:6379/0/1"}, EnvURL, `database "0/1"`},
		{"URL query", map[string]string{EnvURL: "redis://:" + leak + "@h:6379?dial_timeout=1s"}, EnvURL, "query parameters are not supported"},
		{"URL empty query", map[string]string{EnvURL: "redis://h:6379?"}, EnvURL, "query parameters are not supported"},
		{"URL fragment", map[string]string{EnvURL: "redis://h:6379#x"}, EnvURL, "fragment"},
		{"URL db with cluster", map[string]string{EnvURL: "redis://h:6379/2", EnvCluster: "true"}, EnvURL, "a cluster has only database 0"},

		{"addrs no port", map[string]string{EnvURL: "", EnvAddrs: "h"}, EnvAddrs, `"h" is not host:port`},
		{"addrs bad port", map[string]string{EnvURL: "", EnvAddrs: "h:abc"}, EnvAddrs, `port "abc"`},
		{"addrs port zero", map[string]string{EnvURL: "", EnvAddrs: "h:0"}, EnvAddrs, `port "0"`},
		{"addrs no host", map[string]string{EnvURL: "", EnvAddrs: ":6379"}, EnvAddrs, "has no host"},
		{"addrs empty entry", map[string]string{EnvURL: "", EnvAddrs: "a:1,,b:2", EnvCluster: "true"}, EnvAddrs, "address 2 is empty"},
		{"addrs trailing comma", map[string]string{EnvURL: "", EnvAddrs: "a:1,", EnvCluster: "true"}, EnvAddrs, "address 2 is empty"},
		{"addrs URL in list", map[string]string{EnvURL: "", EnvAddrs: "redis://a:1"}, EnvAddrs, "is not host:port"},
		{"addrs many without cluster", map[string]string{EnvURL: "", EnvAddrs: "a:1,b:2"}, EnvAddrs, "2 addresses need REDIS_CLUSTER=true"},
		{"addrs many with cluster false", map[string]string{EnvURL: "", EnvAddrs: "a:1,b:2", EnvCluster: "false"}, EnvAddrs, "need REDIS_CLUSTER=true"},

		{"cluster on", map[string]string{EnvCluster: "on"}, EnvCluster, `"on" is not true or false`},
		{"cluster 2", map[string]string{EnvCluster: "2"}, EnvCluster, `"2" is not true or false`},

		{"username twice", map[string]string{EnvURL: "redis://app@h:6379", EnvUsername: "other"}, EnvUsername, "also in REDIS_URL"},

		{"password twice", map[string]string{EnvURL: "redis://:" + leak + "@h:6379", EnvPassword: leak}, EnvPassword, "also in REDIS_URL"},

		{"secret and password", map[string]string{EnvPassword: leak, EnvAuthSecretARN: testARN}, EnvAuthSecretARN, "set it in one place"},
		{"secret and URL password", map[string]string{EnvURL: "redis://:" + leak + "@h:6379", EnvAuthSecretARN: testARN}, EnvAuthSecretARN, "set it in one place"},
		{"secret not an ARN", map[string]string{EnvAuthSecretARN: "lambdis/redis"}, EnvAuthSecretARN, `"lambdis/redis" is not an ARN`},
		{"secret other service", map[string]string{EnvAuthSecretARN: "arn:aws:ssm:eu-west-1:123456789012:parameter/redis"}, EnvAuthSecretARN, `not a Secrets Manager ARN (service "ssm")`},

		{"TLS maybe", map[string]string{EnvTLS: "maybe"}, EnvTLS, `"maybe" is not true or false`},
		{"TLS false with rediss", map[string]string{EnvURL: "rediss://h:6379", EnvTLS: "false"}, EnvTLS, "rediss://"},

		{"server name without TLS", map[string]string{EnvTLSServerName: "redis.test"}, EnvTLSServerName, "TLS is off"},
		{"server name with TLS false", map[string]string{EnvTLS: "false", EnvTLSServerName: "redis.test"}, EnvTLSServerName, "TLS is off"},

		{"CA file without TLS", map[string]string{EnvTLSCAFile: notPEM}, EnvTLSCAFile, "TLS is off"},
		{"CA file missing", map[string]string{EnvURL: "rediss://h:6379", EnvTLSCAFile: missing}, EnvTLSCAFile, "cannot read the CA file"},
		{"CA file not PEM", map[string]string{EnvURL: "rediss://h:6379", EnvTLSCAFile: notPEM}, EnvTLSCAFile, "holds no PEM certificate"},

		{"min idle above pool size", map[string]string{EnvPoolSize: "2", EnvMinIdleConns: "3"}, EnvMinIdleConns, "3 is more than REDIS_POOL_SIZE (2)"},
		{"min idle above default pool size", map[string]string{EnvMinIdleConns: "5"}, EnvMinIdleConns, "5 is more than REDIS_POOL_SIZE (4)"},
	}

	// Every integer variable: not an integer, and each side of its range.
	for _, v := range []struct {
		env      string
		min, max string
	}{
		{EnvPoolSize, "0", "257"},
		{EnvMinIdleConns, "-1", "257"},
		{EnvMaxRetries, "0", "11"},
	} {
		tests = append(tests,
			tcase{v.env + " word", map[string]string{v.env: "abc"}, v.env, `"abc" is not an integer`},
			tcase{v.env + " fraction", map[string]string{v.env: "1.5"}, v.env, `"1.5" is not an integer`},
			tcase{v.env + " below range", map[string]string{v.env: v.min}, v.env, "is outside"},
			tcase{v.env + " above range", map[string]string{v.env: v.max}, v.env, "is outside"},
		)
	}
	// Every duration variable: no unit, not a duration, zero, negative, too long.
	for _, v := range []string{EnvConnMaxIdleTime, EnvDialTimeout, EnvReadTimeout, EnvWriteTimeout, EnvPoolTimeout} {
		tests = append(tests,
			tcase{v + " no unit", map[string]string{v: "500"}, v, `"500" is not a duration`},
			tcase{v + " word", map[string]string{v: "soon"}, v, `"soon" is not a duration`},
			tcase{v + " zero", map[string]string{v: "0s"}, v, "must be greater than 0"},
			tcase{v + " negative", map[string]string{v: "-1s"}, v, "must be greater than 0"},
			tcase{v + " too long", map[string]string{v: "31s"}, v, "is more than 30s"},
			tcase{v + " minute", map[string]string{v: "1m"}, v, "is more than 30s"},
		)
	}

	seen := map[string]bool{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			seen[tc.wantVar] = true
			// Some settings can only be checked when the client is built
			// (the CA file is read by New), so go as far as New without
			// touching the network.
			err := func() error {
				cfg, err := ConfigFromEnv(env(base, tc.env))
				if err != nil {
					return err
				}
				cfg.SkipPing = true
				c, err := New(context.Background(), cfg, &fakeSM{secret: "pw"})
				if c != nil {
					_ = c.Close()
				}
				return err
			}()
			if err == nil {
				t.Fatalf("env %q: no error, want one naming %s", tc.env, tc.wantVar)
			}
			msg := err.Error()
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %q is %T, want *ConfigError", msg, err)
			}
			if ce.Var != tc.wantVar {
				t.Errorf("error %q: Var = %s, want %s", msg, ce.Var, tc.wantVar)
			}
			if !strings.HasPrefix(msg, "redisconn: "+tc.wantVar+": ") {
				t.Errorf("error %q does not start with %q", msg, "redisconn: "+tc.wantVar+": ")
			}
			if !strings.Contains(msg, tc.reason) {
				t.Errorf("error %q does not contain %q", msg, tc.reason)
			}
			if strings.Contains(msg, leak) {
				t.Errorf("error %q contains the password", msg)
			}
		})
	}
	for _, v := range []string{EnvURL, EnvAddrs, EnvCluster, EnvUsername, EnvPassword, EnvAuthSecretARN, EnvTLS,
		EnvTLSServerName, EnvTLSCAFile, EnvPoolSize, EnvMinIdleConns, EnvConnMaxIdleTime, EnvMaxRetries,
		EnvDialTimeout, EnvReadTimeout, EnvWriteTimeout, EnvPoolTimeout} {
		if !seen[v] {
			t.Errorf("no invalid case for %s", v)
		}
	}
}

func TestConfigFromEnvNotConfigured(t *testing.T) {
	_, err := ConfigFromEnv(env(nil, nil))
	if !errors.Is(err, ErrNotConfigured) {
		t.Fatalf("ConfigFromEnv(empty) error = %v, want one wrapping ErrNotConfigured", err)
	}
	_, err = ConfigFromEnv(env(nil, map[string]string{EnvURL: "redis://h:6379", EnvAddrs: "h:6379"}))
	if errors.Is(err, ErrNotConfigured) {
		t.Fatalf("ConfigFromEnv(both) error = %v wraps ErrNotConfigured; it is a misconfiguration", err)
	}
}

func TestConfigFromEnvNilGetenvUsesProcessEnv(t *testing.T) {
	t.Setenv(EnvURL, "redis://from-process:6379")
	t.Setenv(EnvAddrs, "")
	cfg, err := ConfigFromEnv(nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"from-process:6379"}; !reflect.DeepEqual(cfg.Addrs, want) {
		t.Errorf("Addrs = %v, want %v", cfg.Addrs, want)
	}
}

// TestValidateConfigBuiltInCode covers what ConfigFromEnv cannot produce but
// a Config literal can.
func TestValidateConfigBuiltInCode(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantVar string // "" means valid
	}{
		{name: "zero fields take defaults", cfg: Config{Addrs: []string{"h:1"}}},
		{name: "no address", cfg: Config{}, wantVar: EnvURL},
		{name: "bad address", cfg: Config{Addrs: []string{"h"}}, wantVar: EnvAddrs},
		{name: "negative db", cfg: Config{Addrs: []string{"h:1"}, DB: -1}, wantVar: EnvURL},
		{name: "negative pool size", cfg: Config{Addrs: []string{"h:1"}, PoolSize: -1}, wantVar: EnvPoolSize},
		{name: "negative max retries", cfg: Config{Addrs: []string{"h:1"}, MaxRetries: -1}, wantVar: EnvMaxRetries},
		{name: "negative timeout", cfg: Config{Addrs: []string{"h:1"}, ReadTimeout: -time.Second}, wantVar: EnvReadTimeout},
		{name: "long idle time", cfg: Config{Addrs: []string{"h:1"}, ConnMaxIdleTime: time.Hour}, wantVar: EnvConnMaxIdleTime},
		{name: "password and secret", cfg: Config{Addrs: []string{"h:1"}, Password: leak, AuthSecretARN: testARN}, wantVar: EnvAuthSecretARN},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.wantVar == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Var != tc.wantVar {
				t.Fatalf("Validate() = %v, want a *ConfigError for %s", err, tc.wantVar)
			}
			if strings.Contains(err.Error(), leak) {
				t.Errorf("Validate() error %q contains the password", err)
			}
		})
	}
}

func TestConfigStringHidesPassword(t *testing.T) {
	tests := []struct {
		cfg  Config
		want []string
	}{
		{cfg: Config{Addrs: []string{"h:1"}, Username: "app", Password: leak, TLS: true},
			want: []string{"standalone h:1", "user=app", "password=set", " tls", "pool=4"}},
		{cfg: Config{Addrs: []string{"a:1", "b:2"}, Cluster: true, AuthSecretARN: testARN},
			want: []string{"cluster a:1,b:2", "password=secret:" + testARN}},
	}
	for _, tc := range tests {
		s := tc.cfg.String()
		if strings.Contains(s, leak) {
			t.Errorf("String() = %q contains the password", s)
		}
		for _, w := range tc.want {
			if !strings.Contains(s, w) {
				t.Errorf("String() = %q, want it to contain %q", s, w)
			}
		}
	}
}
