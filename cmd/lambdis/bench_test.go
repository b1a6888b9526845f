package main

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

// Short runs: the tests check what is measured and that the run cleans up,
// never how fast anything is.
var benchShort = []string{"--duration", "200ms", "--callers", "4"}

func allScenarioNames() []string {
	var names []string
	for _, s := range benchScenarios {
		names = append(names, s.name)
	}
	return names
}

// benchRowRE is one row of the text table: scenario, ops/s, p50, p99,
// baseline, baseline ops/s, ratio.
var benchRowRE = regexp.MustCompile(`^(\S+) +(\S+) +(\S+) +(\S+) +(\S+) +(\S+) +([0-9]+\.[0-9]{2})×$`)

// parseRate reads formatRate's "812", "55.6k", "1.23M".
func parseRate(t *testing.T, s string) float64 {
	t.Helper()
	mult := 1.0
	switch {
	case strings.HasSuffix(s, "k"):
		mult, s = 1e3, strings.TrimSuffix(s, "k")
	case strings.HasSuffix(s, "M"):
		mult, s = 1e6, strings.TrimSuffix(s, "M")
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("rate %q: %v", s, err)
	}
	return v * mult
}

// benchRows checks the text report's frame and returns its rows by
// scenario, in order.
func benchRows(t *testing.T, out string) (order []string, rows map[string][]string) {
	t.Helper()
	rows = map[string][]string{}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	header := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "scenario ") {
			header = i
			break
		}
	}
	if header < 1 || !regexp.MustCompile(`^lambdis bench: redis \S+.*; \d+ callers, \S+ per measurement$`).MatchString(lines[header-1]) {
		t.Fatalf("no header line (server; target; callers, duration) before the table:\n%s", out)
	}
	if !strings.Contains(out, "the ratios are the comparable figure") {
		t.Errorf("no footer about ratios:\n%s", out)
	}
	for _, l := range lines[header+1:] {
		m := benchRowRE.FindStringSubmatch(l)
		if m == nil {
			break
		}
		order = append(order, m[1])
		rows[m[1]] = m[1:]
	}
	return order, rows
}

// wantBenchTable checks that exactly the named scenarios were reported,
// each with ops/s > 0, percentiles, its baseline and a ratio.
func wantBenchTable(t *testing.T, out string, want []string) {
	t.Helper()
	order, rows := benchRows(t, out)
	if strings.Join(order, ",") != strings.Join(want, ",") {
		t.Fatalf("scenarios %v, want %v:\n%s", order, want, out)
	}
	for _, s := range benchScenarios {
		r, ok := rows[s.name]
		if !ok {
			continue
		}
		if parseRate(t, r[1]) <= 0 || parseRate(t, r[5]) <= 0 {
			t.Errorf("%s: ops/s %s, baseline ops/s %s: want both > 0", s.name, r[1], r[5])
		}
		for _, d := range r[2:4] {
			if v, err := time.ParseDuration(d); err != nil || v <= 0 {
				t.Errorf("%s: latency %q is not a positive duration", s.name, d)
			}
		}
		if r[4] != s.baseline {
			t.Errorf("%s: baseline %q, want %q", s.name, r[4], s.baseline)
		}
		if ratio, _ := strconv.ParseFloat(r[6], 64); ratio <= 0 {
			t.Errorf("%s: ratio %s, want > 0", s.name, r[6])
		}
	}
}

// wantBenchJSON parses a --json report and checks every result.
func wantBenchJSON(t *testing.T, out string, want []string, masters int) benchReport {
	t.Helper()
	var r benchReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("--json output does not parse: %v\n%s", err, out)
	}
	var got []string
	for _, res := range r.Results {
		got = append(got, res.Scenario)
		if res.Ops <= 0 || res.OpsPerSec <= 0 || res.BaselineOps <= 0 || res.BaselineOpsPerSec <= 0 || res.Ratio <= 0 ||
			res.P50Micros <= 0 || res.P99Micros < res.P50Micros || res.Baseline == "" || res.Operation == "" {
			t.Errorf("result %+v: want positive figures, p99 ≥ p50, names", res)
		}
		if want := res.OpsPerSec / res.BaselineOpsPerSec; res.Ratio != want {
			t.Errorf("%s: ratio %v, want ops/s ÷ baseline ops/s = %v", res.Scenario, res.Ratio, want)
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("scenarios %v, want %v", got, want)
	}
	if !strings.HasPrefix(r.KeyPrefix, benchPrefixBase) || r.Masters != masters || r.Callers != 4 || r.DurationSeconds != 0.2 ||
		!strings.HasPrefix(r.Server, "redis ") && !strings.HasPrefix(r.Server, "valkey ") || r.Note == "" || r.Error != "" {
		t.Errorf("report %+v", r)
	}
	return r
}

