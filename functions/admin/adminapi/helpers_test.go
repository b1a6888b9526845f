package adminapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/api/apitest"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/authz"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/queue"
	"github.com/lambdis/lambdis/shared/ratelimit"
	"github.com/lambdis/lambdis/shared/redischeck"
	"github.com/lambdis/lambdis/shared/telemetry"
	"github.com/redis/go-redis/v9"
)

var testPolicies = []ratelimit.Policy{
	{Name: "per_second", Rate: 10, Period: time.Second, Burst: 20},
	{Name: "per_minute", Rate: 300, Period: time.Minute, Burst: 300},
}

type fixture struct {
	h     *Handler
	q     *queue.Client
	w     *queue.Worker
	store *authz.Store
	logs  *bytes.Buffer
}

const failError = "boom: card declined"

func newFixture(t *testing.T, rdb redis.UniversalClient) *fixture {
	t.Helper()
	q := queue.NewClient(rdb, keys.Builder{}, 0)
	store, err := authz.NewStore(rdb, keys.Builder{}, authz.StoreConfig{Leeway: 5 * time.Second, MaxTokenTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	reg := queue.NewRegistry()
	reg.Register("fail", func(context.Context, queue.Delivery) error { return queue.Permanent(errors.New(failError)) }, nil)
	reg.Register("ok", func(context.Context, queue.Delivery) error { return nil }, nil)
	var logs bytes.Buffer
	return &fixture{
		h: &Handler{
			Queue: q, Subjects: store, Policies: testPolicies, StoreTimeout: 5 * time.Second,
			Redis: RedisChecks{Client: rdb, Options: redischeck.Options{ProbeKey: "doctor:{probe}"}},
			Log:   telemetry.NewLogger(&logs, "admin"),
		},
		q: q, store: store, logs: &logs,
		w: queue.NewWorker(q, reg, queue.WorkerConfig{JobTimeout: time.Second, MaxBlock: 20 * time.Millisecond}, nil),
	}
}

// enqueue puts n jobs of type typ on q and returns their ids.
func (f *fixture) enqueue(t *testing.T, q, typ string, n int, delay time.Duration) []string {
	t.Helper()
	var ids []string
	for i := range n {
		e, err := f.q.Enqueue(context.Background(), queue.Job{Queue: q, Type: typ, Payload: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i)), Delay: delay})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	return ids
}

// drain runs the worker over q until done says its books are right.
func (f *fixture) drain(t *testing.T, q string, done func(queue.Books) bool) {
	t.Helper()
	for i := 0; ; i++ {
		b := f.books(t, q)
		if done(b) {
			return
		}
		if i == 20 {
			t.Fatalf("books of %s after %d drains: %+v", q, i, b)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := f.w.Drain(ctx, []string{q}, 0)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
	}
}

func (f *fixture) books(t *testing.T, q string) queue.Books {
	t.Helper()
	b, err := f.q.Books(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// deadJobs makes n dead letters on q and returns their job ids.
func (f *fixture) deadJobs(t *testing.T, q string, n int) []string {
	t.Helper()
	before := f.books(t, q).Dead
	ids := f.enqueue(t, q, "fail", n, 0)
	f.drain(t, q, func(b queue.Books) bool { return b.Dead == before+int64(n) })
	return ids
}

// authContext is the authorizer's context for a caller with scope.
func authContext(sub, scope string) map[string]any {
	return map[string]any{
		apigw.ContextKeySubject: sub, apigw.ContextKeyJTI: "j1", apigw.ContextKeyIssuer: "",
		apigw.ContextKeyScope: scope, apigw.ContextKeyAnonymous: "false",
		apigw.ContextKeyRateLimit: `"per_minute";r=9;t=60`, apigw.ContextKeyRateLimitPolicy: `"per_minute";q=10;w=60`,
	}
}

// request is what the gateway passes for method on resource, its
// parameters filled in from params, after the authorizer allowed an admin.
func request(method, resource string, params map[string]string, query url.Values, body string) events.APIGatewayProxyRequest {
	path := resource
	for k, v := range params {
		path = strings.ReplaceAll(path, "{"+k+"}", url.PathEscape(v))
	}
	req := events.APIGatewayProxyRequest{
		Resource: resource, Path: path, HTTPMethod: method, Body: body, PathParameters: params,
		Headers:           map[string]string{"Content-Type": "application/json"},
		MultiValueHeaders: map[string][]string{"Content-Type": {"application/json"}},
		RequestContext:    events.APIGatewayProxyRequestContext{Authorizer: authContext("root", "admin")},
	}
	if len(query) > 0 {
		req.QueryStringParameters = map[string]string{}
		req.MultiValueQueryStringParameters = map[string][]string{}
		for k, vs := range query {
			req.QueryStringParameters[k] = vs[len(vs)-1]
			req.MultiValueQueryStringParameters[k] = vs
		}
	}
	return req
}

// handle runs req on h and holds the answer to api/openapi.yaml.
func handle(t testing.TB, h *Handler, req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	t.Helper()
	resp, err := h.Handle(context.Background(), req)
	if err != nil {
		t.Fatalf("%s %s: handler error %v", req.HTTPMethod, req.Path, err)
	}
	apitest.Check(t, req, resp)
	return resp
}

// do runs req and decodes the JSON answer into out (when not nil); it
// returns the response.
func (f *fixture) do(t *testing.T, req events.APIGatewayProxyRequest, out any) events.APIGatewayProxyResponse {
	t.Helper()
	resp := handle(t, f.h, req)
	if out != nil {
		if resp.StatusCode != 200 {
			t.Fatalf("%s %s: %d %s", req.HTTPMethod, req.Path, resp.StatusCode, resp.Body)
		}
		if err := json.Unmarshal([]byte(resp.Body), out); err != nil {
			t.Fatalf("%s %s: body %s: %v", req.HTTPMethod, req.Path, resp.Body, err)
		}
	}
	return resp
}

// wantProblem checks that resp is a problem+json of type typ and returns it.
func wantProblem(t *testing.T, resp events.APIGatewayProxyResponse, typ apigw.ProblemType) apigw.Problem {
	t.Helper()
	if resp.StatusCode != typ.Status() || resp.Headers["Content-Type"] != apigw.ProblemContentType {
		t.Fatalf("status %d content type %q, want %d %s; body %s", resp.StatusCode, resp.Headers["Content-Type"], typ.Status(), apigw.ProblemContentType, resp.Body)
	}
	var p apigw.Problem
	if err := json.Unmarshal([]byte(resp.Body), &p); err != nil {
		t.Fatalf("problem %s: %v", resp.Body, err)
	}
	if p.Type != typ.URI() || p.Status != typ.Status() || p.Detail == "" {
		t.Fatalf("problem %+v, want type %s", p, typ)
	}
	return p
}
