package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/lambdis/lambdis/functions/worker/drainer"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lambdis/lambdis/shared/redisconn"
	"github.com/redis/go-redis/v9"
)

// defaultDoctorTimeout bounds a whole `lambdis doctor` run; each command is
// also bounded by the REDIS_* timeouts, as in the functions.
const defaultDoctorTimeout = 20 * time.Second

// Thresholds and fixed values of the checks.
const (
	memoryWarnPercent = 80          // used_memory / maxmemory, in percent
	clockWarnSkew     = time.Second // |Redis TIME - local clock|
	clusterSlots      = 16384       // slots a healthy cluster assigns
	minRedisMajor     = 7           // the floor (DESIGN.md, "Redis versions")
	minRedisMinor     = 0
	minRedisVersion   = "7.0"

	// The probe key <prefix>:doctor:{probe}: declared to the script, read,
	// never written.
	doctorKeyModule = "doctor"
	doctorKeyTag    = "probe"

	// What a volatile-* policy may evict.
	ttlKeys = "idempotency records, cache entries, rate-limit state, sessions and token revocations carry TTLs"
)

// doctorProbe has the shape of the Lambdis scripts: one declared key with a
// hash tag, the time read from Redis. It writes nothing.
const doctorProbe = `local t = redis.call('TIME')
return {t[1], t[2], redis.call('EXISTS', KEYS[1])}`

// level is a check's verdict.
type level int

const (
	levelOK level = iota
	levelWarn
	levelFail
)

func (l level) String() string {
	switch l {
	case levelOK:
		return "OK"
	case levelWarn:
		return "WARN"
	}
	return "FAIL"
}

// doctorReport prints one line per check as it completes and counts the
// verdicts.
type doctorReport struct {
	w      io.Writer
	counts [3]int
}

func (r *doctorReport) add(l level, check, format string, a ...any) {
	r.counts[l]++
	fmt.Fprintf(r.w, "%-4s  %-9s  %s\n", l, check, fmt.Sprintf(format, a...))
}

