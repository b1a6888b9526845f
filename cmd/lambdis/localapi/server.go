package localapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/lambdis/lambdis/api"
	"github.com/lambdis/lambdis/functions/ratelimit/authorizer"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/authz"
	"github.com/lambdis/lambdis/shared/telemetry"
	"github.com/redis/go-redis/v9"
)

const (
	// MaxBodyBytes is API Gateway's payload limit (10 MiB); a larger body is
	// answered 413.
	MaxBodyBytes = 10 << 20
	// InvocationTimeout is the deadline each Lambda invocation's context
	// carries: API Gateway's default integration timeout.
	InvocationTimeout = 29 * time.Second
	// ShutdownTimeout bounds how long Serve waits for requests in flight.
	ShutdownTimeout = 10 * time.Second
	// healthTimeout bounds the health check's PING.
	healthTimeout = 2 * time.Second
)

// Config configures a Server. Every field is optional.
type Config struct {
	// Getenv is the environment the functions are built from (os.Getenv when
	// nil). Without JWT_SECRET, JWT_SECRET_ARN and JWT_JWKS_URL the
	// functions see JWT_SECRET=authz.LocalDevSecret.
	Getenv func(string) string
	// LogOutput receives the JSON logs of the server and the functions
	// (os.Stderr when nil). LOG_LEVEL sets the level.
	LogOutput io.Writer
	// Redis is the client the functions share; the caller keeps ownership.
	// When nil, the server connects to REDIS_URL or REDIS_ADDRS, or starts
	// an embedded miniredis, and Close lets it go.
	Redis redis.UniversalClient
	// Authorizer replaces the REQUEST authorizer built from the environment
	// (tests, or trying another authorizer).
	Authorizer AuthorizerFunc
	// Routes are added to the built-in route table (see routes).
	Routes []Route
	// WorkerInterval is how often Serve ticks the worker function
	// (functions/worker) in-process, as EventBridge Scheduler would invoke
	// it; enqueues also wake it (see the package doc). 0 runs no worker.
	WorkerInterval time.Duration
}

// Server is the local API Gateway: it routes, runs the authorizer, maps its
// answer to the deployed gateway responses and invokes the integrations.
type Server struct {
	getenv     func(string) string
	logOut     io.Writer
	log        *slog.Logger
	rdb        redis.UniversalClient
	redisDesc  string
	embedded   bool // s.rdb is the embedded miniredis
	closeRedis func() error
	devSecret  bool
	authorizer AuthorizerFunc
	metrics    *telemetry.Metrics
	router     *router
	worker     *worker // nil: no in-process worker
}

// New builds the functions from the environment and the route table. Close
// the Server when done.
func New(ctx context.Context, cfg Config) (_ *Server, err error) {
	s := &Server{getenv: cfg.Getenv, logOut: cfg.LogOutput}
	if s.getenv == nil {
		s.getenv = os.Getenv
	}
	if s.logOut == nil {
		s.logOut = os.Stderr
	}
	s.log = telemetry.NewLogger(s.logOut, "local-api")
	s.getenv, s.devSecret = withDevSecret(s.getenv)
	if s.devSecret {
		// Info, not Warn: it is the default of a local run, and the banner
		// says it too; a warning on every default start teaches to skip them.
		s.log.Info("no JWT_SECRET, JWT_SECRET_ARN or JWT_JWKS_URL: the functions use the local development secret (authz.LocalDevSecret); never deploy it",
			"env", authz.EnvJWTSecret)
	}

	if cfg.Redis != nil {
		s.rdb, s.redisDesc, s.closeRedis = cfg.Redis, "caller's client", func() error { return nil }
	} else {
		st, err := openStore(ctx, s.getenv)
		if err != nil {
			return nil, fmt.Errorf("localapi: redis: %w", err)
		}
		s.rdb, s.redisDesc, s.closeRedis, s.embedded = st.rdb, st.desc, st.closer, st.embedded
	}
	defer func() {
		if err != nil {
			_ = s.closeRedis()
		}
	}()

	s.authorizer = cfg.Authorizer
	if s.authorizer == nil {
		if s.authorizer, err = s.buildAuthorizer(ctx); err != nil {
			return nil, err
		}
	}
	if cfg.WorkerInterval != 0 {
		if s.worker, err = s.buildWorker(ctx, cfg.WorkerInterval); err != nil {
			return nil, err
		}
	}
	routes, err := s.routes(ctx)
	if err != nil {
		return nil, err
	}
	if s.router, err = newRouter(append(routes, cfg.Routes...)); err != nil {
		return nil, err
	}
	return s, nil
}

// withDevSecret returns getenv with JWT_SECRET answering authz.LocalDevSecret
// when no JWT key source is configured, and whether it did so.
func withDevSecret(getenv func(string) string) (func(string) string, bool) {
	for _, k := range []string{authz.EnvJWTSecret, authz.EnvJWTSecretARN, authz.EnvJWTJWKSURL} {
		if strings.TrimSpace(getenv(k)) != "" {
			return getenv, false
		}
	}
	return func(k string) string {
		if k == authz.EnvJWTSecret {
			return authz.LocalDevSecret
		}
		return getenv(k)
	}, true
}

