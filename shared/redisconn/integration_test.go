package redisconn

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

// These tests run against a real redis-server (and a real 3-master cluster)
// started by redistest; they skip loudly without the binary unless
// LAMBDIS_REQUIRE_INTEGRATION=1.

func TestRealServerACLUser(t *testing.T) {
	s := redistest.StartServer(t)
	ctx := context.Background()
	admin := s.Client(t)
	if err := admin.Do(ctx, "ACL", "SETUSER", "app", "on", ">"+leak, "~lambdis:*", "+@all").Err(); err != nil {
		t.Fatalf("ACL SETUSER: %v", err)
	}
	tests := []struct {
		name    string
		env     map[string]string
		sm      *fakeSM
		wantErr string
	}{
		{name: "user and password in URL", env: map[string]string{EnvURL: "redis://app:" + leak + "@" + s.Addr}},
		{name: "user variable, password from JSON secret", sm: &fakeSM{secret: `{"password":"` + leak + `"}`},
			env: map[string]string{EnvAddrs: s.Addr, EnvUsername: "app", EnvAuthSecretARN: testARN}},
		{name: "wrong password", wantErr: "WRONGPASS", env: map[string]string{EnvURL: "redis://app:nope@" + s.Addr}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ConfigFromEnv(env(nil, tc.env))
			if err != nil {
				t.Fatal(err)
			}
			var sm = tc.sm
			if sm == nil {
				sm = &fakeSM{}
			}
			c, err := New(ctx, cfg, sm)
			if tc.wantErr != "" {
				if err == nil {
					c.Close()
					t.Fatalf("New() succeeded, want an error containing %q", tc.wantErr)
				}
				if !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), leak) {
					t.Errorf("New() error = %q, want it to contain %q and not the password", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("New() error: %v", err)
			}
			defer c.Close()
			if err := c.Set(ctx, "lambdis:k", "v", 0).Err(); err != nil {
				t.Fatalf("SET as app: %v", err)
			}
			// The ACL proves we are "app", not the default user.
			if err := c.Set(ctx, "other:k", "v", 0).Err(); err == nil || !strings.Contains(err.Error(), "NOPERM") {
				t.Errorf("SET outside the user's keys: error = %v, want NOPERM", err)
			}
		})
	}
}

// TestRealServerRestart: the server is killed and restarted; the client's
// pooled connection is dead and the next command still succeeds.
func TestRealServerRestart(t *testing.T) {
	s := redistest.StartServer(t)
	ctx := context.Background()
	c, err := New(ctx, Config{Addrs: []string{s.Addr}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	s.Restart()
	if err := c.Set(ctx, "k", "again", 0).Err(); err != nil {
		t.Fatalf("SET after a restart: %v", err)
	}
}

// TestRealClusterFromOneSeed: one address with REDIS_CLUSTER=true (as with an
// ElastiCache configuration endpoint) reaches every master.
func TestRealClusterFromOneSeed(t *testing.T) {
	cl := redistest.StartCluster(t)
	ctx := context.Background()
	cfg, err := ConfigFromEnv(env(nil, map[string]string{EnvAddrs: cl.Addrs[0], EnvCluster: "true"}))
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(ctx, cfg, nil)
	if err != nil {
		t.Fatalf("New() error: %v", err)
	}
	defer c.Close()
	cc, ok := c.(*redis.ClusterClient)
	if !ok {
		t.Fatalf("New() = %T, want *redis.ClusterClient", c)
	}
	for i := 0; i < 30; i++ {
		k := fmt.Sprintf("{t%d}:k", i)
		if err := cc.Set(ctx, k, i, 0).Err(); err != nil {
			t.Fatalf("SET %s: %v", k, err)
		}
	}
	var masters atomic.Int32 // ForEachMaster runs fn concurrently
	if err := cc.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error {
		size, err := n.DBSize(ctx).Result()
		if err != nil {
			return err
		}
		if size == 0 {
			return fmt.Errorf("master %s holds no keys", n.Options().Addr)
		}
		masters.Add(1)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n := masters.Load(); n != 3 {
		t.Errorf("masters = %d, want 3", n)
	}
}

// TestRealClusterFlagAgainstStandalone: REDIS_CLUSTER=true pointed at a
// server without cluster support fails at New, not at the first request.
func TestRealClusterFlagAgainstStandalone(t *testing.T) {
	s := redistest.StartServer(t)
	c, err := New(context.Background(), Config{Addrs: []string{s.Addr}, Cluster: true}, nil)
	if err == nil {
		c.Close()
		t.Fatal("New(cluster) against a standalone server succeeded")
	}
	if !strings.Contains(err.Error(), "redisconn: PING cluster "+s.Addr) {
		t.Errorf("New() error = %q, want it to name the cluster address", err)
	}
}