// runDoctor is `lambdis doctor`: exit 0 when no check fails, 1 otherwise.
func runDoctor(ctx context.Context, c cli, args []string) int {
	fs := flag.NewFlagSet("lambdis doctor", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	url := fs.String("url", "", urlFlagUsage)
	timeout := fs.Duration("timeout", defaultDoctorTimeout, "bound on the whole run")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "usage: lambdis doctor [--url redis://host:6379] [--timeout 20s]\n\n"+
			"Checks the Redis the functions would use, configured by the same variables\n"+
			"(REDIS_URL or REDIS_ADDRS, REDIS_CLUSTER, REDIS_PASSWORD, REDIS_AUTH_SECRET_ARN,\n"+
			"REDIS_TLS, ..., LAMBDIS_KEY_PREFIX): connection, server version (7.0 or later),\n"+
			"eviction policy and memory (from INFO: ElastiCache forbids CONFIG), cluster state\n"+
			"and whether the client configuration matches it, scripting, the clock, and\n"+
			"whether the worker's WORKER_* settings leave a run time to start jobs.\n"+
			"Prints one line per check: OK, WARN or FAIL and why. Writes nothing to Redis.\n"+
			"Exit status: 0 without FAIL, 1 with one, 2 for a wrong command line.\n\n")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(c, fs, args); !ok {
		return code
	}
	if *timeout <= 0 {
		fmt.Fprintf(c.stderr, "lambdis doctor: --timeout %v: must be positive\n", *timeout)
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	r := &doctorReport{w: c.stdout}
	diagnose(ctx, r, withURL(c.getenv, *url), *url)
	n := r.counts[levelOK] + r.counts[levelWarn] + r.counts[levelFail]
	fmt.Fprintf(c.stdout, "lambdis doctor: %s: %d OK, %d WARN, %d FAIL\n", plural(n, "check"), r.counts[levelOK], r.counts[levelWarn], r.counts[levelFail])
	if r.counts[levelFail] > 0 {
		return exitError
	}
	return exitOK
}

// diagnose runs the checks in order; one that makes the rest meaningless
// (no configuration, no connection) ends the run. url is --url ("": none),
// which getenv passes as REDIS_URL.
func diagnose(ctx context.Context, r *doctorReport, getenv func(string) string, url string) {
	t, err := loadTarget(getenv)
	if err != nil {
		err = fromURLFlag(err, url)
		r.add(levelFail, "config", "%v", err)
		return
	}
	r.add(levelOK, "config", "%s", t.describe())

	rdb, err := t.connect(ctx)
	if err != nil {
		r.add(levelFail, "connect", "%s", connectFailure(t.cfg, err))
		return
	}
	defer rdb.Close()
	start := time.Now()
	if err := rdb.Ping(ctx).Err(); err != nil {
		r.add(levelFail, "connect", "PING: %v", err)
		return
	}
	r.add(levelOK, "connect", "PING round trip %s", roundDuration(time.Since(start)))

	nodes, err := nodeInfos(ctx, rdb)
	if err != nil {
		r.add(levelFail, "info", "INFO: %v%s (the worker reads INFO memory for the eviction policy)", err, errorHint(err))
	} else {
		checkVersion(r, nodes)
		checkEviction(r, nodes)
		checkMemory(r, nodes)
		checkCluster(ctx, r, t.cfg, rdb, nodes)
	}
	checkScripting(ctx, r, t, rdb)
	checkClock(ctx, r, rdb)
	checkWorker(r, getenv)
}

// checkWorker reports whether the worker's settings (WORKER_* in the same
// environment) let a run start jobs for most of its time.
func checkWorker(r *doctorReport, getenv func(string) string) {
	cfg, err := drainer.ConfigFromEnv(getenv)
	if err != nil {
		r.add(levelFail, "worker", "%v", err)
		return
	}
	window, warning := cfg.StartWindow()
	if warning != "" {
		r.add(levelWarn, "worker", "%s", warning)
		return
	}
	r.add(levelOK, "worker", "a run may start jobs for %v of its %v (WORKER_JOB_TIMEOUT %v)", window, cfg.Worker.FunctionTimeout, cfg.Worker.JobTimeout)
}

// connectFailure explains why redisconn.New failed.
func connectFailure(cfg redisconn.Config, err error) string {
	msg := err.Error()
	var ne net.Error
	switch {
	case strings.Contains(msg, "cluster support disabled"):
		return msg + ": " + redisconn.EnvCluster + "=true but the server is not a cluster node; unset " + redisconn.EnvCluster
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return fmt.Sprintf("%s: no answer within %s=%s / %s=%s (%d retries); check the address, the network path (security groups, VPC) and %s (a TLS server does not answer plain TCP)",
			msg, redisconn.EnvDialTimeout, cfg.DialTimeout, redisconn.EnvReadTimeout, cfg.ReadTimeout, cfg.MaxRetries, redisconn.EnvTLS)
	case strings.Contains(msg, "connection refused"):
		return msg + ": nothing listens at that address"
	case strings.Contains(msg, "NOAUTH"), strings.Contains(msg, "WRONGPASS"), strings.Contains(msg, "invalid password"):
		return msg + ": check " + redisconn.EnvUsername + ", " + redisconn.EnvPassword + " or " + redisconn.EnvAuthSecretARN
	}
	return msg
}

// errorHint suggests the configuration behind a command's error.
func errorHint(err error) string {
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, "MOVED"), strings.HasPrefix(msg, "ASK"):
		return ": the key's slot is served by another node; set " + redisconn.EnvCluster + "=true"
	case strings.HasPrefix(msg, "CROSSSLOT"):
		return ": the keys hash to different slots"
	case strings.HasPrefix(msg, "NOPERM"):
		return ": the ACL user lacks a permission the functions need"
	case strings.Contains(msg, "unknown command"):
		return ": the command is disabled or renamed on this server"
	}
	return ""
}

// nodeInfo is one server's INFO (default sections), parsed.
type nodeInfo struct {
	addr string
	info map[string]string
}

