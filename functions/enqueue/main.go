// Command enqueue is the job queue's API Lambda: POST /jobs,
// POST /jobs/batch and GET /jobs/{id}.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/functions/enqueue/jobsapi"
	"github.com/lambdis/lambdis/shared/lambdarun"
)

func main() {
	lambdarun.Start("enqueue", func(ctx context.Context, env lambdarun.Env) (lambdarun.Handler[events.APIGatewayProxyRequest, events.APIGatewayProxyResponse], error) {
		h, err := jobsapi.FromEnv(ctx, env.Getenv, env.Redis, nil, env.Log)
		if err != nil {
			return nil, err
		}
		if env.Metrics != nil { // a nil *Metrics in the interface would not compare equal to nil
			h.Metrics = env.Metrics
		}
		return h.Handle, nil
	})
}
