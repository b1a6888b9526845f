package redisconn

import (
	"context"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
)

func runTLS(t *testing.T, pki testPKI) *miniredis.Miniredis {
	t.Helper()
	m, err := miniredis.RunTLS(pki.serverTLS)
	if err != nil {
		t.Fatalf("miniredis.RunTLS: %v", err)
	}
	t.Cleanup(m.Close)
	return m
}

func TestNewTLS(t *testing.T) {
	pki := newTestPKI(t)
	tests := []struct {
		name    string
		env     func(addr string) map[string]string
		wantErr string // substring; "" means success
	}{
		{name: "rediss with CA and server name", env: func(a string) map[string]string {
			return map[string]string{EnvURL: "rediss://:" + leak + "@" + a, EnvTLSCAFile: pki.caFile, EnvTLSServerName: "redis.test"}
		}},
		{name: "REDIS_TLS=true with addrs", env: func(a string) map[string]string {
			return map[string]string{EnvAddrs: a, EnvPassword: leak, EnvTLS: "true", EnvTLSCAFile: pki.caFile, EnvTLSServerName: "redis.test"}
		}},
		{name: "cluster over TLS", env: func(a string) map[string]string {
			return map[string]string{EnvURL: "rediss://:" + leak + "@" + a, EnvCluster: "true", EnvTLSCAFile: pki.caFile, EnvTLSServerName: "redis.test"}
		}},
		{name: "system roots do not trust the test CA", wantErr: "certificate", env: func(a string) map[string]string {
			return map[string]string{EnvURL: "rediss://:" + leak + "@" + a, EnvTLSServerName: "redis.test"}
		}},
		{name: "certificate not valid for the dialled IP", wantErr: "certificate", env: func(a string) map[string]string {
			return map[string]string{EnvURL: "rediss://:" + leak + "@" + a, EnvTLSCAFile: pki.caFile}
		}},
		{name: "wrong server name", wantErr: "certificate", env: func(a string) map[string]string {
			return map[string]string{EnvURL: "rediss://:" + leak + "@" + a, EnvTLSCAFile: pki.caFile, EnvTLSServerName: "other.test"}
		}},
		{name: "plain TCP to a TLS server", wantErr: "redisconn: PING standalone", env: func(a string) map[string]string {
			return map[string]string{EnvURL: "redis://:" + leak + "@" + a}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := runTLS(t, pki)
			m.RequireAuth(leak)
			cfg, err := ConfigFromEnv(env(nil, tc.env(m.Addr())))
			if err != nil {
				t.Fatalf("ConfigFromEnv: %v", err)
			}
			c, err := New(context.Background(), cfg, nil)
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
				return
			}
			if err != nil {
				t.Fatalf("New() error: %v", err)
			}
			defer c.Close()
			if err := c.Set(context.Background(), "k", "v", 0).Err(); err != nil {
				t.Fatalf("SET over TLS: %v", err)
			}
		})
	}
}

// TestTLSRecoversFromDeadPooledConnection is the frozen-Lambda case on TLS,
// where go-redis does not health-check idle connections: the server goes
// away and comes back, the pooled connection is dead, and the next command
// still succeeds because a retry dials afresh.
func TestTLSRecoversFromDeadPooledConnection(t *testing.T) {
	pki := newTestPKI(t)
	m := runTLS(t, pki)
	cfg := Config{Addrs: []string{m.Addr()}, TLS: true, TLSCAFile: pki.caFile, TLSServerName: "redis.test", PoolSize: 1}
	c, err := New(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	m.Close()
	if err := m.StartTLS(pki.serverTLS); err != nil {
		t.Fatalf("restart miniredis with TLS: %v", err)
	}
	if got, err := c.Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Fatalf("GET after the server dropped the TLS connection = %q, %v; want %q, nil", got, err, "v")
	}
}
