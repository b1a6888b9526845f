// Command session is the session Lambda: POST, GET and DELETE /sessions,
// DELETE /sessions/{handle} (and /sessions/current).
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/functions/session/sessionsapi"
	"github.com/lambdis/lambdis/shared/lambdarun"
)

func main() {
	lambdarun.Start("session", func(ctx context.Context, env lambdarun.Env) (lambdarun.Handler[events.APIGatewayProxyRequest, events.APIGatewayProxyResponse], error) {
		h, err := sessionsapi.FromEnv(ctx, env.Getenv, env.Redis, env.Log)
		if err != nil {
			return nil, err
		}
		return h.Handle, nil
	})
}
