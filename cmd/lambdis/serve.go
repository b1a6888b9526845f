package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/lambdis/lambdis/cmd/lambdis/localapi"
	"github.com/lambdis/lambdis/functions/ratelimit/authorizer"
	"github.com/lambdis/lambdis/shared/authz"
	"github.com/lambdis/lambdis/shared/jobs"
	"github.com/lambdis/lambdis/shared/redisconn"
)

// defaultServeAddr is where `lambdis serve` listens without --addr.
const defaultServeAddr = "127.0.0.1:3000"

// defaultWorkerInterval is how often `lambdis serve` runs the job worker.
const defaultWorkerInterval = 2 * time.Second

// runServe is `lambdis serve`: the local API until SIGINT or SIGTERM.
func runServe(ctx context.Context, c cli, args []string) int {
	fs := flag.NewFlagSet("lambdis serve", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	addr := fs.String("addr", defaultServeAddr, "host:port to listen on")
	workerInterval := fs.Duration("worker-interval", defaultWorkerInterval, "how often the job worker ticks (enqueues also wake it); 0 disables it")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "usage: lambdis serve [--addr 127.0.0.1:3000] [--worker-interval 2s]\n\n"+
			"Runs the deployed functions behind a local API Gateway. Redis is REDIS_URL or\n"+
			"REDIS_ADDRS, else an embedded miniredis; without JWT_SECRET, JWT_SECRET_ARN and\n"+
			"JWT_JWKS_URL the functions accept tokens from `lambdis token`. Every other\n"+
			"variable (RATE_LIMITS, AUTHZ_*, LOG_LEVEL, ...) means what it means deployed.\n"+
			"The job worker runs in-process as deployed: a tick every --worker-interval\n"+
			"drains every queue in use (or WORKER_QUEUES), and an enqueue to a queue with\n"+
			"no worker awake starts a run at once; runs linger WORKER_LINGER (5s) for\n"+
			"new jobs, within WORKER_FUNCTION_TIMEOUT (10s).\n"+
			"Logs go to stderr. SIGINT or SIGTERM stops it gracefully.\n\n")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(c, fs, args); !ok {
		return code
	}
	if *workerInterval < 0 {
		fmt.Fprintf(c.stderr, "lambdis serve: --worker-interval %v: must not be negative\n", *workerInterval)
		return exitUsage
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second signal kills the process
	}()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(c.stderr, "lambdis serve: %v\n", err)
		if errors.Is(err, syscall.EADDRINUSE) {
			fmt.Fprintf(c.stderr, "lambdis serve: another program listens on %s, perhaps another lambdis serve: stop it, or give this one another address (--addr 127.0.0.1:3001)\n", *addr)
		}
		return exitError
	}
	// Without configured webhooks, they go to a receiver of this server.
	getenv, hooks := localapi.WithDevWebhooks(c.getenv, "http://"+dialable(ln.Addr()))
	srv, err := localapi.New(ctx, localapi.Config{Getenv: getenv, LogOutput: c.stderr, WorkerInterval: *workerInterval, Routes: hooks.Routes()})
	if err != nil {
		_ = ln.Close()
		fmt.Fprintf(c.stderr, "lambdis serve: %v\n", err)
		return exitError
	}
	defer srv.Close()

	banner(c.stderr, srv, ln.Addr(), getenv)
	if err := srv.Serve(ctx, ln); err != nil {
		fmt.Fprintf(c.stderr, "lambdis serve: %v\n", err)
		return exitError
	}
	fmt.Fprintln(c.stderr, "lambdis serve: stopped")
	return exitOK
}

// banner tells the developer where the API is, the settings it runs with
// (each with where it came from), and how to call it.
func banner(w io.Writer, srv *localapi.Server, addr net.Addr, getenv func(string) string) {
	base := "http://" + dialable(addr)
	set := func(k string) bool { return strings.TrimSpace(getenv(k)) != "" }
	fmt.Fprintf(w, "lambdis serve: listening on %s\n", base)
	fmt.Fprintf(w, "  redis: %s\n", srv.Redis())
	pool := "lambdis serve's default, for one process serving every function and the worker; a deployed function's default is 4"
	if set(redisconn.EnvPoolSize) && srv.RedisPool() != localapi.LocalPoolSize {
		pool = redisconn.EnvPoolSize
	}
	fmt.Fprintf(w, "  pool: %s per node (%s)\n", plural(srv.RedisPool(), "connection"), pool)
	if srv.DevSecret() {
		fmt.Fprintln(w, "  tokens: HS256 with the local development secret (authz.LocalDevSecret); never deploy it")
	} else {
		fmt.Fprintln(w, "  tokens: verified with JWT_* from the environment")
	}
	limits, source := authorizer.DefaultRateLimits, authorizer.EnvRateLimits+" unset: the default"
	if set(authorizer.EnvRateLimits) {
		limits, source = getenv(authorizer.EnvRateLimits), authorizer.EnvRateLimits
	}
	fmt.Fprintf(w, "  rate limits: %s (%s)\n", limits, source)
	if iv := srv.WorkerInterval(); iv > 0 {
		queues := "every queue in use"
		if qs := srv.WorkerQueues(); len(qs) > 0 {
			queues = "queues " + strings.Join(qs, ", ")
		}
		fmt.Fprintf(w, "  worker: %s, woken by enqueues, ticking every %v\n", queues, iv)
	} else {
		fmt.Fprintln(w, "  worker: off")
	}
	switch hooks := getenv(jobs.EnvWebhookAllowedURLs); {
	case hooks == "":
		fmt.Fprintf(w, "  webhooks: off (%s unset)\n", jobs.EnvWebhookAllowedURLs)
	case getenv(jobs.EnvWebhookSecret) == localapi.DevWebhookSecret:
		fmt.Fprintf(w, "  webhooks: to the development receiver %s (GET %s lists deliveries; no %s set)\n", hooks, localapi.DevWebhookListPath, jobs.EnvWebhookAllowedURLs)
	default:
		fmt.Fprintf(w, "  webhooks: to %s (%s)\n", hooks, jobs.EnvWebhookAllowedURLs)
	}
	fmt.Fprintf(w, "  console: %s/console (paste a token with the admin scope: lambdis token --sub you --scope admin)\n", base)
	fmt.Fprintln(w, "  routes:")
	for _, r := range srv.Routes() {
		note := ""
		if r.Auth == localapi.NoAuth {
			note = "  (no authorizer)"
		}
		fmt.Fprintf(w, "    %-7s %s%s\n", r.Method, r.Resource, note)
	}
	if srv.DevSecret() || set(authz.EnvJWTSecret) {
		fmt.Fprintf(w, "try:\n  TOKEN=$(lambdis token --sub alice)\n  curl -H \"Authorization: Bearer $TOKEN\" %s/tokens/self\n", base)
	}
	fmt.Fprintln(w, "Ctrl-C stops the server.")
}

// dialable is addr with an unspecified host (0.0.0.0, ::) replaced by
// 127.0.0.1, for the hint.
func dialable(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		if ip != nil {
			host = "127.0.0.1"
		}
	}
	return net.JoinHostPort(host, port)
}
