// Command revoke is the token revocation Lambda: POST /tokens/revoke and
// POST /users/{sub}/revoke-all.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/lambdis/lambdis/functions/revoke/revocation"
	"github.com/lambdis/lambdis/shared/redisconn"
	"github.com/lambdis/lambdis/shared/telemetry"
)

func main() {
	ctx := context.Background()
	log := telemetry.NewLogger(os.Stdout, "revoke")
	rdb, err := redisconn.FromEnv(ctx)
	if err != nil {
		log.Error("init failed", "error", err.Error())
		os.Exit(1)
	}
	h, err := revocation.FromEnv(ctx, os.Getenv, rdb, nil, log)
	if err != nil {
		log.Error("init failed", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}
