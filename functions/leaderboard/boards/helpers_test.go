package boards

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/api/apitest"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/leaderboard"
	"github.com/lambdis/lambdis/shared/telemetry"
	"github.com/redis/go-redis/v9"
)

// The tests' requests arrive far in the future, so that the windows they
// write are not expired at once by Redis's real clock.
var (
	lastMilli = time.Date(2099, 12, 31, 23, 59, 59, 999e6, time.UTC)
	newYear   = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

type fixture struct {
	h    *Handler
	rdb  redis.UniversalClient
	logs *bytes.Buffer
}

func newFixture(t testing.TB, rdb redis.UniversalClient) *fixture {
	t.Helper()
	store, err := leaderboard.NewStore(rdb, keys.Builder{}, leaderboard.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	return &fixture{
		h:    &Handler{Store: store, StoreTimeout: 2 * time.Second, Log: telemetry.NewLogger(&logs, "leaderboard")},
		rdb:  rdb,
		logs: &logs,
	}
}

// caller is who the authorizer admitted.
type caller struct {
	sub       string
	scopes    []string
	anonymous bool
}

var (
	alice  = caller{sub: "alice"}
	server = caller{sub: "game-server", scopes: []string{"leaderboard:submit"}}
	root   = caller{sub: "root", scopes: []string{"admin"}}
	nobody = caller{anonymous: true}
)

// request is what API Gateway passes for method on resource: path
// parameters fill the template, query is a raw query string, at is the
// request's time.
func request(method, resource string, params map[string]string, query, body string, c caller, at time.Time) events.APIGatewayProxyRequest {
	path := resource
	for k, v := range params {
		path = strings.ReplaceAll(path, "{"+k+"}", url.PathEscape(v))
	}
	req := events.APIGatewayProxyRequest{
		Resource: resource, Path: path, HTTPMethod: method, Body: body, PathParameters: params,
		RequestContext: events.APIGatewayProxyRequestContext{
			RequestTimeEpoch: at.UnixMilli(),
			Authorizer: map[string]any{
				apigw.ContextKeySubject: c.sub, apigw.ContextKeyJTI: "j-" + c.sub, apigw.ContextKeyIssuer: "",
				apigw.ContextKeyScope: strings.Join(c.scopes, " "), apigw.ContextKeyAnonymous: map[bool]string{true: "true", false: "false"}[c.anonymous],
				apigw.ContextKeyRateLimit: `"per_minute";r=9;t=60`, apigw.ContextKeyRateLimitPolicy: `"per_minute";q=10;w=60`,
			},
		},
	}
	if query != "" {
		q, err := url.ParseQuery(query)
		if err != nil {
			panic(err)
		}
		req.QueryStringParameters, req.MultiValueQueryStringParameters = map[string]string{}, map[string][]string{}
		for k, vs := range q {
			req.QueryStringParameters[k] = vs[len(vs)-1]
			req.MultiValueQueryStringParameters[k] = vs
		}
	}
	return req
}

func submitReq(board, body string, c caller, at time.Time) events.APIGatewayProxyRequest {
	return request("POST", RouteScores, map[string]string{"board": board}, "", body, c, at)
}

func topReq(board, query string, at time.Time) events.APIGatewayProxyRequest {
	return request("GET", RouteBoard, map[string]string{"board": board}, query, "", alice, at)
}

func playerReq(method, board, player, query string, c caller, at time.Time) events.APIGatewayProxyRequest {
	return request(method, RoutePlayer, map[string]string{"board": board, "player": player}, query, "", c, at)
}

// handle runs req and holds the answer to api/openapi.yaml.
func (f *fixture) handle(t testing.TB, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	t.Helper()
	return apitest.Handle(t, f.h.Handle, req)
}

// do runs the handler and decodes the body into a map; every answer carries
// the rate-limit headers.
func (f *fixture) do(t testing.TB, req events.APIGatewayProxyRequest) (int, map[string]any) {
	t.Helper()
	resp, err := f.handle(t, req)
	if err != nil {
		t.Fatalf("handler error: %v", err)
	}
	if resp.Headers[apigw.HeaderRateLimit] == "" || resp.Headers[apigw.HeaderRateLimitPolicy] == "" {
		t.Fatalf("%s %s: rate-limit headers missing: %v", req.HTTPMethod, req.Path, resp.Headers)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
		t.Fatalf("body %q: %v", resp.Body, err)
	}
	want := apigw.JSONContentType
	if resp.StatusCode >= 400 {
		want = apigw.ProblemContentType
	}
	if resp.Headers["Content-Type"] != want {
		t.Fatalf("%d answered with Content-Type %q", resp.StatusCode, resp.Headers["Content-Type"])
	}
	return resp.StatusCode, body
}

// decode runs the handler, expects status 200 and decodes into v.
func (f *fixture) decode(t testing.TB, req events.APIGatewayProxyRequest, v any) {
	t.Helper()
	resp, err := f.handle(t, req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%s %s?%v: %d %s %v", req.HTTPMethod, req.Path, req.QueryStringParameters, resp.StatusCode, resp.Body, err)
	}
	dec := json.NewDecoder(strings.NewReader(resp.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("body %s: %v", resp.Body, err)
	}
}

// dbSize counts keys on every node.
func dbSize(t testing.TB, rdb redis.UniversalClient) int64 {
	t.Helper()
	ctx := context.Background()
	if c, ok := rdb.(*redis.ClusterClient); ok {
		var mu sync.Mutex
		var n int64
		if err := c.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
			k, err := m.DBSize(ctx).Result()
			mu.Lock()
			n += k
			mu.Unlock()
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	return rdb.DBSize(ctx).Val()
}

func players(es []Entry) string {
	var b strings.Builder
	for _, e := range es {
		b.WriteString(e.Player + "=" + itoa(e.Score) + "#" + itoa(e.Rank) + " ")
	}
	return b.String()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