// nodeInfos reads INFO on the one server, or on every master of a cluster.
// Plain INFO (not INFO server memory cluster) so that a pre-7.0 server,
// which takes one section only, still answers and is reported as too old.
func nodeInfos(ctx context.Context, rdb redis.UniversalClient) ([]nodeInfo, error) {
	var nodes []nodeInfo
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		var mu sync.Mutex
		err := cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			s, err := c.Info(ctx).Result()
			if err != nil {
				return fmt.Errorf("%s: %w", c.Options().Addr, err)
			}
			mu.Lock()
			defer mu.Unlock()
			nodes = append(nodes, nodeInfo{addr: c.Options().Addr, info: parseInfo(s)})
			return nil
		})
		if err != nil {
			return nil, err
		}
	} else {
		s, err := rdb.Info(ctx).Result()
		if err != nil {
			return nil, err
		}
		addr := ""
		if c, ok := rdb.(*redis.Client); ok {
			addr = c.Options().Addr
		}
		nodes = append(nodes, nodeInfo{addr: addr, info: parseInfo(s)})
	}
	if len(nodes) == 0 {
		return nil, errors.New("no master answered")
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].addr < nodes[j].addr })
	return nodes, nil
}

// parseInfo reads the name:value lines of an INFO or CLUSTER INFO reply.
func parseInfo(s string) map[string]string {
	m := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = v
		}
	}
	return m
}

// where names a node in a verdict when there is more than one.
func where(nodes []nodeInfo, n nodeInfo) string {
	if len(nodes) < 2 || n.addr == "" {
		return ""
	}
	return " on " + n.addr
}

// parseVersion reads "major.minor[.patch]".
func parseVersion(s string) (major, minor int, ok bool) {
	parts := strings.Split(s, ".")
	if len(parts) < 2 {
		return 0, 0, false
	}
	var err1, err2 error
	major, err1 = strconv.Atoi(parts[0])
	minor, err2 = strconv.Atoi(parts[1])
	return major, minor, err1 == nil && err2 == nil
}

// serverName is "redis 7.0.15" or "valkey 8.0.1 (redis_version 7.2.4)".
func serverName(info map[string]string) string {
	if v := info["valkey_version"]; v != "" {
		return "valkey " + v + " (redis_version " + info["redis_version"] + ")"
	}
	return "redis " + info["redis_version"]
}

// checkVersion fails when a node's redis_version (what Valkey reports for
// compatibility, too) is below the 7.0 floor.
func checkVersion(r *doctorReport, nodes []nodeInfo) {
	var lowest *nodeInfo
	lowMaj, lowMin := 0, 0
	names := map[string]bool{}
	for i := range nodes {
		n := &nodes[i]
		names[serverName(n.info)] = true
		maj, min, ok := parseVersion(n.info["redis_version"])
		if !ok {
			r.add(levelWarn, "version", "INFO server%s reports redis_version %q: cannot check the %s floor", where(nodes, *n), n.info["redis_version"], minRedisVersion)
			return
		}
		if lowest == nil || maj < lowMaj || maj == lowMaj && min < lowMin {
			lowest, lowMaj, lowMin = n, maj, min
		}
	}
	mixed := ""
	if len(names) > 1 {
		all := make([]string, 0, len(names))
		for n := range names {
			all = append(all, n)
		}
		sort.Strings(all)
		mixed = "; the nodes run " + strings.Join(all, ", ")
	}
	if lowMaj < minRedisMajor || lowMaj == minRedisMajor && lowMin < minRedisMinor {
		r.add(levelFail, "version", "%s%s: Lambdis needs Redis %s or later (or Valkey)%s", serverName(lowest.info), where(nodes, *lowest), minRedisVersion, mixed)
		return
	}
	on := ""
	if len(nodes) > 1 {
		on = fmt.Sprintf(" (lowest of %d masters)", len(nodes))
	}
	r.add(levelOK, "version", "%s%s, at least %s%s", serverName(lowest.info), on, minRedisVersion, mixed)
}

