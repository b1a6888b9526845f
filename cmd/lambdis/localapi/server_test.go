package localapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/lambdis/lambdis/cmd/lambdis/localapi"
	"github.com/lambdis/lambdis/functions/ratelimit/authorizer"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/authz"
	"github.com/lambdis/lambdis/shared/redistest"
)

// TestEventsMatchAPIGateway sends one request through a capturing authorizer
// and integration and checks every field of both events.
func TestEventsMatchAPIGateway(t *testing.T) {
	var authEv events.APIGatewayCustomAuthorizerRequestTypeRequest
	var proxyEv events.APIGatewayProxyRequest
	var lambdaRequestID string
	auth := func(ctx context.Context, ev events.APIGatewayCustomAuthorizerRequestTypeRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
		authEv = ev
		return allow("alice", map[string]any{
			"sub": "alice", "scope": "read write", "anonymous": "false",
			"count": 3, "ratio": 1.5, "flag": true,
		}), nil
	}
	binary := []byte{0xff, 0xfe, 0x00, 'x'}
	handler := func(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		proxyEv = ev
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			lambdaRequestID = lc.AwsRequestID
		}
		if _, ok := ctx.Deadline(); !ok {
			t.Error("the integration's context has no deadline")
		}
		return events.APIGatewayProxyResponse{
			StatusCode:        201,
			Headers:           map[string]string{"X-One": "1", "Set-Cookie": "a=1", "Content-Type": "application/octet-stream"},
			MultiValueHeaders: map[string][]string{"Set-Cookie": {"a=1", "b=2"}},
			Body:              base64.StdEncoding.EncodeToString(binary),
			IsBase64Encoded:   true,
		}, nil
	}
	_, hs := start(t, localapi.Config{
		Authorizer: auth,
		Routes:     []localapi.Route{{Method: "PUT", Resource: "/things/{id}/parts/{part}", Auth: localapi.Authorized, Handler: handler}},
	})

	req := newRequest(t, "PUT", hs.URL+"/things/a%20b/parts/x?q=1&q=2&single=v%20w", bytes.NewReader(binary))
	req.Header.Add("X-Multi", "1")
	req.Header.Add("X-Multi", "2")
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	req.Header.Set("Authorization", "Bearer abc")
	req.Header.Set("User-Agent", "walkthrough/1")
	resp, body := do(t, req)

	if resp.StatusCode != 201 {
		t.Fatalf("status %d, body %s", resp.StatusCode, body)
	}
	if !bytes.Equal(body, binary) {
		t.Errorf("body %x, want the base64-decoded %x", body, binary)
	}
	if got := resp.Header.Values("Set-Cookie"); !slices.Equal(got, []string{"a=1", "b=2"}) {
		t.Errorf("Set-Cookie %q, want headers merged into multiValueHeaders without repeats", got)
	}
	if resp.Header.Get("X-One") != "1" || resp.Header.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("headers %v", resp.Header)
	}
	requestID := resp.Header.Get("X-Amzn-Requestid")
	if requestID == "" {
		t.Error("no x-amzn-RequestId")
	}

	const arn = "arn:aws:execute-api:us-east-1:123456789012:local/local/PUT/things/a%20b/parts/x"
	host := strings.TrimPrefix(hs.URL, "http://")
	_, port, _ := net.SplitHostPort(host)
	wantHeaders := map[string]string{
		"X-Multi": "2", "Authorization": "Bearer abc", "User-Agent": "walkthrough/1", "Host": host,
		"X-Forwarded-For": "203.0.113.9, 127.0.0.1", "X-Forwarded-Proto": "http", "X-Forwarded-Port": port,
	}
	wantQuery := map[string]string{"q": "2", "single": "v w"}
	wantMVQuery := map[string][]string{"q": {"1", "2"}, "single": {"v w"}}
	wantParams := map[string]string{"id": "a b", "part": "x"}

	// The REQUEST authorizer event.
	if authEv.Type != "REQUEST" || authEv.MethodArn != arn {
		t.Errorf("authorizer type %q methodArn %q, want REQUEST %q", authEv.Type, authEv.MethodArn, arn)
	}
	if authEv.Resource != "/things/{id}/parts/{part}" || authEv.Path != "/things/a%20b/parts/x" || authEv.HTTPMethod != "PUT" {
		t.Errorf("authorizer resource %q path %q method %q", authEv.Resource, authEv.Path, authEv.HTTPMethod)
	}
	checkHeaders(t, "authorizer", authEv.Headers, authEv.MultiValueHeaders, wantHeaders)
	checkMap(t, "authorizer queryStringParameters", authEv.QueryStringParameters, wantQuery)
	checkMulti(t, "authorizer multiValueQueryStringParameters", authEv.MultiValueQueryStringParameters, wantMVQuery)
	checkMap(t, "authorizer pathParameters", authEv.PathParameters, wantParams)
	if authEv.StageVariables != nil {
		t.Errorf("authorizer stageVariables %v, want none", authEv.StageVariables)
	}
	rc := authEv.RequestContext
	if rc.Stage != "local" || rc.APIID != "local" || rc.AccountID != "123456789012" || rc.ResourcePath != authEv.Resource ||
		rc.HTTPMethod != "PUT" || rc.Path != "/local/things/a%20b/parts/x" || rc.ResourceID == "" {
		t.Errorf("authorizer requestContext %+v", rc)
	}
	if rc.Identity.SourceIP != "127.0.0.1" {
		t.Errorf("authorizer sourceIp %q, want the TCP peer 127.0.0.1 (X-Forwarded-For is not trusted)", rc.Identity.SourceIP)
	}
	if rc.RequestID != requestID {
		t.Errorf("authorizer requestId %q, response x-amzn-RequestId %q", rc.RequestID, requestID)
	}

	// The proxy event.
	if proxyEv.Resource != authEv.Resource || proxyEv.Path != authEv.Path || proxyEv.HTTPMethod != "PUT" {
		t.Errorf("proxy resource %q path %q method %q", proxyEv.Resource, proxyEv.Path, proxyEv.HTTPMethod)
	}
	checkHeaders(t, "proxy", proxyEv.Headers, proxyEv.MultiValueHeaders, wantHeaders)
	checkMap(t, "proxy queryStringParameters", proxyEv.QueryStringParameters, wantQuery)
	checkMulti(t, "proxy multiValueQueryStringParameters", proxyEv.MultiValueQueryStringParameters, wantMVQuery)
	checkMap(t, "proxy pathParameters", proxyEv.PathParameters, wantParams)
	if !proxyEv.IsBase64Encoded || proxyEv.Body != base64.StdEncoding.EncodeToString(binary) {
		t.Errorf("proxy body %q base64 %v, want the non-UTF-8 body base64-encoded", proxyEv.Body, proxyEv.IsBase64Encoded)
	}
	prc := proxyEv.RequestContext
	if prc.RequestID != requestID || prc.Stage != "local" || prc.APIID != "local" || prc.ResourcePath != proxyEv.Resource ||
		prc.HTTPMethod != "PUT" || prc.Identity.SourceIP != "127.0.0.1" || prc.Identity.UserAgent != "walkthrough/1" ||
		prc.RequestTimeEpoch == 0 || prc.RequestTime == "" {
		t.Errorf("proxy requestContext %+v", prc)
	}
	if lambdaRequestID != requestID {
		t.Errorf("lambda context request id %q, want %q", lambdaRequestID, requestID)
	}
	// The authorizer context arrives with string values, plus principalId.
	wantAuth := map[string]string{
		"sub": "alice", "scope": "read write", "anonymous": "false",
		"count": "3", "ratio": "1.5", "flag": "true", "principalId": "alice",
	}
	for k, v := range wantAuth {
		if got := prc.Authorizer[k]; got != v {
			t.Errorf("proxy authorizer[%q] = %#v, want %q", k, got, v)
		}
	}
	if _, ok := prc.Authorizer["integrationLatency"].(float64); !ok {
		t.Errorf("proxy authorizer integrationLatency = %#v, want a number", prc.Authorizer["integrationLatency"])
	}
	if id, err := apigw.Caller(proxyEv); err != nil || id.Subject != "alice" || !id.HasScope("write") {
		t.Errorf("apigw.Caller = %+v, %v", id, err)
	}
}

