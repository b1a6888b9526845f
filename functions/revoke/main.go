// Command revoke is the token revocation Lambda: POST /tokens/revoke and
// POST /users/{sub}/revoke-all.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/functions/revoke/revocation"
	"github.com/lambdis/lambdis/shared/lambdarun"
)

func main() {
	lambdarun.Start("revoke", func(ctx context.Context, env lambdarun.Env) (lambdarun.Handler[events.APIGatewayProxyRequest, events.APIGatewayProxyResponse], error) {
		h, err := revocation.FromEnv(ctx, env.Getenv, env.Redis, nil, env.Log)
		if err != nil {
			return nil, err
		}
		return h.Handle, nil
	})
}
