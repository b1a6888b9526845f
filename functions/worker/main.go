// Command worker is the scheduled job-queue worker Lambda: EventBridge
// Scheduler invokes it (every minute) to drain the queues' Redis Streams.
package main

import (
	"context"
	"encoding/json"

	"github.com/lambdis/lambdis/functions/worker/drainer"
	"github.com/lambdis/lambdis/shared/lambdarun"
	"github.com/lambdis/lambdis/shared/queue"
)

func main() {
	lambdarun.Start("worker", func(ctx context.Context, env lambdarun.Env) (lambdarun.Handler[json.RawMessage, queue.Summary], error) {
		h, err := drainer.FromEnv(ctx, env.Getenv, env.Redis, nil, env.Log, env.Metrics)
		if err != nil {
			return nil, err
		}
		return h.Handle, nil
	})
}
