// Package localapi is the local stand-in for the deployed API Gateway REST
// API: `lambdis serve` runs it, and tests start it on 127.0.0.1:0 or wrap it
// in httptest. It runs the same Lambda handlers the stack deploys, built from
// the environment by the same FromEnv functions, against one shared Redis.
//
// For every request the Server
//
//  1. finds the resource in the route table (routes.go) — literal segments
//     before {param} before {param+}, one trailing slash ignored — and the
//     method, exact or ANY;
//  2. reads the body, up to MaxBodyBytes (API Gateway's 10 MiB);
//  3. unless the route is NoAuth, builds the REQUEST authorizer event
//     (type REQUEST, methodArn
//     arn:aws:execute-api:us-east-1:123456789012:local/local/<METHOD>/<path>,
//     headers (Cookie too, every value: the authorizer reads the
//     lambdis_session cookie), query string and path parameters, single- and
//     multi-value,
//     request context with the TCP peer as sourceIp) and maps the answer the
//     way the stack's gateway responses do, with apigw's Go twins so that
//     bodies and headers are the deployed ones: the error "Unauthorized" →
//     401 with WWW-Authenticate: Bearer; any other error → 503; a policy
//     that does not allow the method ARN (the limiter's Deny) → 429 with
//     Retry-After and the RateLimit headers from the Deny's context;
//  4. builds the v1 proxy event — the authorizer context with every value
//     a string, plus principalId and integrationLatency; path parameters
//     URL-decoded; a body that is not UTF-8 base64-encoded with
//     isBase64Encoded — and invokes the route's handler;
//  5. writes the proxy response: status, headers merged with
//     multiValueHeaders, the body base64-decoded when flagged, Content-Type
//     application/json by default, and x-amzn-RequestId.
//
// Both events pass through JSON on the way in, as the Lambda runtime does,
// so a handler sees what it would see deployed. Each invocation's context
// carries a lambdacontext with the request id (the API request id, the same
// for the authorizer and the integration, so the log lines correlate) and an
// InvocationTimeout deadline; it is not cancelled when the client hangs up.
//
// Where the local API knowingly differs from API Gateway:
//
//   - An unknown path is a 404 not-found problem and a known path with the
//     wrong method a 405 method-not-allowed problem with Allow. API Gateway
//     answers both with 403 {"message":"Missing Authentication Token"}
//     (MISSING_AUTHENTICATION_TOKEN).
//   - An integration error, panic or malformed response is a 502 problem of
//     type internal; API Gateway answers 502 {"message": "Internal server
//     error"}.
//   - A malformed authorizer answer (no principalId, a context value that is
//     an object or array) is answered 503 like an authorizer failure; API
//     Gateway answers AUTHORIZER_CONFIGURATION_ERROR (500).
//   - Header names reach the functions in Go's canonical form
//     (Authorization, X-Request-Id), not the client's spelling; Host and
//     X-Forwarded-For/-Proto/-Port are added, the peer appended to
//     X-Forwarded-For, which never sets the source IP.
//   - The authorizer runs on every request: its result is never cached, as
//     the stack configures it (TTL 0).
//   - Nothing of API Gateway's own throttling, API keys, CORS, binary media
//     types (any non-UTF-8 body is base64) or the 29-second integration
//     timeout's 504 is emulated; the timeout is only the context deadline.
//
// With Config.WorkerInterval (`lambdis serve` sets 2s by default), Serve also
// runs the worker function (functions/worker) in-process, started the two
// ways it is deployed: a tick at once and then every interval (as
// EventBridge Scheduler invokes it; tick runs overlap, at most two at once), draining every registered queue (or WORKER_QUEUES), and a run
// for a queue each time an enqueue finds no worker awake on it (the
// enqueue function's asynchronous Invoke). Runs have the job types of
// shared/jobs and a deadline of WORKER_FUNCTION_TIMEOUT (default
// DefaultWorkerTimeout); they linger WORKER_LINGER for new work. A run that
// finds nothing logs at debug level.
//
// Redis is REDIS_URL or REDIS_ADDRS (with every REDIS_* variable, through
// redisconn) or else an embedded miniredis whose TTLs follow the wall clock.
// Without JWT_SECRET, JWT_SECRET_ARN and JWT_JWKS_URL the functions see
// JWT_SECRET=authz.LocalDevSecret, the secret `lambdis token` signs with; the
// process environment is never modified.
package localapi