// dbsize sums DBSIZE over the given servers.
func dbsize(t *testing.T, addrs ...string) int64 {
	t.Helper()
	var n int64
	for _, a := range addrs {
		c := redis.NewClient(&redis.Options{Addr: a})
		v, err := c.DBSize(context.Background()).Result()
		_ = c.Close()
		if err != nil {
			t.Fatal(err)
		}
		n += v
	}
	return n
}

// TestBenchStandalone runs every scenario, a selection and --json against
// one real redis-server through --url, and checks that each run deleted its
// keys and nothing else: keys written before (under the functions' prefix,
// and under another run's lambdisbench prefix) are still there.
func TestBenchStandalone(t *testing.T) {
	srv := redistest.StartServer(t)
	rdb := srv.Client(t)
	ctx := context.Background()
	mine := map[string]string{
		"lambdis:rl:{u:bench-00001}:per_second": "keep-1", // the functions' data, same subject names
		"lambdisbench00000000:raw:{bench}:zset": "keep-2", // another run's prefix
		"lambdisbench:x":                        "keep-3", // the base without a suffix
		"unrelated":                             "keep-4"}
	for k, v := range mine {
		if err := rdb.Set(ctx, k, v, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	before := dbsize(t, srv.Addr)
	// --url wins over a REDIS_URL that points nowhere.
	vars := map[string]string{"REDIS_URL": "redis://" + closedAddr(t)}
	bench := func(t *testing.T, args ...string) string {
		t.Helper()
		code, out, errOut := runCLI(t, vars, append(append([]string{"bench", "--url", "redis://" + srv.Addr}, benchShort...), args...)...)
		if code != exitOK || errOut != "" {
			t.Fatalf("exit %d, stderr %q, stdout:\n%s", code, errOut, out)
		}
		if after := dbsize(t, srv.Addr); after != before {
			t.Errorf("DBSIZE %d after the run, %d before: the run left keys behind", after, before)
		}
		for k, v := range mine {
			if got, err := rdb.Get(ctx, k).Result(); err != nil || got != v {
				t.Errorf("key %s = %q, %v after the run; want %q untouched", k, got, err, v)
			}
		}
		return out
	}

	t.Run("all", func(t *testing.T) {
		out := bench(t)
		t.Logf("\n%s", out)
		wantBenchTable(t, out, allScenarioNames())
		if !strings.Contains(out, "standalone client, "+srv.Addr) || !strings.Contains(out, " 4 callers, 200ms per measurement") {
			t.Errorf("header does not name the target, callers and duration:\n%s", out)
		}
		if !regexp.MustCompile(`keys under lambdisbench[0-9a-f]{8}: [1-9][0-9]* deleted`).MatchString(out) {
			t.Errorf("no count of deleted keys:\n%s", out)
		}
	})
	t.Run("only", func(t *testing.T) {
		out := bench(t, "--only", "lock, enqueue")
		wantBenchTable(t, out, []string{"enqueue", "lock"})
	})
	t.Run("json", func(t *testing.T) {
		out := bench(t, "--json", "--only", "idempotency,decision,submit")
		r := wantBenchJSON(t, out, []string{"decision", "submit", "idempotency"}, 1)
		if r.ThrowawayServer || r.DeletedKeys <= 0 || !strings.Contains(r.Target, srv.Addr) {
			t.Errorf("report %+v: want the --url server, keys deleted", r)
		}
	})
}

// TestBenchCluster runs every scenario against a real 3-master cluster
// through the functions' variables: each is cluster-safe (a cross-slot
// script would fail the run), and the keys are deleted on every master.
func TestBenchCluster(t *testing.T) {
	cl := redistest.StartCluster(t)
	cc := cl.Client(t)
	ctx := context.Background()
	for _, k := range []string{"lambdis:q:{email}:stream", "a", "b", "c"} {
		if err := cc.Set(ctx, k, "keep", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	before := dbsize(t, cl.Addrs...)
	vars := map[string]string{"REDIS_CLUSTER": "true", "REDIS_ADDRS": strings.Join(cl.Addrs, ",")}
	code, out, errOut := runCLI(t, vars, "bench", "--duration", "200ms", "--callers", "4", "--json")
	if code != exitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q, stdout:\n%s", code, errOut, out)
	}
	r := wantBenchJSON(t, out, allScenarioNames(), 3)
	if !strings.HasPrefix(r.Target, "cluster client") || !strings.Contains(r.Server, "(3 masters)") || r.DeletedKeys <= 0 {
		t.Errorf("report %+v: want a cluster client on 3 masters, keys deleted", r)
	}
	if after := dbsize(t, cl.Addrs...); after != before {
		t.Errorf("DBSIZE over the masters %d after the run, %d before: the run left keys behind", after, before)
	}
}

// TestBenchThrowawayServer: with no REDIS_URL, REDIS_ADDRS or --url, bench
// starts its own redis-server, says so, and stops it at the end.
func TestBenchThrowawayServer(t *testing.T) {
	bin := redistest.ServerBinary()
	if bin == "" {
		redistest.SkipOrFail(t, "redis-server not found on PATH (install Debian's redis-server package); bench starts one when no Redis is configured")
	}
	code, out, errOut := runCLI(t, map[string]string{"REDIS_SERVER_BIN": bin}, append([]string{"bench", "--only", "decision,top10"}, benchShort...)...)
	if code != exitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q, stdout:\n%s", code, errOut, out)
	}
	m := regexp.MustCompile(`started a throwaway redis-server \(.*\) on (127\.0\.0\.1:\d+), persistence off; it is stopped at the end`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("output does not say a throwaway redis-server was started:\n%s", out)
	}
	wantBenchTable(t, out, []string{"decision", "top10"})
	if !strings.Contains(out, "throwaway redis-server, standalone client, "+m[1]) {
		t.Errorf("header does not name the throwaway server:\n%s", out)
	}
	if conn, err := net.DialTimeout("tcp", m[1], time.Second); err == nil {
		_ = conn.Close()
		t.Errorf("the throwaway server on %s still answers after the run", m[1])
	}
}

// TestBenchNoServer: no Redis configured and no redis-server to start is a
// clear failure, never a benchmark of an emulation.
func TestBenchNoServer(t *testing.T) {
	saved := benchServerDirs
	benchServerDirs = []string{t.TempDir()}
	t.Cleanup(func() { benchServerDirs = saved })
	notExec := filepath.Join(t.TempDir(), "redis-server")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{"PATH": t.TempDir()}, "no redis-server found"},
		{map[string]string{"REDIS_SERVER_BIN": notExec}, "is not an executable file"},
	} {
		code, out, errOut := runCLI(t, tc.vars, "bench", "--duration", "100ms")
		if code != exitError || out != "" || !strings.Contains(errOut, tc.want) ||
			!strings.Contains(errOut, "no Redis configured (REDIS_URL, REDIS_ADDRS or --url)") || !strings.Contains(errOut, "miniredis is not used") {
			t.Errorf("env %v: exit %d, stdout %q, stderr %q; want exit 1 naming %q", tc.vars, code, out, errOut, tc.want)
		}
	}
}

