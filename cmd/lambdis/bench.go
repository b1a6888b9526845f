package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/redischeck"
	"github.com/lambdis/lambdis/shared/redisconn"
	"github.com/redis/go-redis/v9"
)

// Bounds and defaults of `lambdis bench`.
const (
	defaultBenchCallers  = 50
	maxBenchCallers      = 1000
	defaultBenchDuration = 3 * time.Second
	maxBenchDuration     = 60 * time.Second
	// maxBenchPool bounds the connection pool (REDIS_POOL_SIZE's own bound):
	// above it, callers wait for a connection as a client would.
	maxBenchPool = 256
	// benchPrefixBase starts every run's key prefix; random hex follows.
	benchPrefixBase = "lambdisbench"
	// benchCleanupTimeout bounds the deletion of a run's keys.
	benchCleanupTimeout = 2 * time.Minute
)

// benchRatioNote is the report's footer.
const benchRatioNote = "ratio = ops/s ÷ the baseline's ops/s, both measured in this run against this server: " +
	"the ratios are the comparable figure; absolute ops/s depend on the machine, the network and the load"

// benchResult is one row: a Lambdis operation beside its baseline.
type benchResult struct {
	Scenario          string  `json:"scenario"`
	Operation         string  `json:"operation"`
	Ops               int64   `json:"ops"`
	OpsPerSec         float64 `json:"ops_per_sec"`
	P50Micros         float64 `json:"p50_us"`
	P99Micros         float64 `json:"p99_us"`
	Baseline          string  `json:"baseline"`
	BaselineOperation string  `json:"baseline_operation"`
	BaselineOps       int64   `json:"baseline_ops"`
	BaselineOpsPerSec float64 `json:"baseline_ops_per_sec"`
	BaselineP50Micros float64 `json:"baseline_p50_us"`
	BaselineP99Micros float64 `json:"baseline_p99_us"`
	Ratio             float64 `json:"ratio"`
}

