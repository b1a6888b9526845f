package main

import (
	"context"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/lambdis/lambdis/shared/redischeck"
	"github.com/lambdis/lambdis/shared/redistest"
)

// doctorChecks are the lines a run that reaches Redis prints, in order.
var doctorChecks = []string{"config", "connect", "version", "eviction", "memory", "cluster", "scripting", "clock", "worker"}

// verdicts maps each check of a doctor report to its verdicts (a check may
// print more than one line) and the text of its lines.
func verdicts(t *testing.T, out string) (levels map[string]string, text map[string]string) {
	t.Helper()
	levels, text = map[string]string{}, map[string]string{}
	line := regexp.MustCompile(`^(OK|WARN|FAIL) +(\S+) +(.*)$`)
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if strings.HasPrefix(l, "lambdis doctor: ") {
			continue
		}
		m := line.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("doctor line %q is not <OK|WARN|FAIL> <check> <reason>", l)
			continue
		}
		if _, dup := levels[m[2]]; dup {
			t.Errorf("check %s reported twice:\n%s", m[2], out)
		}
		levels[m[2]], text[m[2]] = m[1], m[3]
	}
	return levels, text
}

// wantVerdicts checks the verdict of each named check, and that every other
// check of a full run is OK.
func wantVerdicts(t *testing.T, out string, want map[string]string) map[string]string {
	t.Helper()
	levels, text := verdicts(t, out)
	for _, check := range doctorChecks {
		w := want[check]
		if w == "" {
			w = "OK"
		}
		if w == "-" { // not reported
			continue
		}
		if levels[check] != w {
			t.Errorf("check %s = %q, want %s:\n%s", check, levels[check], w, out)
		}
	}
	return text
}

func wantSummary(t *testing.T, out string, ok, warn, fail int) {
	t.Helper()
	want := "lambdis doctor: " + strconv.Itoa(ok+warn+fail) + " checks: " + strconv.Itoa(ok) + " OK, " +
		strconv.Itoa(warn) + " WARN, " + strconv.Itoa(fail) + " FAIL\n"
	if !strings.HasSuffix(out, want) {
		t.Errorf("summary: want %q at the end of:\n%s", want, out)
	}
}

// TestDoctorStandalone runs doctor against one healthy redis-server: every
// check OK, nothing written; then the same server through --url (overriding
// a REDIS_URL that points nowhere) and with a cluster client configured.
func TestDoctorStandalone(t *testing.T) {
	srv := redistest.StartServer(t)
	rdb := srv.Client(t)
	url := "redis://" + srv.Addr

	t.Run("healthy", func(t *testing.T) {
		code, out, errOut := runCLI(t, map[string]string{"REDIS_URL": url}, "doctor")
		if code != exitOK || errOut != "" {
			t.Fatalf("exit %d, stderr %q, want 0 and nothing:\n%s", code, errOut, out)
		}
		text := wantVerdicts(t, out, nil)
		wantSummary(t, out, 9, 0, 0)
		for check, want := range map[string]string{
			"config":    "standalone client, " + srv.Addr + ", key prefix lambdis",
			"connect":   "PING round trip ",
			"version":   "redis 7.",
			"eviction":  "maxmemory-policy noeviction",
			"memory":    "no maxmemory limit",
			"cluster":   "standalone server, standalone client",
			"scripting": "lambdis:doctor:{probe}",
			"clock":     "Redis TIME ",
		} {
			if !strings.Contains(text[check], want) {
				t.Errorf("%s: %q lacks %q", check, text[check], want)
			}
		}
		if n, err := rdb.DBSize(context.Background()).Result(); err != nil || n != 0 {
			t.Errorf("DBSIZE after doctor = %d, %v; want 0 (doctor writes nothing)", n, err)
		}
	})

	t.Run("key prefix", func(t *testing.T) {
		code, out, _ := runCLI(t, map[string]string{"REDIS_URL": url, "LAMBDIS_KEY_PREFIX": "acme"}, "doctor")
		text := wantVerdicts(t, out, nil)
		if code != exitOK || !strings.Contains(text["scripting"], "acme:doctor:{probe}") {
			t.Errorf("exit %d; scripting %q, want the probe key under acme:\n%s", code, text["scripting"], out)
		}
	})

	t.Run("--url overrides REDIS_URL and REDIS_ADDRS", func(t *testing.T) {
		code, out, _ := runCLI(t, map[string]string{"REDIS_ADDRS": closedAddr(t)}, "doctor", "--url", url)
		wantVerdicts(t, out, nil)
		if code != exitOK {
			t.Errorf("exit %d, want 0:\n%s", code, out)
		}
	})

	t.Run("cluster client on a standalone server", func(t *testing.T) {
		code, out, _ := runCLI(t, map[string]string{"REDIS_URL": url, "REDIS_CLUSTER": "true"}, "doctor")
		_, text := verdicts(t, out)
		wantVerdicts(t, out, map[string]string{"connect": "FAIL", "version": "-", "eviction": "-", "memory": "-", "cluster": "-", "scripting": "-", "clock": "-", "worker": "-"})
		if code != exitError || !strings.Contains(text["connect"], "not a cluster node; unset REDIS_CLUSTER") {
			t.Errorf("exit %d, connect %q; want 1 and the cluster mismatch named:\n%s", code, text["connect"], out)
		}
		wantSummary(t, out, 1, 0, 1)
	})
}