// evictionVerdict classifies a maxmemory-policy.
func evictionVerdict(policy string) (level, string) {
	switch {
	case policy == "":
		return levelWarn, "INFO memory reports no maxmemory_policy: cannot tell whether keys may be evicted"
	case policy == "noeviction":
		return levelOK, "maxmemory-policy noeviction: nothing is evicted (at maxmemory, writes fail with OOM instead)"
	case strings.HasPrefix(policy, "volatile-"):
		return levelWarn, "maxmemory-policy " + policy + ": under memory pressure keys with a TTL may be evicted: " + ttlKeys +
			" (an evicted revocation lets a revoked token in again); queue data carries none. Prefer noeviction"
	case strings.HasPrefix(policy, "allkeys-"):
		return levelFail, "maxmemory-policy " + policy + ": any key may be evicted, queue streams and job records included: jobs lost. " +
			"Set maxmemory-policy noeviction (on ElastiCache, in the parameter group)"
	}
	return levelWarn, "maxmemory-policy " + policy + ": unknown policy"
}

// checkEviction reports the worst policy over the nodes.
func checkEviction(r *doctorReport, nodes []nodeInfo) {
	worst, detail, at := levelOK, "", nodeInfo{}
	policies := map[string]bool{}
	for i, n := range nodes {
		policies[n.info["maxmemory_policy"]] = true
		l, d := evictionVerdict(n.info["maxmemory_policy"])
		if i == 0 || l > worst {
			worst, detail, at = l, d, n
		}
	}
	if len(policies) == 1 && len(nodes) > 1 {
		r.add(worst, "eviction", "%s (all %d masters)", detail, len(nodes))
		return
	}
	r.add(worst, "eviction", "%s%s", detail, where(nodes, at))
}

// memoryVerdict classifies one node's memory use; fill orders nodes by how
// full they are (the percentage of maxmemory, else the bytes used).
func memoryVerdict(info map[string]string) (l level, detail string, fill float64) {
	used, err1 := strconv.ParseInt(info["used_memory"], 10, 64)
	max, err2 := strconv.ParseInt(info["maxmemory"], 10, 64)
	switch {
	case err1 != nil || err2 != nil:
		return levelWarn, "INFO memory lacks used_memory or maxmemory", 0
	case max == 0:
		return levelOK, fmt.Sprintf("used %s, no maxmemory limit", bytesIEC(used)), float64(used)
	}
	pct := 100 * float64(used) / float64(max)
	d := fmt.Sprintf("used %s of maxmemory %s (%.0f%%)", bytesIEC(used), bytesIEC(max), pct)
	if pct >= memoryWarnPercent {
		return levelWarn, fmt.Sprintf("%s, above %d%%: at maxmemory, noeviction refuses writes (OOM) and other policies evict", d, memoryWarnPercent), pct
	}
	return levelOK, d, pct
}

// checkMemory reports the fullest node.
func checkMemory(r *doctorReport, nodes []nodeInfo) {
	worst, detail, top, at := levelOK, "", -1.0, nodeInfo{}
	for _, n := range nodes {
		l, d, fill := memoryVerdict(n.info)
		if l > worst || l == worst && fill > top {
			worst, detail, top, at = l, d, fill, n
		}
	}
	if len(nodes) > 1 {
		r.add(worst, "memory", "%s on %s, the fullest of %d masters", detail, at.addr, len(nodes))
		return
	}
	r.add(worst, "memory", "%s", detail)
}

