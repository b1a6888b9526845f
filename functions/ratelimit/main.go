// Command ratelimit is the API Gateway REQUEST authorizer Lambda: JWT
// verification, revocation and rate limits in one Redis round trip.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/lambdis/lambdis/functions/ratelimit/authorizer"
	"github.com/lambdis/lambdis/shared/redisconn"
	"github.com/lambdis/lambdis/shared/telemetry"
)

func main() {
	ctx := context.Background()
	log := telemetry.NewLogger(os.Stdout, "ratelimit")
	ns, err := telemetry.NamespaceFromEnv(os.Getenv)
	if err != nil {
		log.Error("init failed", "error", err.Error())
		os.Exit(1)
	}
	metrics, err := telemetry.NewMetrics(ns, telemetry.Dim{Name: "Function", Value: "ratelimit"})
	if err != nil {
		log.Error("init failed", "error", err.Error())
		os.Exit(1)
	}
	rdb, err := redisconn.FromEnv(ctx)
	if err != nil {
		log.Error("init failed", "error", err.Error())
		os.Exit(1)
	}
	h, err := authorizer.FromEnv(ctx, os.Getenv, rdb, nil, log, metrics)
	if err != nil {
		log.Error("init failed", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(telemetry.WithFlush(metrics, os.Stdout, log, h.Handle))
}
