package redisconn

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// TestNewClientKind checks that the cluster flag, not the number of
// addresses, decides the client type, and that the Lambda settings reach
// go-redis. No server is contacted (SkipPing).
func TestNewClientKind(t *testing.T) {
	tests := []struct {
		name        string
		cfg         Config
		wantCluster bool
	}{
		{name: "one address, standalone", cfg: Config{Addrs: []string{"127.0.0.1:1"}}},
		{name: "one address, cluster", cfg: Config{Addrs: []string{"127.0.0.1:1"}, Cluster: true}, wantCluster: true},
		{name: "seed list, cluster", cfg: Config{Addrs: []string{"127.0.0.1:1", "127.0.0.1:2"}, Cluster: true}, wantCluster: true},
		{name: "TLS, standalone", cfg: Config{Addrs: []string{"127.0.0.1:1"}, TLS: true, TLSServerName: "redis.test"}},
		{name: "TLS, cluster", cfg: Config{Addrs: []string{"127.0.0.1:1"}, Cluster: true, TLS: true}, wantCluster: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.SkipPing = true
			c, err := New(context.Background(), tc.cfg, nil)
			if err != nil {
				t.Fatalf("New(%v) error: %v", tc.cfg, err)
			}
			defer c.Close()
			var (
				pool, minIdle, retries, dialerRetries, pipelinePool int
				idle, dial, read, write, poolTimeout                time.Duration
				ctxTimeout, noIdentity                              bool
				tlsCfg                                              *tls.Config
				maint                                               *maintnotifications.Config
			)
			switch cl := c.(type) {
			case *redis.ClusterClient:
				if !tc.wantCluster {
					t.Fatalf("New(%v) = %T, want *redis.Client", tc.cfg, c)
				}
				o := cl.Options()
				pool, minIdle, retries, dialerRetries, pipelinePool = o.PoolSize, o.MinIdleConns, o.MaxRetries, o.DialerRetries, o.PipelinePoolSize
				idle, dial, read, write, poolTimeout = o.ConnMaxIdleTime, o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout
				ctxTimeout, noIdentity, tlsCfg, maint = o.ContextTimeoutEnabled, o.DisableIdentity, o.TLSConfig, o.MaintNotificationsConfig
			case *redis.Client:
				if tc.wantCluster {
					t.Fatalf("New(%v) = %T, want *redis.ClusterClient", tc.cfg, c)
				}
				o := cl.Options()
				pool, minIdle, retries, dialerRetries, pipelinePool = o.PoolSize, o.MinIdleConns, o.MaxRetries, o.DialerRetries, o.PipelinePoolSize
				idle, dial, read, write, poolTimeout = o.ConnMaxIdleTime, o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout
				ctxTimeout, noIdentity, tlsCfg, maint = o.ContextTimeoutEnabled, o.DisableIdentity, o.TLSConfig, o.MaintNotificationsConfig
			default:
				t.Fatalf("New(%v) = %T", tc.cfg, c)
			}
			if pool != DefaultPoolSize || minIdle != DefaultMinIdleConns || retries != DefaultMaxRetries {
				t.Errorf("pool/minIdle/retries = %d/%d/%d, want %d/%d/%d", pool, minIdle, retries, DefaultPoolSize, DefaultMinIdleConns, DefaultMaxRetries)
			}
			if idle != DefaultConnMaxIdleTime || dial != DefaultDialTimeout || read != DefaultReadTimeout || write != DefaultWriteTimeout || poolTimeout != DefaultPoolTimeout {
				t.Errorf("idle/dial/read/write/pool timeouts = %s/%s/%s/%s/%s, want the defaults", idle, dial, read, write, poolTimeout)
			}
			if !ctxTimeout {
				t.Error("ContextTimeoutEnabled = false, want true")
			}
			if dialerRetries != 1 || pipelinePool != -1 || !noIdentity {
				t.Errorf("DialerRetries/PipelinePoolSize/DisableIdentity = %d/%d/%v, want 1/-1/true", dialerRetries, pipelinePool, noIdentity)
			}
			if maint == nil || maint.Mode != maintnotifications.ModeDisabled {
				t.Errorf("maintenance notifications = %+v, want disabled", maint)
			}
			if got := tlsCfg != nil; got != tc.cfg.TLS {
				t.Fatalf("TLS config present = %v, want %v", got, tc.cfg.TLS)
			}
			if tlsCfg != nil {
				if tlsCfg.MinVersion != tls.VersionTLS12 {
					t.Errorf("TLS MinVersion = %x, want TLS 1.2", tlsCfg.MinVersion)
				}
				if tlsCfg.ServerName != tc.cfg.TLSServerName {
					t.Errorf("TLS ServerName = %q, want %q", tlsCfg.ServerName, tc.cfg.TLSServerName)
				}
			}
		})
	}
}

