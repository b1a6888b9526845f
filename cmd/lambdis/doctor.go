package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/lambdis/lambdis/functions/worker/drainer"
	"github.com/lambdis/lambdis/shared/redischeck"
	"github.com/lambdis/lambdis/shared/redisconn"
)

// defaultDoctorTimeout bounds a whole `lambdis doctor` run; each command is
// also bounded by the REDIS_* timeouts, as in the functions.
const defaultDoctorTimeout = 20 * time.Second

// The probe key <prefix>:doctor:{probe} the scripting check declares: read,
// never written.
const (
	doctorKeyModule = "doctor"
	doctorKeyTag    = "probe"
)

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
	r := redischeck.Report{OnCheck: func(ch redischeck.Check) { // a line as each check completes
		fmt.Fprintf(c.stdout, "%-4s  %-9s  %s\n", ch.Level, ch.Name, ch.Detail)
	}}
	diagnose(ctx, &r, withURL(c.getenv, *url), *url)
	fmt.Fprintf(c.stdout, "lambdis doctor: %s: %d OK, %d WARN, %d FAIL\n", plural(len(r.Checks), "check"), r.OK, r.Warn, r.Fail)
	if r.Fail > 0 {
		return exitError
	}
	return exitOK
}

// diagnose runs the checks in order; one that makes the rest meaningless
// (no configuration, no connection) ends the run. url is --url ("": none),
// which getenv passes as REDIS_URL.
func diagnose(ctx context.Context, r *redischeck.Report, getenv func(string) string, url string) {
	t, err := loadTarget(getenv)
	if err != nil {
		err = fromURLFlag(err, url)
		r.Add(redischeck.Fail, "config", "%v", err)
		return
	}
	r.Add(redischeck.OK, "config", "%s", t.describe())

	rdb, err := t.connect(ctx)
	if err != nil {
		r.Add(redischeck.Fail, "connect", "%s", connectFailure(t.cfg, err))
		return
	}
	defer rdb.Close()
	key, err := t.keys.Key(doctorKeyModule, doctorKeyTag)
	if err != nil {
		r.Add(redischeck.Fail, "scripting", "probe key: %v", err)
		return
	}
	redischeck.RunInto(ctx, r, rdb, redischeck.Options{Cluster: t.cfg.Cluster, ProbeKey: key})
	checkWorker(r, getenv)
}

// checkWorker reports whether the worker's settings (WORKER_* in the same
// environment) let a run start jobs for most of its time.
func checkWorker(r *redischeck.Report, getenv func(string) string) {
	cfg, err := drainer.ConfigFromEnv(getenv)
	if err != nil {
		r.Add(redischeck.Fail, "worker", "%v", err)
		return
	}
	window, warning := cfg.StartWindow()
	if warning != "" {
		r.Add(redischeck.Warn, "worker", "%s", warning)
		return
	}
	r.Add(redischeck.OK, "worker", "a run may start jobs for %v of its %v (WORKER_JOB_TIMEOUT %v)", window, cfg.Worker.FunctionTimeout, cfg.Worker.JobTimeout)
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
