// Command enqueue is the job queue's API Lambda: POST /jobs,
// POST /jobs/batch and GET /jobs/{id}.
package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/functions/enqueue/jobsapi"
	"github.com/lambdis/lambdis/functions/enqueue/lambdawake"
	"github.com/lambdis/lambdis/shared/lambdarun"
)

func main() {
	lambdarun.Start("enqueue", func(ctx context.Context, env lambdarun.Env) (lambdarun.Handler[events.APIGatewayProxyRequest, events.APIGatewayProxyResponse], error) {
		h, err := jobsapi.FromEnv(ctx, env.Getenv, env.Redis, nil, env.Log)
		if err != nil {
			return nil, err
		}
		// The wake client is built here, not in jobsapi: `lambdis serve`
		// wakes its in-process worker and need not link the Lambda client.
		waker, err := lambdawake.FromEnv(ctx, env.Getenv)
		if err != nil {
			return nil, fmt.Errorf("enqueue: %w", err)
		}
		if waker != nil {
			h.SetWaker(waker)
		}
		if env.Metrics != nil { // a nil *Metrics in the interface would not compare equal to nil
			h.Metrics = env.Metrics
		}
		return h.Handle, nil
	})
}
