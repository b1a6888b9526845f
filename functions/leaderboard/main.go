// Command leaderboard is the leaderboard Lambda: POST
// /leaderboards/{board}/scores, GET /leaderboards/{board}, GET and DELETE
// /leaderboards/{board}/players/{player}.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/functions/leaderboard/boards"
	"github.com/lambdis/lambdis/shared/lambdarun"
)

func main() {
	lambdarun.Start("leaderboard", func(ctx context.Context, env lambdarun.Env) (lambdarun.Handler[events.APIGatewayProxyRequest, events.APIGatewayProxyResponse], error) {
		h, err := boards.FromEnv(ctx, env.Getenv, env.Redis, env.Log)
		if err != nil {
			return nil, err
		}
		return h.Handle, nil
	})
}