// TestDoctorEvictionPolicy: allkeys-* fails (queue data could go), volatile-*
// warns (TTL'd data could go), read from INFO memory.
func TestDoctorEvictionPolicy(t *testing.T) {
	tests := []struct {
		policy, level string
		code          int
		reason        string
	}{
		{"allkeys-lru", "FAIL", exitError, "queue streams and job records included: jobs lost"},
		{"volatile-lru", "WARN", exitOK, "token revocations carry TTLs"},
	}
	for _, tc := range tests {
		t.Run(tc.policy, func(t *testing.T) {
			srv := redistest.StartServer(t, "--maxmemory-policy", tc.policy)
			code, out, _ := runCLI(t, map[string]string{"REDIS_URL": "redis://" + srv.Addr}, "doctor")
			text := wantVerdicts(t, out, map[string]string{"eviction": tc.level})
			if code != tc.code {
				t.Errorf("exit %d, want %d:\n%s", code, tc.code, out)
			}
			if !strings.Contains(text["eviction"], "maxmemory-policy "+tc.policy) || !strings.Contains(text["eviction"], tc.reason) {
				t.Errorf("eviction %q, want the policy and %q", text["eviction"], tc.reason)
			}
		})
	}
}

// TestDoctorMemoryNearMax: a server filled to about 90% of its maxmemory
// warns (exit 0).
func TestDoctorMemoryNearMax(t *testing.T) {
	const maxmemory = 8 << 20
	srv := redistest.StartServer(t, "--maxmemory", strconv.Itoa(maxmemory))
	rdb := srv.Client(t)
	ctx := context.Background()
	used := func() int {
		info, err := rdb.Info(ctx, "memory").Result()
		if err != nil {
			t.Fatal(err)
		}
		n, err := strconv.Atoi(redischeck.ParseInfo(info)["used_memory"])
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	// Small values: a big one would count twice (query buffer and value)
	// and be refused.
	for i := 0; used() < maxmemory*85/100; i++ {
		if i > 100 {
			t.Fatalf("used_memory %d after %d fills, want 85%% of %d", used(), i, maxmemory)
		}
		if err := rdb.Set(ctx, "filler:"+strconv.Itoa(i), strings.Repeat("x", 128<<10), 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	code, out, _ := runCLI(t, map[string]string{"REDIS_URL": "redis://" + srv.Addr}, "doctor")
	text := wantVerdicts(t, out, map[string]string{"memory": "WARN"})
	if code != exitOK || !strings.Contains(text["memory"], "of maxmemory 8.0 MiB") || !strings.Contains(text["memory"], "above 80%") {
		t.Errorf("exit %d, memory %q:\n%s", code, text["memory"], out)
	}
}

// TestDoctorCluster: a healthy 3-master cluster with REDIS_CLUSTER=true is
// OK on every master; the same cluster through a standalone client fails;
// a cluster missing a slot fails.
func TestDoctorCluster(t *testing.T) {
	cl := redistest.StartCluster(t)
	seeds := strings.Join(cl.Addrs, ",")

	t.Run("cluster client", func(t *testing.T) {
		code, out, errOut := runCLI(t, map[string]string{"REDIS_ADDRS": seeds, "REDIS_CLUSTER": "true"}, "doctor")
		text := wantVerdicts(t, out, nil)
		if code != exitOK || errOut != "" {
			t.Errorf("exit %d, stderr %q:\n%s", code, errOut, out)
		}
		if want := "cluster_state ok, all 16384 slots assigned, 3 masters"; !strings.Contains(text["cluster"], want) {
			t.Errorf("cluster %q lacks %q", text["cluster"], want)
		}
		for check, want := range map[string]string{"version": "lowest of 3 masters", "eviction": "(all 3 masters)", "memory": "the fullest of 3 masters"} {
			if !strings.Contains(text[check], want) {
				t.Errorf("%s %q does not say it read every master (%q)", check, text[check], want)
			}
		}
	})

	t.Run("standalone client", func(t *testing.T) {
		code, out, _ := runCLI(t, map[string]string{"REDIS_URL": "redis://" + cl.Addrs[0]}, "doctor")
		levels, text := verdicts(t, out)
		if code != exitError || levels["cluster"] != "FAIL" {
			t.Fatalf("exit %d, cluster %s; want 1 and FAIL:\n%s", code, levels["cluster"], out)
		}
		for _, want := range []string{"cluster node", "REDIS_CLUSTER is not true", "MOVED", "set REDIS_CLUSTER=true"} {
			if !strings.Contains(text["cluster"], want) {
				t.Errorf("cluster %q lacks %q", text["cluster"], want)
			}
		}
	})

	t.Run("slot unassigned", func(t *testing.T) {
		last := cl.Nodes[len(cl.Nodes)-1].Client(t) // owns slot 16383
		if err := last.Do(context.Background(), "CLUSTER", "DELSLOTS", 16383).Err(); err != nil {
			t.Fatal(err)
		}
		code, out, _ := runCLI(t, map[string]string{"REDIS_ADDRS": seeds, "REDIS_CLUSTER": "true"}, "doctor")
		levels, text := verdicts(t, out)
		if code != exitError || levels["cluster"] != "FAIL" || !strings.Contains(text["cluster"], "of 16384 slots assigned") {
			t.Errorf("exit %d, cluster %s %q; want 1 and FAIL naming the slots:\n%s", code, levels["cluster"], text["cluster"], out)
		}
	})
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// silentAddr is a loopback address that accepts connections and never
// answers: a server behind a black hole, or a TLS server spoken to in clear.
func silentAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var held []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range held {
			c.Close()
		}
	})
	return l.Addr().String()
}

// TestDoctorUnreachable: no server, or one that never answers, is a FAIL
// with the reason, within the REDIS_* timeouts (the run returns).
func TestDoctorUnreachable(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		want []string
	}{
		{"refused", map[string]string{"REDIS_URL": "redis://" + closedAddr(t)},
			[]string{"connection refused", "nothing listens at that address"}},
		{"silent", map[string]string{"REDIS_URL": "redis://" + silentAddr(t),
			"REDIS_DIAL_TIMEOUT": "100ms", "REDIS_READ_TIMEOUT": "100ms", "REDIS_MAX_RETRIES": "1"},
			[]string{"no answer within REDIS_DIAL_TIMEOUT=100ms / REDIS_READ_TIMEOUT=100ms (1 retries)", "REDIS_TLS"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, _ := runCLI(t, tc.vars, "doctor")
			levels, text := verdicts(t, out)
			if code != exitError || levels["config"] != "OK" || levels["connect"] != "FAIL" || len(levels) != 2 {
				t.Fatalf("exit %d, verdicts %v; want 1 with config OK and connect FAIL only:\n%s", code, levels, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(text["connect"], w) {
					t.Errorf("connect %q lacks %q", text["connect"], w)
				}
			}
			wantSummary(t, out, 1, 0, 1)
		})
	}
}

// TestDoctorConfiguration: a missing or invalid configuration is a FAIL
// naming the variable; a wrong command line exits 2.
func TestDoctorConfiguration(t *testing.T) {
	for _, tc := range []struct {
		vars map[string]string
		want string
	}{
		{nil, "neither REDIS_URL nor REDIS_ADDRS is set"},
		{map[string]string{"REDIS_URL": "redis://127.0.0.1:6379", "REDIS_POOL_SIZE": "abc"}, "REDIS_POOL_SIZE"},
		{map[string]string{"REDIS_URL": "redis://127.0.0.1:6379", "LAMBDIS_KEY_PREFIX": "a:b"}, "LAMBDIS_KEY_PREFIX"},
	} {
		code, out, _ := runCLI(t, tc.vars, "doctor")
		levels, text := verdicts(t, out)
		if code != exitError || levels["config"] != "FAIL" || len(levels) != 1 || !strings.Contains(text["config"], tc.want) {
			t.Errorf("env %v: exit %d, want 1 and one config FAIL naming %q:\n%s", tc.vars, code, tc.want, out)
		}
	}
	for _, args := range [][]string{{"doctor", "extra"}, {"doctor", "--timeout", "0s"}, {"doctor", "--frobnicate"}} {
		code, out, errOut := runCLI(t, nil, args...)
		if code != exitUsage || out != "" || errOut == "" {
			t.Errorf("lambdis %v: exit %d, stdout %q, stderr %q; want 2, nothing, a reason", args, code, out, errOut)
		}
	}
	if code, out, _ := runCLI(t, nil, "doctor", "-h"); code != exitOK || !strings.Contains(out, "usage: lambdis doctor") {
		t.Errorf("doctor -h: exit %d, stdout %q", code, out)
	}
}

// The worker's settings: a job timeout that leaves a run little time to
// start jobs is a WARN naming the setting; a bad value a FAIL.
func TestDoctorWorkerSettings(t *testing.T) {
	for _, tc := range []struct {
		vars  map[string]string
		level redischeck.Level
		want  string
	}{
		{nil, redischeck.OK, "a run may start jobs for 29s of its 1m0s"},
		{map[string]string{"WORKER_FUNCTION_TIMEOUT": "10s", "WORKER_JOB_TIMEOUT": "8s"}, redischeck.Warn, "WORKER_JOB_TIMEOUT=8s leaves a run only 1s of its 10s"},
		{map[string]string{"WORKER_LINGER": "soon"}, redischeck.Fail, "WORKER_LINGER"},
	} {
		var r redischeck.Report
		checkWorker(&r, env(tc.vars))
		if len(r.Checks) != 1 || r.Checks[0].Level != tc.level || !strings.Contains(r.Checks[0].Detail, tc.want) {
			t.Errorf("%v: %+v, want %s with %q", tc.vars, r.Checks, tc.level, tc.want)
		}
	}
}
