package redischeck

import (
	"fmt"
	"strings"
	"testing"
)

// TestVerdicts covers what a test server cannot easily show: versions
// below the floor, Valkey, unknown or missing policies, a full node.
func TestVerdicts(t *testing.T) {
	report := func(f func(r *Report)) (string, [3]int) {
		var r Report
		f(&r)
		var b strings.Builder
		for _, c := range r.Checks {
			fmt.Fprintf(&b, "%s %s %s\n", c.Level, c.Name, c.Detail)
		}
		return b.String(), [3]int{r.OK, r.Warn, r.Fail}
	}
	node := func(addr string, kv ...string) Node {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return Node{Addr: addr, Info: m}
	}

	versions := []struct {
		nodes []Node
		level Level
		want  string
	}{
		{[]Node{node("a", "redis_version", "6.2.14")}, Fail, "redis 6.2.14: Lambdis needs Redis 7.0 or later"},
		{[]Node{node("a", "redis_version", "7.0.15")}, OK, "redis 7.0.15, at least 7.0"},
		{[]Node{node("a", "redis_version", "7.2.4", "valkey_version", "8.0.1")}, OK, "valkey 8.0.1 (redis_version 7.2.4)"},
		{[]Node{node("a", "redis_version", "7.2.4"), node("b", "redis_version", "6.0.9")}, Fail, "redis 6.0.9 on b"},
		{[]Node{node("a", "redis_version", "7.2.4"), node("b", "redis_version", "7.0.15")}, OK, "the nodes run redis 7.0.15, redis 7.2.4"},
		{[]Node{node("a")}, Warn, "cannot check the 7.0 floor"},
	}
	for _, tc := range versions {
		out, counts := report(func(r *Report) { checkVersion(r, tc.nodes) })
		if counts[tc.level] != 1 || !strings.Contains(out, tc.want) {
			t.Errorf("version of %v: %q, want %s containing %q", tc.nodes, out, tc.level, tc.want)
		}
	}

	for policy, want := range map[string]Level{
		"noeviction": OK, "volatile-lfu": Warn, "volatile-ttl": Warn, "volatile-random": Warn,
		"allkeys-lfu": Fail, "allkeys-random": Fail, "": Warn, "mystery": Warn,
	} {
		if got, _ := evictionVerdict(policy); got != want {
			t.Errorf("evictionVerdict(%q) = %s, want %s", policy, got, want)
		}
	}
	out, counts := report(func(r *Report) {
		checkEviction(r, []Node{node("a", "maxmemory_policy", "noeviction"), node("b", "maxmemory_policy", "allkeys-lru"), node("c", "maxmemory_policy", "volatile-lru")})
	})
	if counts[Fail] != 1 || !strings.Contains(out, "allkeys-lru") || !strings.HasSuffix(strings.TrimSpace(out), "on b") {
		t.Errorf("eviction over mixed nodes: %q, want the allkeys node's FAIL", out)
	}

	for _, tc := range []struct {
		used, max string
		level     Level
		want      string
	}{
		{"1048576", "0", OK, "used 1.0 MiB, no maxmemory limit"},
		{"500", "1000", OK, "used 500 B of maxmemory 1000 B (50%)"},
		{"800", "1000", Warn, "(80%), above 80%"},
		{"1200", "1000", Warn, "(120%)"},
		{"", "1000", Warn, "lacks used_memory"},
	} {
		got, d, _ := memoryVerdict(map[string]string{"used_memory": tc.used, "maxmemory": tc.max})
		if got != tc.level || !strings.Contains(d, tc.want) {
			t.Errorf("memoryVerdict(%s of %s) = %s %q, want %s containing %q", tc.used, tc.max, got, d, tc.level, tc.want)
		}
	}
	out, _ = report(func(r *Report) {
		checkMemory(r, []Node{node("a", "used_memory", "100", "maxmemory", "1000"), node("b", "used_memory", "900", "maxmemory", "1000")})
	})
	if !strings.HasPrefix(out, "WARN") || !strings.Contains(out, "on b, the fullest of 2 masters") {
		t.Errorf("memory over two nodes: %q, want the fuller node's WARN", out)
	}
}
