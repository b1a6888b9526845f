package redischeck

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Level is a check's verdict.
type Level int

// The verdicts, from good to bad.
const (
	OK Level = iota
	Warn
	Fail
)

// String is the verdict as `lambdis doctor` prints it: OK, WARN or FAIL.
func (l Level) String() string {
	switch l {
	case OK:
		return "OK"
	case Warn:
		return "WARN"
	}
	return "FAIL"
}

// MarshalText writes the verdict as JSON carries it: ok, warn or fail.
func (l Level) MarshalText() ([]byte, error) {
	switch l {
	case OK:
		return []byte("ok"), nil
	case Warn:
		return []byte("warn"), nil
	case Fail:
		return []byte("fail"), nil
	}
	return nil, fmt.Errorf("redischeck: level %d", int(l))
}

// UnmarshalText reads ok, warn or fail.
func (l *Level) UnmarshalText(b []byte) error {
	switch string(b) {
	case "ok":
		*l = OK
	case "warn":
		*l = Warn
	case "fail":
		*l = Fail
	default:
		return fmt.Errorf("redischeck: level %q: want ok, warn or fail", b)
	}
	return nil
}

// Check is one check's verdict and why.
type Check struct {
	Name   string `json:"check"` // connect, version, eviction, memory, cluster, scripting, clock
	Level  Level  `json:"level"`
	Detail string `json:"detail"`
}

// Report is the checks of one run, in order, and how many of each verdict.
type Report struct {
	Checks []Check `json:"checks"`
	OK     int     `json:"ok"`
	Warn   int     `json:"warn"`
	Fail   int     `json:"fail"`
	// OnCheck, when set, is called with each check as it is added: a
	// command-line report prints the lines as they come.
	OnCheck func(Check) `json:"-"`
}

// Add records a verdict; callers that run checks of their own (the
// configuration, the worker's settings) add them to the same report.
func (r *Report) Add(l Level, name, format string, a ...any) {
	switch l {
	case OK:
		r.OK++
	case Warn:
		r.Warn++
	default:
		r.Fail++
	}
	c := Check{Name: name, Level: l, Detail: fmt.Sprintf(format, a...)}
	r.Checks = append(r.Checks, c)
	if r.OnCheck != nil {
		r.OnCheck(c)
	}
}

// Options describe the client the checks run through.
type Options struct {
	// Cluster says the client was configured for a cluster (REDIS_CLUSTER):
	// the cluster check compares it with what the server is.
	Cluster bool
	// ProbeKey is the key the scripting check declares (read, never
	// written); its hash tag picks the node the script runs on.
	ProbeKey string
}

// Run checks the Redis behind rdb: the connection (PING), the server version
// (7.0 or later), the eviction policy and memory (from INFO: ElastiCache
// forbids CONFIG), the cluster state and whether the client's mode matches
// it, scripting, and the clock. A failed PING ends the run. Run writes
// nothing to Redis; each command is bounded by ctx and the client's
// timeouts.
func Run(ctx context.Context, rdb redis.UniversalClient, opt Options) Report {
	var r Report
	RunInto(ctx, &r, rdb, opt)
	return r
}

// RunInto is Run adding to an existing report.
func RunInto(ctx context.Context, r *Report, rdb redis.UniversalClient, opt Options) {
	start := time.Now()
	if err := rdb.Ping(ctx).Err(); err != nil {
		r.Add(Fail, "connect", "PING: %v%s", err, ErrorHint(err))
		return
	}
	r.Add(OK, "connect", "PING round trip %s", RoundDuration(time.Since(start)))

	nodes, err := Nodes(ctx, rdb)
	if err != nil {
		r.Add(Fail, "info", "INFO: %v%s (the worker reads INFO memory for the eviction policy)", err, ErrorHint(err))
	} else {
		checkVersion(r, nodes)
		checkEviction(r, nodes)
		checkMemory(r, nodes)
		checkCluster(ctx, r, opt.Cluster, rdb, nodes)
	}
	checkScripting(ctx, r, rdb, opt.ProbeKey)
	checkClock(ctx, r, rdb)
}
