// Command ratelimit is the API Gateway REQUEST authorizer Lambda: JWT
// verification, revocation and rate limits in one Redis round trip.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/functions/ratelimit/authorizer"
	"github.com/lambdis/lambdis/shared/lambdarun"
)

func main() {
	lambdarun.Start("ratelimit", func(ctx context.Context, env lambdarun.Env) (lambdarun.Handler[events.APIGatewayCustomAuthorizerRequestTypeRequest, events.APIGatewayCustomAuthorizerResponse], error) {
		h, err := authorizer.FromEnv(ctx, env.Getenv, env.Redis, nil, env.Log, env.Metrics)
		if err != nil {
			return nil, err
		}
		return h.Handle, nil
	})
}
