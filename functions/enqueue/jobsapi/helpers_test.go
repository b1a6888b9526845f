package jobsapi

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/api/apitest"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/jobs"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/queue"
	"github.com/lambdis/lambdis/shared/telemetry"
	"github.com/redis/go-redis/v9"
)

const testSecret = "enqueue-test-webhook-secret-0123456789"

// hookURL is the allow-listed webhook prefix of the fixtures (nothing
// listens there: enqueue never calls it).
const hookURL = "https://hooks.example.com/lambdis/"

type fixture struct {
	h    *Handler
	q    *queue.Client
	logs *bytes.Buffer
}

func newFixture(t testing.TB, rdb redis.UniversalClient) *fixture {
	t.Helper()
	reg, err := jobs.NewRegistry(context.Background(), jobs.Config{
		WebhookAllowedURLs: []string{hookURL}, WebhookSecret: []byte(testSecret),
	}, rdb, nil)
	if err != nil {
		t.Fatal(err)
	}
	q := queue.NewClient(rdb, keys.Builder{}, 0)
	var logs bytes.Buffer
	return &fixture{
		h:    &Handler{Queue: q, Registry: reg, StoreTimeout: 2 * time.Second, Log: telemetry.NewLogger(&logs, "enqueue")},
		q:    q,
		logs: &logs,
	}
}

// request is what the gateway passes after the authorizer allowed sub.
func request(method, resource, body string, hdr map[string]string) events.APIGatewayProxyRequest {
	path := resource
	params := map[string]string{}
	if id, ok := hdr[":id"]; ok {
		params["id"] = id
		path = "/jobs/" + id
		delete(hdr, ":id")
	}
	headers := map[string]string{"Content-Type": "application/json"}
	mv := map[string][]string{"Content-Type": {"application/json"}}
	for k, v := range hdr {
		headers[k] = v
		mv[k] = []string{v}
	}
	return events.APIGatewayProxyRequest{
		Resource: resource, Path: path, HTTPMethod: method, Body: body, PathParameters: params,
		Headers: headers, MultiValueHeaders: mv,
		RequestContext: events.APIGatewayProxyRequestContext{Authorizer: map[string]any{
			apigw.ContextKeySubject: "alice", apigw.ContextKeyJTI: "j1", apigw.ContextKeyIssuer: "",
			apigw.ContextKeyScope: "jobs", apigw.ContextKeyAnonymous: "false",
			apigw.ContextKeyRateLimit: `"per_minute";r=9;t=60`, apigw.ContextKeyRateLimitPolicy: `"per_minute";q=10;w=60`,
		}},
	}
}

// as makes req come from subject sub of issuer iss.
func as(req events.APIGatewayProxyRequest, sub, iss string) events.APIGatewayProxyRequest {
	a := maps.Clone(req.RequestContext.Authorizer)
	a[apigw.ContextKeySubject], a[apigw.ContextKeyIssuer] = sub, iss
	req.RequestContext.Authorizer = a
	return req
}

func post(body string) events.APIGatewayProxyRequest {
	return request("POST", RouteEnqueue, body, nil)
}

func postKey(body, key string) events.APIGatewayProxyRequest {
	return request("POST", RouteEnqueue, body, map[string]string{HeaderIdempotencyKey: key})
}

func getJob(id string) events.APIGatewayProxyRequest {
	return request("GET", RouteStatus, "", map[string]string{":id": id})
}

// handle runs req and holds the answer to api/openapi.yaml.
func (f *fixture) handle(t testing.TB, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	t.Helper()
	return apitest.Handle(t, f.h.Handle, req)
}

func (f *fixture) do(t testing.TB, req events.APIGatewayProxyRequest) (int, map[string]any, events.APIGatewayProxyResponse) {
	t.Helper()
	resp, err := f.handle(t, req)
	if err != nil {
		t.Fatalf("handler error: %v", err)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
		t.Fatalf("body %q: %v", resp.Body, err)
	}
	return resp.StatusCode, body, resp
}

// enqueued expects a 202 for req and returns the answer.
func (f *fixture) enqueued(t testing.TB, req events.APIGatewayProxyRequest) EnqueueResponse {
	t.Helper()
	resp, err := f.handle(t, req)
	if err != nil || resp.StatusCode != 202 || resp.Headers["Content-Type"] != apigw.JSONContentType {
		t.Fatalf("enqueue %s: %d %s %v", req.Body, resp.StatusCode, resp.Body, err)
	}
	var out EnqueueResponse
	dec := json.NewDecoder(strings.NewReader(resp.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("answer %s: %v", resp.Body, err)
	}
	if out.StatusURL != StatusURL(out.ID) {
		t.Fatalf("status_url %q for id %q", out.StatusURL, out.ID)
	}
	return out
}

// record expects GET /jobs/{id} to answer 200 and returns the record.
func (f *fixture) record(t testing.TB, id string) queue.Record {
	t.Helper()
	resp, err := f.handle(t, getJob(id))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s %v", id, resp.StatusCode, resp.Body, err)
	}
	var rec queue.Record
	if err := json.Unmarshal([]byte(resp.Body), &rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

func cacheJob(queueName string, keys ...string) string {
	b, _ := json.Marshal(map[string]any{"queue": queueName, "type": jobs.TypeCacheInvalidate, "payload": map[string]any{"keys": keys}})
	return string(b)
}