func checkHeaders(t *testing.T, what string, single map[string]string, multi map[string][]string, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if single[k] != v {
			t.Errorf("%s headers[%q] = %q, want %q", what, k, single[k], v)
		}
	}
	if got := multi["X-Multi"]; !slices.Equal(got, []string{"1", "2"}) {
		t.Errorf("%s multiValueHeaders[X-Multi] = %q, want [1 2]", what, got)
	}
	for k, v := range single {
		if vs := multi[k]; len(vs) == 0 || vs[len(vs)-1] != v {
			t.Errorf("%s headers[%q] = %q is not the last of multiValueHeaders %q", what, k, v, vs)
		}
	}
}

func checkMap(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s[%q] = %q, want %q", what, k, got[k], v)
		}
	}
}

func checkMulti(t *testing.T, what string, got, want map[string][]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
	for k, v := range want {
		if !slices.Equal(got[k], v) {
			t.Errorf("%s[%q] = %q, want %q", what, k, got[k], v)
		}
	}
}

// TestNoQueryNoParams checks the null fields API Gateway sends.
func TestNoQueryNoParams(t *testing.T) {
	var ev events.APIGatewayProxyRequest
	_, hs := start(t, localapi.Config{
		Authorizer: func(context.Context, events.APIGatewayCustomAuthorizerRequestTypeRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
			return allow("bob", map[string]any{"sub": "bob"}), nil
		},
		Routes: []localapi.Route{{Method: "GET", Resource: "/plain", Handler: func(_ context.Context, e events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
			ev = e
			return events.APIGatewayProxyResponse{StatusCode: 200, Body: `{"ok":true}`}, nil
		}}},
	})
	resp, body := do(t, newRequest(t, "GET", hs.URL+"/plain", nil))
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || string(body) != `{"ok":true}` {
		t.Errorf("status %d Content-Type %q body %s, want 200 with the default application/json", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if ev.QueryStringParameters != nil || ev.MultiValueQueryStringParameters != nil || ev.PathParameters != nil || ev.Body != "" || ev.IsBase64Encoded {
		t.Errorf("event %+v, want null query, path parameters and body", ev)
	}
}

// TestAuthorizerAnswers maps each authorizer answer to the gateway response
// the deployed stack gives, and checks the integration is never invoked.
func TestAuthorizerAnswers(t *testing.T) {
	denyCtx, err := apigw.DenyContext(apigw.RateLimitState{Name: "per_minute", Quota: 3, Window: time.Minute, Remaining: 0, Reset: time.Minute}, 20*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	deny := allow("rate-limited", denyCtx)
	deny.PolicyDocument.Statement[0].Effect = "Deny"
	deny.PolicyDocument.Statement[0].Resource = []string{"arn:aws:execute-api:us-east-1:123456789012:local/local/GET/guarded"}
	otherRoute := allow("alice", map[string]any{"sub": "alice"})
	otherRoute.PolicyDocument.Statement[0].Resource = []string{"arn:aws:execute-api:us-east-1:123456789012:local/local/POST/*"}
	rateLimited := apigw.RateLimitedResponse(denyCtx)

	tests := []struct {
		name   string
		answer events.APIGatewayCustomAuthorizerResponse
		err    error
		panics bool
		status int
		body   string // exact body, when set
		header map[string]string
	}{
		{name: "unauthorized", err: authorizer.ErrUnauthorized, status: 401,
			body: apigw.UnauthorizedResponse().Body, header: map[string]string{"WWW-Authenticate": "Bearer"}},
		{name: "unauthorized by message", err: errors.New("Unauthorized"), status: 401, body: apigw.UnauthorizedResponse().Body},
		{name: "other error", err: authorizer.ErrUnavailable, status: 503,
			body: apigw.UnavailableResponse().Body, header: map[string]string{"Retry-After": "1"}},
		{name: "wrapped unauthorized is a failure", err: fmt.Errorf("x: %w", authorizer.ErrUnauthorized), status: 503},
		{name: "panic", panics: true, status: 503, body: apigw.UnavailableResponse().Body},
		{name: "deny", answer: deny, status: 429, body: rateLimited.Body, header: map[string]string{
			"Retry-After": "20", apigw.HeaderRateLimit: rateLimited.Headers[apigw.HeaderRateLimit],
		}},
		{name: "allow for another method", answer: otherRoute, status: 429},
		{name: "no principal", answer: allow("", map[string]any{"sub": "x"}), status: 503},
		{name: "object in context", answer: allow("x", map[string]any{"sub": map[string]any{"a": 1}}), status: 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var invoked atomic.Int32
			_, hs := start(t, localapi.Config{
				Authorizer: func(context.Context, events.APIGatewayCustomAuthorizerRequestTypeRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
					if tt.panics {
						panic("authorizer bug")
					}
					return tt.answer, tt.err
				},
				Routes: []localapi.Route{{Method: "GET", Resource: "/guarded", Handler: func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
					invoked.Add(1)
					return events.APIGatewayProxyResponse{StatusCode: 200}, nil
				}}},
			})
			resp, body := do(t, newRequest(t, "GET", hs.URL+"/guarded", nil))
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tt.status, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != apigw.ProblemContentType {
				t.Errorf("Content-Type %q", ct)
			}
			if tt.body != "" && string(body) != tt.body {
				t.Errorf("body\n%s\nwant\n%s", body, tt.body)
			}
			for k, v := range tt.header {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
			if n := invoked.Load(); n != 0 {
				t.Errorf("integration invoked %d times", n)
			}
		})
	}
}

// TestIntegrationFailures: what API Gateway answers 502 for.
func TestIntegrationFailures(t *testing.T) {
	tests := []struct {
		name    string
		handler localapi.HandlerFunc
	}{
		{"error", func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
			return events.APIGatewayProxyResponse{StatusCode: 200}, errors.New("database on fire")
		}},
		{"panic", func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
			panic("nil map")
		}},
		{"no status", func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
			return events.APIGatewayProxyResponse{Body: "{}"}, nil
		}},
		{"bad base64", func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
			return events.APIGatewayProxyResponse{StatusCode: 200, Body: "!!", IsBase64Encoded: true}, nil
		}},
		{"header injection", func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
			return events.APIGatewayProxyResponse{StatusCode: 200, Headers: map[string]string{"X-A": "1\r\nX-B: 2"}}, nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := newLogBuffer(t)
			_, hs := start(t, localapi.Config{
				LogOutput: logs,
				Routes:    []localapi.Route{{Method: "POST", Resource: "/open", Auth: localapi.NoAuth, Handler: tt.handler}},
			})
			resp, body := do(t, newRequest(t, "POST", hs.URL+"/open", strings.NewReader("{}")))
			p := problem(t, resp, body, apigw.TypeInternal, http.StatusBadGateway)
			if strings.Contains(string(body), "fire") || strings.Contains(string(body), "nil map") {
				t.Errorf("502 body leaks the error: %s", body)
			}
			if p.Title != apigw.TypeInternal.Title() {
				t.Errorf("title %q", p.Title)
			}
			if !strings.Contains(logs.String(), "502") {
				t.Errorf("the failure is not logged:\n%s", logs)
			}
		})
	}
}