// bytesIEC formats n bytes as "512 B", "1.2 MiB", ...
func bytesIEC(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// checkCluster compares the server's cluster mode with the client's and, on
// a cluster, checks its state and slot coverage on every master.
func checkCluster(ctx context.Context, r *doctorReport, cfg redisconn.Config, rdb redis.UniversalClient, nodes []nodeInfo) {
	serverCluster := false
	for _, n := range nodes {
		if n.info["cluster_enabled"] == "1" {
			serverCluster = true
		}
	}
	switch {
	case !serverCluster && !cfg.Cluster:
		r.add(levelOK, "cluster", "standalone server, standalone client (%s unset)", redisconn.EnvCluster)
	case !serverCluster && cfg.Cluster:
		r.add(levelWarn, "cluster", "%s=true but the server reports cluster_enabled:0 (a proxy or an emulation answers the cluster commands); keys are routed as if it were a cluster", redisconn.EnvCluster)
	case serverCluster && !cfg.Cluster:
		state := ""
		if ci, err := rdb.ClusterInfo(ctx).Result(); err == nil {
			m := parseInfo(ci)
			state = fmt.Sprintf(" (cluster_state %s, %s nodes)", m["cluster_state"], m["cluster_known_nodes"])
		}
		r.add(levelFail, "cluster", "the server is a cluster node%s but %s is not true: a standalone client sends everything to one node, which answers MOVED for keys in other nodes' slots; set %s=true",
			state, redisconn.EnvCluster, redisconn.EnvCluster)
	default:
		checkClusterState(ctx, r, rdb)
	}
}

func checkClusterState(ctx context.Context, r *doctorReport, rdb redis.UniversalClient) {
	cc, ok := rdb.(*redis.ClusterClient)
	if !ok {
		r.add(levelFail, "cluster", "internal: a cluster configuration built a %T", rdb)
		return
	}
	type answer struct {
		addr string
		info map[string]string
	}
	var (
		mu      sync.Mutex
		answers []answer
	)
	err := cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		s, err := c.ClusterInfo(ctx).Result()
		if err != nil {
			return fmt.Errorf("%s: %w", c.Options().Addr, err)
		}
		mu.Lock()
		defer mu.Unlock()
		answers = append(answers, answer{c.Options().Addr, parseInfo(s)})
		return nil
	})
	if err != nil {
		r.add(levelFail, "cluster", "CLUSTER INFO: %v%s", err, errorHint(err))
		return
	}
	sort.Slice(answers, func(i, j int) bool { return answers[i].addr < answers[j].addr })
	for _, a := range answers {
		state, assigned := a.info["cluster_state"], a.info["cluster_slots_assigned"]
		if state != "ok" || assigned != strconv.Itoa(clusterSlots) {
			r.add(levelFail, "cluster", "%s: cluster_state %s, %s of %d slots assigned (%s failing): keys in unassigned or failed slots cannot be read or written",
				a.addr, state, assigned, clusterSlots, a.info["cluster_slots_fail"])
			return
		}
	}
	r.add(levelOK, "cluster", "cluster_state ok, all %d slots assigned, %d masters; client in cluster mode", clusterSlots, len(answers))
}

// checkScripting runs a script shaped like the Lambdis scripts on the node
// that owns the probe key's slot.
func checkScripting(ctx context.Context, r *doctorReport, t redisTarget, rdb redis.UniversalClient) {
	key, err := t.keys.Key(doctorKeyModule, doctorKeyTag)
	if err != nil {
		r.add(levelFail, "scripting", "probe key: %v", err)
		return
	}
	res, err := rdb.Eval(ctx, doctorProbe, []string{key}).Slice()
	if err != nil {
		r.add(levelFail, "scripting", "EVAL of a one-key script on %s: %v%s (every Lambdis decision is one script)", key, err, errorHint(err))
		return
	}
	if len(res) != 3 {
		r.add(levelFail, "scripting", "EVAL of a one-key script on %s answered %v, want the server TIME", key, res)
		return
	}
	r.add(levelOK, "scripting", "EVAL of a one-key script reading TIME ran (key %s, nothing written)", key)
}

// checkClock compares Redis TIME with this machine's clock, from the middle
// of the round trip.
func checkClock(ctx context.Context, r *doctorReport, rdb redis.UniversalClient) {
	before := time.Now()
	rt, err := rdb.Time(ctx).Result()
	if err != nil {
		r.add(levelFail, "clock", "TIME: %v%s", err, errorHint(err))
		return
	}
	rtt := time.Since(before)
	skew := rt.Sub(before.Add(rtt / 2))
	dir, abs := "ahead of", skew
	if skew < 0 {
		dir, abs = "behind", -skew
	}
	d := fmt.Sprintf("Redis TIME is %s %s this machine's clock (±%s)", roundDuration(abs), dir, roundDuration(rtt/2))
	if abs <= rtt/2 {
		d = fmt.Sprintf("Redis TIME agrees with this machine's clock (within ±%s)", roundDuration(rtt/2))
	}
	if abs > clockWarnSkew {
		r.add(levelWarn, "clock", "%s, more than %s: Lambdis takes every time from Redis, but timestamps people compare with local logs will disagree", d, clockWarnSkew)
		return
	}
	r.add(levelOK, "clock", "%s; Lambdis takes every time from Redis", d)
}

// roundDuration keeps about three significant digits.
func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}
