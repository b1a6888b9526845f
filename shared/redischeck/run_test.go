package redischeck

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

// verdictOf is the level and detail of the named check.
func verdictOf(t *testing.T, r Report, name string) Check {
	t.Helper()
	for _, c := range r.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no %s check in %+v", name, r.Checks)
	return Check{}
}

// TestRunOnServerAndCluster: every check passes on a fresh server and a
// healthy 3-master cluster when the client's mode matches; a mismatch is
// caught both ways; the report marshals as the admin API answers it.
func TestRunOnServerAndCluster(t *testing.T) {
	ctx := context.Background()
	srv := redistest.StartServer(t)
	cl := redistest.StartCluster(t)
	for _, tc := range []struct {
		name    string
		rdb     redis.UniversalClient
		cluster bool
		level   Level  // of the cluster check
		want    string // in its detail
	}{
		{"server", srv.Client(t), false, OK, "standalone server, standalone client"},
		{"cluster", cl.Client(t), true, OK, "all 16384 slots assigned, 3 masters"},
		{"standalone client on a cluster node", cl.Nodes[0].Client(t), false, Fail, "set REDIS_CLUSTER=true"},
		{"cluster client on a standalone server", srv.Client(t), true, Warn, "REDIS_CLUSTER=true but the server reports cluster_enabled:0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Run(ctx, tc.rdb, Options{Cluster: tc.cluster, ProbeKey: "lambdis:doctor:{probe}"})
			c := verdictOf(t, r, "cluster")
			if c.Level != tc.level || !strings.Contains(c.Detail, tc.want) {
				t.Errorf("cluster check %s %q, want %s containing %q", c.Level, c.Detail, tc.level, tc.want)
			}
			for _, name := range []string{"connect", "version", "eviction", "memory", "scripting", "clock"} {
				if c := verdictOf(t, r, name); c.Level != OK {
					t.Errorf("%s: %s %q, want OK", name, c.Level, c.Detail)
				}
			}
			if n := r.OK + r.Warn + r.Fail; n != len(r.Checks) || len(r.Checks) != 7 {
				t.Errorf("%d checks, counted %d", len(r.Checks), n)
			}
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			var wire struct {
				Checks []map[string]string `json:"checks"`
			}
			if err := json.Unmarshal(b, &wire); err != nil || len(wire.Checks) != 7 || wire.Checks[4]["check"] != "cluster" ||
				wire.Checks[4]["level"] != strings.ToLower(tc.level.String()) {
				t.Errorf("JSON %s (%v)", b, err)
			}
		})
	}
}

// TestRunUnreachable: a failed PING is the one verdict.
func TestRunUnreachable(t *testing.T) {
	srv := redistest.StartServer(t)
	rdb := srv.Client(t)
	srv.Stop()
	r := Run(context.Background(), rdb, Options{ProbeKey: "doctor:{probe}"})
	if len(r.Checks) != 1 || r.Fail != 1 || r.Checks[0].Name != "connect" || !strings.HasPrefix(r.Checks[0].Detail, "PING: ") {
		t.Errorf("report %+v, want one connect FAIL", r)
	}
}