func TestBodyLimit(t *testing.T) {
	var got atomic.Int64
	_, hs := start(t, localapi.Config{
		Routes: []localapi.Route{{Method: "POST", Resource: "/upload", Auth: localapi.NoAuth, Handler: func(_ context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
			got.Store(int64(len(ev.Body)))
			return events.APIGatewayProxyResponse{StatusCode: 204}, nil
		}}},
	})
	resp, body := do(t, newRequest(t, "POST", hs.URL+"/upload", bytes.NewReader(bytes.Repeat([]byte("a"), localapi.MaxBodyBytes))))
	if resp.StatusCode != 204 || got.Load() != localapi.MaxBodyBytes {
		t.Fatalf("a body of exactly the limit: status %d, handler saw %d bytes; %s", resp.StatusCode, got.Load(), body)
	}
	got.Store(-1)
	resp, body = do(t, newRequest(t, "POST", hs.URL+"/upload", bytes.NewReader(bytes.Repeat([]byte("a"), localapi.MaxBodyBytes+1))))
	p := problem(t, resp, body, apigw.TypeBodyTooLarge, http.StatusRequestEntityTooLarge)
	if p.Extensions["max_bytes"] != float64(localapi.MaxBodyBytes) {
		t.Errorf("max_bytes %v", p.Extensions["max_bytes"])
	}
	if got.Load() != -1 {
		t.Error("the integration was invoked for an oversized body")
	}
}

