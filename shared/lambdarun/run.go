package lambdarun

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/lambdis/lambdis/shared/redisconn"
	"github.com/lambdis/lambdis/shared/telemetry"
	"github.com/lambdis/lambdis/shared/xray"
	"github.com/redis/go-redis/v9"
)

// Env is what a function's handler is built from.
type Env struct {
	Getenv  func(string) string
	Redis   redis.UniversalClient
	Log     *slog.Logger
	Metrics *telemetry.Metrics
}

// Handler is a Lambda handler function.
type Handler[Req, Resp any] func(context.Context, Req) (Resp, error)

// Start builds the function named name and runs it; it does not return.
func Start[Req, Resp any](name string, build func(context.Context, Env) (Handler[Req, Resp], error)) {
	h, env, err := Init(context.Background(), os.Stdout, name, os.Getenv, redisconn.FromEnv, build)
	if err != nil {
		fail(os.Stdout, err)
		os.Exit(1)
	}
	lambda.Start(telemetry.WithFlush(env.Metrics, os.Stdout, env.Log, h))
}

// Init does Start's work short of lambda.Start, for tests. Inside Lambda
// (AWS_XRAY_DAEMON_ADDRESS set) the Redis client gets the X-Ray hook
// (xray.Instrument): a sampled invocation's Redis calls are subsegments.
func Init[Req, Resp any](ctx context.Context, w io.Writer, name string, getenv func(string) string,
	dial func(context.Context) (redis.UniversalClient, error),
	build func(context.Context, Env) (Handler[Req, Resp], error)) (Handler[Req, Resp], Env, error) {
	log, metrics, err := telemetry.Setup(w, name, getenv)
	if err != nil {
		return nil, Env{}, err
	}
	rdb, err := dial(ctx)
	if err != nil {
		return nil, Env{}, err
	}
	// Tracing is the function's configuration, not a reason to fail: a
	// daemon address that cannot be used leaves Redis untraced.
	if _, err := xray.Instrument(rdb, getenv, log); err != nil {
		log.Warn("Redis calls are not traced", "error", err)
	}
	env := Env{Getenv: getenv, Redis: rdb, Log: log, Metrics: metrics}
	h, err := build(ctx, env)
	if err != nil {
		_ = rdb.Close()
		return nil, Env{}, err
	}
	return h, env, nil
}

// fail writes an init error as one JSON log line.
func fail(w io.Writer, err error) {
	line, _ := json.Marshal(map[string]string{"level": "ERROR", "message": "init failed", "error": err.Error()})
	fmt.Fprintln(w, string(line))
}
