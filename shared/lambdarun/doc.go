// Package lambdarun starts a Lambdis function: it builds the logger and
// metrics (telemetry.Setup) and the pooled Redis client (redisconn.FromEnv)
// once per container, with X-Ray subsegments for its calls when Lambda runs
// an X-Ray daemon (xray.Instrument), lets the function build its handler
// from them, and hands the handler to lambda.Start with the metrics flushed
// after every invocation. An init error is reported as one JSON log line
// and the process exits, so Lambda reports Runtime.ExitError with the
// variable named.
//
// A function's main.go is then only its wiring:
//
//	func main() {
//		lambdarun.Start("revoke", func(ctx context.Context, env lambdarun.Env) (lambdarun.Handler[events.APIGatewayProxyRequest, events.APIGatewayProxyResponse], error) {
//			h, err := revocation.FromEnv(ctx, env.Getenv, env.Redis, nil, env.Log)
//			if err != nil {
//				return nil, err
//			}
//			return h.Handle, nil
//		})
//	}
package lambdarun