func TestNotFoundAndMethodNotAllowed(t *testing.T) {
	_, hs := start(t, localapi.Config{})
	resp, body := do(t, newRequest(t, "GET", hs.URL+"/no/such/route", nil))
	problem(t, resp, body, apigw.TypeNotFound, 404)

	resp, body = do(t, newRequest(t, "DELETE", hs.URL+"/tokens/self", nil))
	problem(t, resp, body, apigw.TypeMethodNotAllowed, 405)
	if a := resp.Header.Get("Allow"); a != "GET" {
		t.Errorf("Allow %q, want GET", a)
	}
	resp, body = do(t, newRequest(t, "GET", hs.URL+"/tokens/revoke", nil))
	problem(t, resp, body, apigw.TypeMethodNotAllowed, 405)
	if a := resp.Header.Get("Allow"); a != "POST" {
		t.Errorf("Allow %q, want POST", a)
	}
}

func TestHealthFollowsRedis(t *testing.T) {
	mr, rdb := redistest.Miniredis(t)
	var authorized atomic.Int32
	_, hs := start(t, localapi.Config{
		Redis: rdb,
		Authorizer: func(context.Context, events.APIGatewayCustomAuthorizerRequestTypeRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
			authorized.Add(1)
			return events.APIGatewayCustomAuthorizerResponse{}, authorizer.ErrUnauthorized
		},
	})
	resp, body := do(t, newRequest(t, "GET", hs.URL+"/health", nil))
	if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != `{"status":"ok"}` {
		t.Fatalf("health: %d %s", resp.StatusCode, body)
	}
	if authorized.Load() != 0 {
		t.Error("the authorizer ran for /health")
	}
	mr.Close()
	resp, body = do(t, newRequest(t, "GET", hs.URL+"/health", nil))
	problem(t, resp, body, apigw.TypeStoreUnavailable, 503)
}

