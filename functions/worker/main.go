// Command worker is the scheduled job-queue worker Lambda: EventBridge
// Scheduler invokes it (every minute) to drain the queues' Redis Streams.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/lambdis/lambdis/functions/worker/drainer"
	"github.com/lambdis/lambdis/shared/redisconn"
	"github.com/lambdis/lambdis/shared/telemetry"
)

func main() {
	ctx := context.Background()
	log, metrics, err := telemetry.Setup(os.Stdout, "worker", os.Getenv)
	if err != nil {
		fail(err)
	}
	rdb, err := redisconn.FromEnv(ctx)
	if err != nil {
		fail(err)
	}
	h, err := drainer.FromEnv(ctx, os.Getenv, rdb, nil, log, metrics)
	if err != nil {
		fail(err)
	}
	lambda.Start(telemetry.WithFlush(metrics, os.Stdout, log, h.Handle))
}

// fail reports an init error the way Lambda shows it (a JSON log line on
// stdout) and exits, so the runtime reports Runtime.ExitError.
func fail(err error) {
	line, _ := json.Marshal(map[string]string{"level": "ERROR", "message": "init failed", "error": err.Error()})
	fmt.Fprintln(os.Stdout, string(line))
	os.Exit(1)
}