// benchReport is the whole run, as --json prints it.
type benchReport struct {
	Server          string        `json:"server"`
	Target          string        `json:"target"`
	ThrowawayServer bool          `json:"throwaway_server"`
	Masters         int           `json:"masters"`
	Callers         int           `json:"callers"`
	DurationSeconds float64       `json:"duration_seconds"`
	KeyPrefix       string        `json:"key_prefix"`
	Results         []benchResult `json:"results"`
	DeletedKeys     int64         `json:"deleted_keys"`
	Note            string        `json:"note"`
	Error           string        `json:"error,omitempty"`
}

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// runBench is `lambdis bench`: exit 0 when every scenario ran and the keys
// were deleted, 1 otherwise, 2 for a wrong command line.
func runBench(ctx context.Context, c cli, args []string) int {
	fs := flag.NewFlagSet("lambdis bench", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	url := fs.String("url", "", urlFlagUsage)
	callers := fs.Int("callers", defaultBenchCallers, fmt.Sprintf("concurrent callers, 1 to %d (each one Lambda with its own connection)", maxBenchCallers))
	duration := fs.Duration("duration", defaultBenchDuration, fmt.Sprintf("how long each operation and each baseline runs, at most %s", maxBenchDuration))
	only := fs.String("only", "", "comma-separated scenarios to run (default: all)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	fs.Usage = func() {
		var b strings.Builder
		for _, s := range benchScenarios {
			fmt.Fprintf(&b, "  %-12s %s\n  %-12s   vs %s: %s\n", s.name, s.what, "", s.baseline, s.baseWhat)
		}
		fmt.Fprint(fs.Output(), "usage: lambdis bench [--url URL] [--callers 50] [--duration 3s] [--only a,b,...] [--json]\n\n"+
			"Benchmarks a Redis deployment with Lambdis's own operations, each from --callers\n"+
			"goroutines for --duration, beside a raw-command baseline measured in the same run:\n"+
			"the ratio (ops/s ÷ the baseline's ops/s) is the comparable figure.\n\n"+
			"Redis is the one the functions use (REDIS_URL or REDIS_ADDRS, REDIS_CLUSTER,\n"+
			"REDIS_PASSWORD, ...), or --url. With neither, a throwaway redis-server ($REDIS_SERVER_BIN,\n"+
			"$PATH, /usr/bin, /usr/local/bin) is started on a free loopback port with persistence\n"+
			"off and stopped at the end. Every key is written under a prefix of its own\n"+
			"(lambdisbench<random>, not LAMBDIS_KEY_PREFIX) and deleted at the end, so the data\n"+
			"of a shared server is never touched; the run does add load, so prefer a quiet server.\n"+
			"Exit status: 0 when every scenario ran, 1 when one failed, 2 for a wrong command line.\n\n"+
			"scenarios:\n"+b.String()+"\n")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(c, fs, args); !ok {
		return code
	}
	switch {
	case *callers < 1 || *callers > maxBenchCallers:
		fmt.Fprintf(c.stderr, "lambdis bench: --callers %d: must be from 1 to %d\n", *callers, maxBenchCallers)
		return exitUsage
	case *duration <= 0 || *duration > maxBenchDuration:
		fmt.Fprintf(c.stderr, "lambdis bench: --duration %v: must be positive and at most %s\n", *duration, maxBenchDuration)
		return exitUsage
	}
	selected, err := selectScenarios(*only)
	if err != nil {
		fmt.Fprintf(c.stderr, "lambdis bench: --only: %v\n", err)
		return exitUsage
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	b := &benchRun{c: c, callers: *callers, duration: *duration, json: *asJSON}
	return b.run(ctx, *url, selected)
}

// selectScenarios reads --only.
func selectScenarios(only string) ([]benchScenario, error) {
	if strings.TrimSpace(only) == "" {
		return benchScenarios, nil
	}
	want := map[string]bool{}
	for _, n := range strings.Split(only, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		known := false
		for _, s := range benchScenarios {
			known = known || s.name == n
		}
		if !known {
			return nil, fmt.Errorf("unknown scenario %q (scenarios: %s)", n, scenarioNames())
		}
		want[n] = true
	}
	if len(want) == 0 {
		return nil, fmt.Errorf("no scenario named (scenarios: %s)", scenarioNames())
	}
	var out []benchScenario
	for _, s := range benchScenarios {
		if want[s.name] {
			out = append(out, s)
		}
	}
	return out, nil
}

func scenarioNames() string {
	names := make([]string, len(benchScenarios))
	for i, s := range benchScenarios {
		names[i] = s.name
	}
	return strings.Join(names, ", ")
}

// benchRun is one `lambdis bench` run.
type benchRun struct {
	c        cli
	callers  int
	duration time.Duration
	json     bool
	report   benchReport
}

func (b *benchRun) fail(format string, a ...any) int {
	msg := fmt.Sprintf(format, a...)
	fmt.Fprintf(b.c.stderr, "lambdis bench: %s\n", msg)
	return exitError
}

func (b *benchRun) run(ctx context.Context, url string, scenarios []benchScenario) int {
	prefix, err := benchPrefix()
	if err != nil {
		return b.fail("key prefix: %v", err)
	}
	kb, err := keys.New(prefix)
	if err != nil {
		return b.fail("key prefix: %v", err)
	}

	// The target: the functions' REDIS_* variables or --url, else a
	// throwaway redis-server.
	getenv := withURL(b.c.getenv, url)
	var server *benchServer
	if strings.TrimSpace(getenv(redisconn.EnvURL)) == "" && strings.TrimSpace(getenv(redisconn.EnvAddrs)) == "" {
		bin, err := findRedisServer(b.c.getenv)
		if err != nil {
			return b.fail("no Redis configured (%s, %s or --url) and %v; install redis-server (Debian: apt-get install redis-server) or point --url at a Redis 7 server. miniredis is not used: it is not a real server", redisconn.EnvURL, redisconn.EnvAddrs, err)
		}
		if server, err = startBenchServer(ctx, bin); err != nil {
			return b.fail("start a throwaway redis-server: %v", err)
		}
		defer server.Stop()
		if !b.json {
			fmt.Fprintf(b.c.stdout, "lambdis bench: no %s, %s or --url: started a throwaway redis-server (%s) on %s, persistence off; it is stopped at the end\n",
				redisconn.EnvURL, redisconn.EnvAddrs, bin, server.Addr)
		}
		local := "redis://" + server.Addr
		getenv = func(k string) string { // nothing else of the environment applies to it
			if k == redisconn.EnvURL {
				return local
			}
			return ""
		}
	}
	t, err := loadTarget(getenv)
	if err != nil {
		return b.fail("%v", fromURLFlag(err, url))
	}
	t.keys = kb
	// The functions' pool (REDIS_POOL_SIZE, default 4) is one Lambda's;
	// the callers stand for many, each with its own connection.
	t.cfg.PoolSize = min(b.callers, maxBenchPool)
	t.cfg.MinIdleConns = min(t.cfg.MinIdleConns, t.cfg.PoolSize)
	rdb, err := t.connect(ctx)
	if err != nil {
		return b.fail("connect: %s", connectFailure(t.cfg, err))
	}
	defer rdb.Close()
	nodes, err := redischeck.Nodes(ctx, rdb)
	if err != nil {
		return b.fail("INFO: %v%s", err, redischeck.ErrorHint(err))
	}

	r := &b.report
	*r = benchReport{
		Server: benchServerName(nodes), Target: t.describe(), ThrowawayServer: server != nil, Masters: len(nodes),
		Callers: b.callers, DurationSeconds: b.duration.Seconds(), KeyPrefix: prefix, Results: []benchResult{}, Note: benchRatioNote,
	}
	if server != nil {
		r.Target = "throwaway redis-server, " + r.Target
	}
	if !b.json {
		shared := ""
		if b.callers > maxBenchPool {
			shared = fmt.Sprintf(" (sharing %d connections)", maxBenchPool)
		}
		fmt.Fprintf(b.c.stdout, "lambdis bench: %s; %s; %d callers%s, %s per measurement\n", r.Server, r.Target, b.callers, shared, b.duration)
		fmt.Fprintf(b.c.stdout, benchRowFormat, "scenario", "ops/s", "p50", "p99", "baseline", "baseline ops/s", "ratio")
	}

	runErr := b.scenarios(ctx, newBenchEnv(rdb, kb, b.callers), scenarios)
	if runErr != nil && ctx.Err() != nil {
		runErr = fmt.Errorf("interrupted (%v)", runErr)
	}

	// Delete the run's keys even when interrupted; a throwaway server's
	// data goes with it.
	var cleanErr error
	if server == nil {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), benchCleanupTimeout)
		r.DeletedKeys, cleanErr = deleteRunKeys(cctx, rdb, prefix)
		cancel()
	}
	switch {
	case runErr != nil && cleanErr != nil:
		r.Error = fmt.Sprintf("%v; and deleting the keys %s:* failed: %v", runErr, prefix, cleanErr)
	case runErr != nil:
		r.Error = runErr.Error()
	case cleanErr != nil:
		r.Error = fmt.Sprintf("deleting the keys %s:* failed: %v (delete them by hand)", prefix, cleanErr)
	}

	if b.json {
		enc := json.NewEncoder(b.c.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return b.fail("%v", err)
		}
	} else {
		fmt.Fprintf(b.c.stdout, "%s.\n", benchRatioNote)
		switch {
		case server != nil:
			fmt.Fprintf(b.c.stdout, "keys under %s: left to the throwaway server, stopped now\n", prefix)
		case cleanErr == nil:
			fmt.Fprintf(b.c.stdout, "keys under %s: %d deleted\n", prefix, r.DeletedKeys)
		}
	}
	if r.Error != "" {
		return b.fail("%s", r.Error)
	}
	return exitOK
}

// benchRowFormat aligns the table (fmt pads by runes: "µs" and "×" are one each).
const benchRowFormat = "%-12s %9s %9s %9s  %-10s %14s %6s\n"

// scenarios runs each scenario: its data, its baseline, then its operation.
func (b *benchRun) scenarios(ctx context.Context, e *benchEnv, scenarios []benchScenario) error {
	for _, s := range scenarios {
		op, base, err := s.prepare(ctx, e)
		if err != nil {
			return fmt.Errorf("%s: writing its data: %w%s", s.name, err, redischeck.ErrorHint(err))
		}
		bs, err := measure(ctx, b.callers, b.duration, base)
		if err != nil {
			return fmt.Errorf("%s: baseline %s: %w%s", s.name, s.baseline, err, redischeck.ErrorHint(err))
		}
		ls, err := measure(ctx, b.callers, b.duration, op)
		for _, stop := range e.cleanup {
			stop()
		}
		e.cleanup = nil
		if err != nil {
			return fmt.Errorf("%s: %w%s", s.name, err, redischeck.ErrorHint(err))
		}
		res := benchResult{
			Scenario: s.name, Operation: s.what, Ops: ls.Ops, OpsPerSec: ls.OpsPerSec(), P50Micros: micros(ls.P50), P99Micros: micros(ls.P99),
			Baseline: s.baseline, BaselineOperation: s.baseWhat, BaselineOps: bs.Ops, BaselineOpsPerSec: bs.OpsPerSec(),
			BaselineP50Micros: micros(bs.P50), BaselineP99Micros: micros(bs.P99),
		}
		if res.BaselineOpsPerSec > 0 {
			res.Ratio = res.OpsPerSec / res.BaselineOpsPerSec
		}
		b.report.Results = append(b.report.Results, res)
		if !b.json {
			fmt.Fprintf(b.c.stdout, benchRowFormat, s.name, formatRate(res.OpsPerSec), redischeck.RoundDuration(ls.P50), redischeck.RoundDuration(ls.P99),
				s.baseline, formatRate(res.BaselineOpsPerSec), fmt.Sprintf("%.2f×", res.Ratio))
		}
	}
	return nil
}

// formatRate is "812", "55.6k", "1.23M".
func formatRate(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.1fk", v/1e3)
	case v >= 1e3:
		return fmt.Sprintf("%.2fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

// benchPrefix is lambdisbench followed by 8 random hex digits: a prefix no
// deployment uses (keys.New forbids ':' in a prefix, so it cannot be a
// sub-prefix of another's keys, which all start <prefix>:).
func benchPrefix() (string, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return benchPrefixBase + hex.EncodeToString(b[:]), nil
}

// benchServerName is "redis 7.0.15", with the number of masters of a
// cluster, or every version when the masters differ.
func benchServerName(nodes []redischeck.Node) string {
	seen := map[string]bool{}
	var names []string
	for _, n := range nodes {
		if s := n.Server(); !seen[s] {
			seen[s] = true
			names = append(names, s)
		}
	}
	sort.Strings(names)
	s := strings.Join(names, ", ")
	if len(nodes) > 1 {
		s += fmt.Sprintf(" (%d masters)", len(nodes))
	}
	return s
}

// deleteRunKeys deletes every key under prefix: SCAN MATCH <prefix>:* on
// the server, or on each master of a cluster, and UNLINK of each key found
// (one key per command, so a cluster never sees a cross-slot delete). SCAN
// walks the whole keyspace in small steps, O(keys in the database):
// acceptable for an operator's tool run now and then, not something the
// functions ever do. It returns the number of keys deleted.
func deleteRunKeys(ctx context.Context, rdb redis.UniversalClient, prefix string) (int64, error) {
	pattern := prefix + ":*"
	var deleted atomic.Int64
	del := func(ctx context.Context, c *redis.Client) error {
		var cursor uint64
		for {
			found, next, err := c.Scan(ctx, cursor, pattern, 1000).Result()
			if err != nil {
				return fmt.Errorf("SCAN on %s: %w", c.Options().Addr, err)
			}
			if len(found) > 0 {
				cmds, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
					for _, k := range found {
						p.Unlink(ctx, k)
					}
					return nil
				})
				if err != nil {
					return fmt.Errorf("UNLINK on %s: %w", c.Options().Addr, err)
				}
				for _, cmd := range cmds {
					if n, ok := cmd.(*redis.IntCmd); ok {
						deleted.Add(n.Val())
					}
				}
			}
			if next == 0 {
				return nil
			}
			cursor = next
		}
	}
	var err error
	switch c := rdb.(type) {
	case *redis.ClusterClient:
		err = c.ForEachMaster(ctx, del)
	case *redis.Client:
		err = del(ctx, c)
	default:
		err = fmt.Errorf("internal: cannot scan a %T", rdb)
	}
	return deleted.Load(), err
}