func TestDevSecretOnlyWithoutKeySource(t *testing.T) {
	before, had := os.LookupEnv(authz.EnvJWTSecret)
	srv, _ := start(t, localapi.Config{})
	if !srv.DevSecret() {
		t.Error("no JWT_* set, but the development secret is not in use")
	}
	if after, has := os.LookupEnv(authz.EnvJWTSecret); after != before || has != had {
		t.Error("New changed the process environment")
	}
	srv, _ = start(t, localapi.Config{Getenv: env(map[string]string{authz.EnvJWTSecret: strings.Repeat("s", 40)})})
	if srv.DevSecret() {
		t.Error("JWT_SECRET is set, but the development secret is in use")
	}
}

func TestNewRejectsBadEnvironment(t *testing.T) {
	tests := []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{authorizer.EnvRateLimits: "per_minute=lots"}, authorizer.EnvRateLimits},
		{map[string]string{authz.EnvJWTSecret: "short"}, "HMACSecret"},
		{map[string]string{"REDIS_URL": "redis://a", "REDIS_ADDRS": "b:1"}, "REDIS_URL"},
	}
	for _, tt := range tests {
		_, err := localapi.New(context.Background(), localapi.Config{Getenv: env(tt.vars), LogOutput: newLogBuffer(t)})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%v) = %v, want an error naming %s", tt.vars, err, tt.want)
		}
	}
}

// TestServeShutsDownGracefully: a request in flight when the context ends is
// answered, then Serve returns nil.
func TestServeShutsDownGracefully(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	_, rdb := redistest.Miniredis(t)
	srv, err := localapi.New(context.Background(), localapi.Config{
		Getenv: env(nil), LogOutput: newLogBuffer(t), Redis: rdb,
		Routes: []localapi.Route{{Method: "GET", Resource: "/slow", Auth: localapi.NoAuth, Handler: func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
			close(started)
			<-release
			return events.APIGatewayProxyResponse{StatusCode: 200, Body: `"done"`}, nil
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()

	type result struct {
		status int
		body   string
		err    error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		got <- result{status: resp.StatusCode, body: b.String()}
	}()
	<-started
	cancel()
	close(release)
	r := <-got
	if r.err != nil || r.status != 200 || r.body != `"done"` {
		t.Errorf("request in flight: %+v", r)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve = %v, want nil after a graceful shutdown", err)
	}
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Error("still accepting connections after shutdown")
	}
}

func TestEventJSONNames(t *testing.T) {
	// The events pass through JSON: the field names are those of API
	// Gateway's REQUEST authorizer event.
	var raw map[string]json.RawMessage
	var captured events.APIGatewayCustomAuthorizerRequestTypeRequest
	_, hs := start(t, localapi.Config{
		Authorizer: func(_ context.Context, ev events.APIGatewayCustomAuthorizerRequestTypeRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
			captured = ev
			return events.APIGatewayCustomAuthorizerResponse{}, authorizer.ErrUnauthorized
		},
	})
	do(t, newRequest(t, "GET", hs.URL+"/tokens/self?x=1", nil))
	b, err := json.Marshal(captured)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"type", "methodArn", "resource", "path", "httpMethod", "headers", "multiValueHeaders",
		"queryStringParameters", "multiValueQueryStringParameters", "pathParameters", "stageVariables", "requestContext"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("authorizer event JSON lacks %q", k)
		}
	}
	if string(raw["pathParameters"]) != "null" || string(raw["stageVariables"]) != "null" {
		t.Errorf("pathParameters %s stageVariables %s, want null as API Gateway sends", raw["pathParameters"], raw["stageVariables"])
	}
}
