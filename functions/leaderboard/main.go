// Command leaderboard is the leaderboard Lambda: POST
// /leaderboards/{board}/scores, GET /leaderboards/{board}, GET and DELETE
// /leaderboards/{board}/players/{player}.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/lambdis/lambdis/functions/leaderboard/boards"
	"github.com/lambdis/lambdis/shared/redisconn"
	"github.com/lambdis/lambdis/shared/telemetry"
)

func main() {
	ctx := context.Background()
	log, metrics, err := telemetry.Setup(os.Stdout, "leaderboard", os.Getenv)
	if err != nil {
		fail(err)
	}
	rdb, err := redisconn.FromEnv(ctx)
	if err != nil {
		fail(err)
	}
	h, err := boards.FromEnv(ctx, os.Getenv, rdb, log)
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