// TestBenchBadFlags: a wrong command line exits 2 before touching Redis.
func TestBenchBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--callers", "0"}, {"--callers", "1001"}, {"--callers", "-3"},
		{"--duration", "0s"}, {"--duration", "-1s"}, {"--duration", "61s"}, {"--duration", "soon"},
		{"--only", "decision,nope"}, {"--only", " , "}, {"--frobnicate"}, {"extra"},
	} {
		code, out, errOut := runCLI(t, nil, append([]string{"bench"}, args...)...)
		if code != exitUsage || out != "" || errOut == "" {
			t.Errorf("lambdis bench %v: exit %d, stdout %q, stderr %q; want exit 2 and a message", args, code, out, errOut)
		}
	}
	code, out, _ := runCLI(t, nil, "bench", "-h")
	if code != exitOK || !strings.Contains(out, "usage: lambdis bench") {
		t.Errorf("lambdis bench -h: exit %d, stdout %q", code, out)
	}
	for _, s := range benchScenarios {
		if !strings.Contains(out, "\n  "+s.name+" ") {
			t.Errorf("lambdis bench -h does not list scenario %s:\n%s", s.name, out)
		}
	}
}

// TestBenchHistogram: the percentiles come out of the histogram within its
// precision.
func TestBenchHistogram(t *testing.T) {
	h := newLatencyHistogram()
	for i := 1; i <= 1000; i++ {
		h.add(time.Duration(i) * time.Microsecond)
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Microsecond}, {0.99, 990 * time.Microsecond}, {1, time.Millisecond}} {
		got := h.quantile(tc.q)
		if diff := float64(got-tc.want) / float64(tc.want); diff < -0.01 || diff > 0.01 {
			t.Errorf("quantile(%v) = %v, want %v within 1%%", tc.q, got, tc.want)
		}
	}
	for ns := int64(0); ns < 1<<20; ns += 37 {
		if v := histValue(histIndex(ns)); ns >= 256 && (v < ns-ns/128 || v > ns+ns/128) || ns < 256 && v != ns {
			t.Fatalf("bucket value %d for %d ns", v, ns)
		}
	}
}