// buildAuthorizer builds the REQUEST authorizer as functions/ratelimit's
// main.go does; its metrics are flushed after every invocation to the log at
// debug level (and dropped at any other level).
func (s *Server) buildAuthorizer(ctx context.Context) (AuthorizerFunc, error) {
	ns, err := telemetry.NamespaceFromEnv(s.getenv)
	if err != nil {
		return nil, fmt.Errorf("localapi: authorizer: %w", err)
	}
	if s.metrics, err = telemetry.NewMetrics(ns, telemetry.Dim{Name: "Function", Value: "ratelimit"}); err != nil {
		return nil, fmt.Errorf("localapi: authorizer: %w", err)
	}
	h, err := authorizer.FromEnv(ctx, s.getenv, s.rdb, nil, s.functionLog("ratelimit"), s.metrics)
	if err != nil {
		return nil, fmt.Errorf("localapi: %w", err)
	}
	return func(ctx context.Context, ev events.APIGatewayCustomAuthorizerRequestTypeRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
		defer s.flushMetrics(ctx, s.metrics)
		return h.Handle(ctx, ev)
	}, nil
}

func (s *Server) flushMetrics(ctx context.Context, m *telemetry.Metrics) {
	if !s.log.Enabled(ctx, slog.LevelDebug) {
		_ = m.Flush(io.Discard)
		return
	}
	var buf bytes.Buffer
	if err := m.Flush(&buf); err != nil {
		s.log.Warn("flushing metrics", "error", err.Error())
	}
	sc := bufio.NewScanner(&buf)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		s.log.Debug("metrics", "emf", json.RawMessage(bytes.Clone(sc.Bytes())))
	}
}

// functionLog is the logger a function gets, named as its main.go names it.
func (s *Server) functionLog(fn string) *slog.Logger {
	return telemetry.NewLogger(s.logOut, fn)
}

// Redis describes the Redis the functions use.
func (s *Server) Redis() string { return s.redisDesc }

// DevSecret reports whether the functions verify tokens with
// authz.LocalDevSecret.
func (s *Server) DevSecret() bool { return s.devSecret }

// Routes returns the route table in registration order.
func (s *Server) Routes() []Route { return append([]Route(nil), s.router.routes...) }

// Close releases the Redis the server opened (the embedded miniredis with
// it). It does not stop Serve: cancel its context first.
func (s *Server) Close() error { return s.closeRedis() }

// Serve answers HTTP on ln until ctx is done, then shuts down gracefully:
// it stops accepting, waits up to ShutdownTimeout for requests in flight and
// returns nil. Any other error of the listener is returned. With a
// WorkerInterval, Serve also runs the worker: a tick at once and then every
// interval, and a run for each wake of an enqueue; on shutdown it cuts the
// runs short and waits for them (jobs started finish or are given back).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	if s.worker != nil {
		wctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); s.runWorker(wctx) }()
		defer func() { stop(); <-done }()
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		s.log.Warn("shutdown: requests still in flight were cut off", "timeout", ShutdownTimeout.String())
		err = hs.Close()
	}
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// statusWriter remembers the status written, for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// ServeHTTP answers one request as the deployed REST API would.
func (s *Server) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	start := time.Now()
	requestID := newRequestID()
	w := &statusWriter{ResponseWriter: rw}
	resource := ""
	defer func() {
		s.log.Info("request",
			"method", r.Method, "path", r.URL.EscapedPath(), "resource", resource,
			"status", w.status, "duration_ms", float64(time.Since(start).Microseconds())/1000,
			"request_id", requestID)
	}()
	resource = s.serve(w, r, requestID, start)
}

// serve does the work of ServeHTTP and returns the matched resource.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, requestID string, start time.Time) string {
	res, params, ok := s.router.match(r.URL.EscapedPath())
	if !ok {
		s.write(w, requestID, notFound(r.Method, r.URL.EscapedPath()))
		return ""
	}
	route, ok := res.route(r.Method)
	if !ok {
		s.write(w, requestID, methodNotAllowed(r.Method, res))
		return res.template
	}

	if _, _, err := gatewayQuery(r.URL.RawQuery); err != nil {
		// API Gateway refuses a malformed escape before any authorizer runs.
		s.write(w, requestID, apigw.BadRequest("The query string has a malformed percent escape."))
		return res.template
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			s.write(w, requestID, apigw.BodyTooLarge(MaxBodyBytes))
		} else {
			s.write(w, requestID, apigw.BadRequest("The request body could not be read."))
		}
		return res.template
	}
	req := newRequest(r, res, params, requestID, body, start)
	// A Lambda invocation outlives the client that caused it: detach from
	// the connection, keep the invocation deadline.
	base := lambdacontext.NewContext(context.WithoutCancel(r.Context()), &lambdacontext.LambdaContext{AwsRequestID: requestID})

	var authCtx map[string]any
	if route.Auth == Authorized {
		var deny *events.APIGatewayProxyResponse
		authCtx, deny = s.authorize(base, req)
		if deny != nil {
			s.write(w, requestID, *deny)
			return res.template
		}
	}

	ev, err := roundTrip(req.proxyEvent(authCtx))
	if err != nil {
		s.log.Error("encoding the proxy event", "error", err.Error(), "request_id", requestID)
		s.write(w, requestID, integrationError())
		return res.template
	}
	ctx, cancel := context.WithTimeout(base, InvocationTimeout)
	resp, err := invoke(ctx, route.Handler, ev)
	cancel()
	if err != nil {
		s.log.Error("integration failed: API Gateway answers 502", "resource", res.template, "error", err.Error(), "request_id", requestID)
		s.write(w, requestID, integrationError())
		return res.template
	}
	s.write(w, requestID, resp)
	return res.template
}