// TestNewAgainstMiniredis connects for real, with every way of giving the
// password.
func TestNewAgainstMiniredis(t *testing.T) {
	tests := []struct {
		name     string
		user, pw string // what the server requires; "" means no AUTH
		env      func(addr string) map[string]string
		sm       *fakeSM
		wantErr  string // substring; "" means success
		wantVar  string // for a *ConfigError
		smCalls  int
	}{
		{name: "no auth, URL", env: func(a string) map[string]string { return map[string]string{EnvURL: "redis://" + a} }},
		{name: "no auth, addrs", env: func(a string) map[string]string { return map[string]string{EnvAddrs: a} }},
		{name: "no auth, db in URL", env: func(a string) map[string]string { return map[string]string{EnvURL: "redis://" + a + "/5"} }},
		{name: "password in URL", pw: leak,
			env: func(a string) map[string]string { return map[string]string{EnvURL: "redis://:" + leak + "@" + a} }},
		{name: "password variable", pw: leak,
			env: func(a string) map[string]string { return map[string]string{EnvURL: "redis://" + a, EnvPassword: leak} }},
		{name: "user and password in URL", user: "app", pw: leak,
			env: func(a string) map[string]string { return map[string]string{EnvURL: "redis://app:" + leak + "@" + a} }},
		{name: "user and password variables", user: "app", pw: leak,
			env: func(a string) map[string]string {
				return map[string]string{EnvAddrs: a, EnvUsername: "app", EnvPassword: leak}
			}},
		{name: "plain secret", pw: leak, sm: &fakeSM{secret: leak}, smCalls: 1,
			env: func(a string) map[string]string {
				return map[string]string{EnvURL: "redis://" + a, EnvAuthSecretARN: testARN}
			}},
		{name: "JSON secret with user from URL", user: "app", pw: leak, sm: &fakeSM{secret: `{"username":"app","password":"` + leak + `"}`}, smCalls: 1,
			env: func(a string) map[string]string {
				return map[string]string{EnvURL: "redis://app@" + a, EnvAuthSecretARN: testARN}
			}},
		{name: "wrong password", pw: leak, wantErr: "redisconn: PING standalone",
			env: func(a string) map[string]string { return map[string]string{EnvURL: "redis://:wrong@" + a} }},
		{name: "password missing", pw: leak, wantErr: "NOAUTH",
			env: func(a string) map[string]string { return map[string]string{EnvURL: "redis://" + a} }},
		{name: "secret fetch fails", pw: leak, sm: &fakeSM{err: errors.New("AccessDeniedException")}, smCalls: 1,
			wantErr: "get secret value " + testARN + ": AccessDeniedException", wantVar: EnvAuthSecretARN,
			env: func(a string) map[string]string {
				return map[string]string{EnvURL: "redis://" + a, EnvAuthSecretARN: testARN}
			}},
		{name: "secret without password field", pw: leak, sm: &fakeSM{secret: `{"user":"x"}`}, smCalls: 1,
			wantErr: `no field "password"`, wantVar: EnvAuthSecretARN,
			env: func(a string) map[string]string {
				return map[string]string{EnvURL: "redis://" + a, EnvAuthSecretARN: testARN}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := miniredis.RunT(t)
			if tc.pw != "" {
				if tc.user != "" {
					m.RequireUserAuth(tc.user, tc.pw)
				} else {
					m.RequireAuth(tc.pw)
				}
			}
			cfg, err := ConfigFromEnv(env(nil, tc.env(m.Addr())))
			if err != nil {
				t.Fatalf("ConfigFromEnv: %v", err)
			}
			sm := tc.sm
			if sm == nil {
				sm = &fakeSM{err: errors.New("must not be called")}
			}
			c, err := New(context.Background(), cfg, sm)
			if sm.calls != tc.smCalls {
				t.Errorf("Secrets Manager calls = %d, want %d", sm.calls, tc.smCalls)
			}
			if tc.smCalls > 0 && sm.gotID != testARN {
				t.Errorf("SecretId = %q, want %q", sm.gotID, testARN)
			}
			if tc.wantErr != "" {
				if err == nil {
					c.Close()
					t.Fatalf("New() succeeded, want an error containing %q", tc.wantErr)
				}
				if !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("New() error = %q, want it to contain %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), leak) {
					t.Errorf("New() error = %q contains the password", err)
				}
				var ce *ConfigError
				if tc.wantVar != "" && (!errors.As(err, &ce) || ce.Var != tc.wantVar) {
					t.Errorf("New() error = %q, want a *ConfigError for %s", err, tc.wantVar)
				}
				return
			}
			if err != nil {
				t.Fatalf("New() error: %v", err)
			}
			defer c.Close()
			ctx := context.Background()
			if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
				t.Fatalf("SET: %v", err)
			}
			db := cfg.DB
			if got, err := m.DB(db).Get("k"); err != nil || got != "v" {
				t.Errorf("server db %d: k = %q, %v; want %q", db, got, err, "v")
			}
		})
	}
}

func TestNewUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens here now
	c, err := New(context.Background(), Config{Addrs: []string{addr}}, nil)
	if err == nil {
		c.Close()
		t.Fatalf("New(%s) succeeded with no server", addr)
	}
	if want := "redisconn: PING standalone " + addr; !strings.Contains(err.Error(), want) {
		t.Errorf("New() error = %q, want it to contain %q", err, want)
	}
	var opErr *net.OpError
	if !errors.As(err, &opErr) {
		t.Errorf("New() error = %q does not wrap the network error", err)
	}
}

func TestNewHonoursCallerContext(t *testing.T) {
	m := miniredis.RunT(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c, err := New(ctx, Config{Addrs: []string{m.Addr()}}, nil)
	if err == nil {
		c.Close()
		t.Fatal("New() with a cancelled context succeeded")
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("New() error = %v, want it to wrap context.Canceled", err)
	}
}

func TestNewSkipPingDoesNotConnect(t *testing.T) {
	m := miniredis.RunT(t)
	c, err := New(context.Background(), Config{Addrs: []string{m.Addr()}, SkipPing: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if n := m.TotalConnectionCount(); n != 0 {
		t.Errorf("connections after New(SkipPing) = %d, want 0", n)
	}
}

// TestNewClusterAgainstMiniredis: one configuration-endpoint address with
// REDIS_CLUSTER=true gives a cluster client that discovers the slots.
func TestNewClusterAgainstMiniredis(t *testing.T) {
	m := miniredis.RunT(t)
	m.RequireAuth(leak)
	cfg, err := ConfigFromEnv(env(nil, map[string]string{
		EnvURL: "redis://" + m.Addr(), EnvCluster: "true", EnvAuthSecretARN: testARN,
	}))
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(context.Background(), cfg, &fakeSM{secret: leak})
	if err != nil {
		t.Fatalf("New() error: %v", err)
	}
	defer c.Close()
	cc, ok := c.(*redis.ClusterClient)
	if !ok {
		t.Fatalf("New() = %T, want *redis.ClusterClient", c)
	}
	ctx := context.Background()
	if err := cc.Set(ctx, "{u:alice}:n", "1", 0).Err(); err != nil {
		t.Fatalf("SET through the cluster client: %v", err)
	}
	if got, _ := m.Get("{u:alice}:n"); got != "1" {
		t.Errorf("server value = %q, want %q", got, "1")
	}
}

func TestFromEnv(t *testing.T) {
	m := miniredis.RunT(t)
	m.RequireAuth(leak)
	for _, k := range []string{EnvAddrs, EnvAuthSecretARN, EnvUsername, EnvTLS, EnvTLSServerName, EnvTLSCAFile, EnvCluster} {
		t.Setenv(k, "")
	}
	t.Setenv(EnvURL, "redis://"+m.Addr())
	t.Setenv(EnvPassword, leak)
	t.Setenv(EnvPoolSize, "2")
	c, err := FromEnv(context.Background())
	if err != nil {
		t.Fatalf("FromEnv() error: %v", err)
	}
	defer c.Close()
	if got := c.(*redis.Client).Options().PoolSize; got != 2 {
		t.Errorf("PoolSize = %d, want 2", got)
	}

	t.Setenv(EnvPoolSize, "lots")
	if _, err := FromEnv(context.Background()); err == nil || !strings.Contains(err.Error(), EnvPoolSize) {
		t.Errorf("FromEnv() with a bad pool size: error = %v, want one naming %s", err, EnvPoolSize)
	}
}

// TestNewRecoversFromDroppedConnections: the server drops every connection
// (as after a frozen Lambda thaws or a failover) and the next command still
// succeeds, on a fresh connection.
func TestNewRecoversFromDroppedConnections(t *testing.T) {
	m := miniredis.RunT(t)
	c, err := New(context.Background(), Config{Addrs: []string{m.Addr()}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	m.Close()
	if err := m.Restart(); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Fatalf("GET after the server dropped connections = %q, %v; want %q, nil", got, err, "v")
	}
}
