// Command admin is the admin API Lambda: queues and their dead letters, any
// job's record and a subject's limits, for callers with the admin scope; and
// the web console that shows them (functions/admin/console), whose page
// and assets need no token.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/functions/admin/adminapi"
	"github.com/lambdis/lambdis/functions/admin/console"
	"github.com/lambdis/lambdis/shared/lambdarun"
)

func main() {
	lambdarun.Start("admin", func(ctx context.Context, env lambdarun.Env) (lambdarun.Handler[events.APIGatewayProxyRequest, events.APIGatewayProxyResponse], error) {
		h, err := adminapi.FromEnv(ctx, env.Getenv, env.Redis, env.Log)
		if err != nil {
			return nil, err
		}
		return console.Mount(h.Handle), nil
	})
}