// authorize runs the authorizer and returns the context the integration
// receives, or the gateway response that ends the request, exactly as the
// stack's gateway responses answer:
//
//   - the error "Unauthorized" → UNAUTHORIZED: 401, WWW-Authenticate: Bearer;
//   - any other error (or a panic) → AUTHORIZER_FAILURE, mapped to 503;
//   - a policy that does not allow the method ARN (the authorizer's Deny) →
//     ACCESS_DENIED, mapped to 429 from the authorizer context;
//   - a malformed answer (no principalId, a context value that is not a
//     string, number or boolean), which API Gateway reports as
//     AUTHORIZER_CONFIGURATION_ERROR (500) → 503 as well, with a log line.
func (s *Server) authorize(ctx context.Context, req request) (map[string]any, *events.APIGatewayProxyResponse) {
	fail := func(msg string, err error) (map[string]any, *events.APIGatewayProxyResponse) {
		s.log.Error(msg, "error", err.Error(), "request_id", req.requestID)
		r := apigw.UnavailableResponse()
		return nil, &r
	}
	ev, err := roundTrip(req.authorizerEvent())
	if err != nil {
		return fail("encoding the authorizer event", err)
	}
	actx, cancel := context.WithTimeout(ctx, InvocationTimeout)
	start := time.Now()
	resp, err := invoke(actx, s.authorizer, ev)
	latency := time.Since(start)
	cancel()
	if err != nil {
		if err.Error() == "Unauthorized" { // API Gateway matches the message, nothing else
			r := apigw.UnauthorizedResponse()
			return nil, &r
		}
		return fail("authorizer failed: AUTHORIZER_FAILURE", err)
	}
	if resp, err = roundTrip(resp); err != nil {
		return fail("authorizer answer is not JSON: AUTHORIZER_CONFIGURATION_ERROR", err)
	}
	if resp.PrincipalID == "" {
		return fail("authorizer answer has no principalId: AUTHORIZER_CONFIGURATION_ERROR", errors.New("empty principalId"))
	}
	authCtx, err := gatewayContext(resp, latency)
	if err != nil {
		return fail("authorizer answer is malformed: AUTHORIZER_CONFIGURATION_ERROR", err)
	}
	if !policyAllows(resp.PolicyDocument, ev.MethodArn) {
		r := apigw.RateLimitedResponse(authCtx)
		return nil, &r
	}
	return authCtx, nil
}

// invoke calls fn as the Lambda runtime would: a panic becomes an error.
func invoke[Req, Resp any](ctx context.Context, fn func(context.Context, Req) (Resp, error), req Req) (resp Resp, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	return fn(ctx, req)
}

// write sends a proxy response, or the 502 API Gateway sends when the
// response is malformed. Every answer carries x-amzn-RequestId, as API
// Gateway's do.
func (s *Server) write(w http.ResponseWriter, requestID string, resp events.APIGatewayProxyResponse) {
	out, err := toHTTP(resp)
	if err != nil {
		s.log.Error("integration returned a malformed response: API Gateway answers 502", "error", err.Error(), "request_id", requestID)
		out, _ = toHTTP(integrationError())
	}
	h := w.Header()
	for k, vs := range out.header {
		h[k] = vs
	}
	h.Set("x-amzn-RequestId", requestID)
	w.WriteHeader(out.status)
	_, _ = w.Write(out.body)
}

// health answers GET /health: 200 {"status":"ok"} when Redis answers a PING,
// else 503 store-unavailable.
func (s *Server) health(ctx context.Context, _ events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	pctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	if err := s.rdb.Ping(pctx).Err(); err != nil {
		s.log.Warn("health: redis PING failed", "error", err.Error())
		return apigw.StoreUnavailable(), nil
	}
	return apigw.JSON(http.StatusOK, map[string]string{"status": "ok"}), nil
}

// openapi answers GET /openapi.json: the API's OpenAPI document (package
// api). Only `lambdis serve` serves it; the deployed API does not
// (docs/api.md).
func (s *Server) openapi(_ context.Context, _ events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	doc, err := api.JSON()
	if err != nil {
		s.log.Error("openapi: the embedded document does not convert", "error", err.Error())
		return apigw.Internal(), nil
	}
	return events.APIGatewayProxyResponse{
		StatusCode: http.StatusOK,
		Headers:    map[string]string{"Content-Type": apigw.JSONContentType},
		Body:       string(doc),
	}, nil
}
