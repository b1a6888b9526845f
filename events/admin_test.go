package events_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/functions/admin/adminapi"
	"github.com/lambdis/lambdis/functions/ratelimit/authorizer"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/authz"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/queue"
	"github.com/lambdis/lambdis/shared/redischeck"
	"github.com/lambdis/lambdis/shared/redisconn"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/lambdis/lambdis/shared/rietest"
)

// The samples of the admin function (AdminFunction), made by adminSamples
// and checked here (TestAdminSamples, TestAdminUnderEmulator).
const (
	adminFunction    = "AdminFunction"
	fileAdminQueues  = "admin-queues.json"
	fileAdminDead    = "admin-dead.json"
	fileAdminRedrive = "admin-redrive.json"
	fileAdminLimits  = "admin-limits.json"
	fileAdminRedis   = "admin-redis.json"
	adminSampleQueue = "orders"
)

// adminFiles are the events of AdminFunction.
var adminFiles = []string{fileAdminDead, fileAdminLimits, fileAdminQueues, fileAdminRedis, fileAdminRedrive}

var adminResourceIDs = map[string]string{
	adminapi.RouteQueues: "adm0q1", adminapi.RouteDead: "adm0d1", adminapi.RouteRedrive: "adm0r1",
	adminapi.RouteJob: "adm0j1", adminapi.RouteLimits: "adm0l1",
}

// adminEnv is AdminFunction's entry for env.json: Redis, and the
// authorizer's sample limits, so that the limits it shows are those the
// sample authorizer applies.
func adminEnv() map[string]string {
	return map[string]string{redisconn.EnvURL: samRedisURL, authorizer.EnvRateLimits: sampleRateLimits, authz.EnvMaxTokenTTL: "0"}
}

// adminSamples returns the admin events by name, each from the sample
// admin token: the queues, the dead letters of "orders", a redrive of all of
// them, and the limits of sample-user.
func adminSamples(t testing.TB) map[string]any {
	t.Helper()
	ev := func(name, method, resource string, params map[string]string, body string) events.APIGatewayProxyRequest {
		path := resource
		for k, v := range params {
			path = strings.ReplaceAll(path, "{"+k+"}", v)
		}
		e := proxyEvent(t, name, method, resource, path, params, adminToken, "Bearer "+adminToken.sign(t), body)
		e.RequestContext.ResourceID = adminResourceIDs[resource]
		return e
	}
	q := map[string]string{"queue": adminSampleQueue}
	return map[string]any{
		fileAdminQueues:  ev(fileAdminQueues, "GET", adminapi.RouteQueues, nil, ""),
		fileAdminDead:    ev(fileAdminDead, "GET", adminapi.RouteDead, q, ""),
		fileAdminRedrive: ev(fileAdminRedrive, "POST", adminapi.RouteRedrive, q, ""),
		fileAdminLimits:  ev(fileAdminLimits, "GET", adminapi.RouteLimits, map[string]string{"sub": userToken.sub}, ""),
		fileAdminRedis:   ev(fileAdminRedis, "GET", adminapi.RouteRedis, nil, ""),
	}
}

// TestAdminSamples checks that the admin files are what adminSamples makes
// (with -update it writes them), decode strictly and come from the admin
// token.
func TestAdminSamples(t *testing.T) {
	samples := adminSamples(t)
	if got := slices.Sorted(maps.Keys(samples)); !slices.Equal(got, adminFiles) {
		t.Fatalf("adminSamples makes %v, want %v", got, adminFiles)
	}
	for _, name := range adminFiles {
		t.Run(name, func(t *testing.T) {
			want := encode(t, samples[name])
			if *update {
				if err := os.WriteFile(name, want, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if got, err := os.ReadFile(name); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("events/%s differs from what adminSamples makes (%v); run: go test ./events -run TestAdminSamples -update", name, err)
			}
			ev := proxySample(t, name)
			if id := proxyCaller(t, ev); id.Subject != adminToken.sub || !id.HasScope("admin") {
				t.Fatalf("caller %+v", id)
			}
		})
	}
	if vars := samEnv(t, adminFunction); vars[authorizer.EnvRateLimits] != samEnv(t, ratelimitFunction)[authorizer.EnvRateLimits] {
		t.Errorf("env.json: AdminFunction's RATE_LIMITS %q are not the authorizer's", vars[authorizer.EnvRateLimits])
	}
}

// TestAdminUnderEmulator runs the real admin bootstrap under
// aws-lambda-rie on a real redis-server holding a dead letter on "orders"
// and a subject that has spent two requests: each sample's answer.
func TestAdminUnderEmulator(t *testing.T) {
	bin := rietest.Build(t, "admin")
	srv := redistest.StartServer(t)
	rdb := srv.Client(t)
	ctx := context.Background()
	qc := queue.NewClient(rdb, keys.Builder{}, 0)
	e, err := qc.Enqueue(ctx, queue.Job{Queue: adminSampleQueue, Type: "charge", Payload: json.RawMessage(`{"order":42}`)})
	if err != nil {
		t.Fatal(err)
	}
	reg := queue.NewRegistry()
	reg.Register("charge", func(context.Context, queue.Delivery) error { return queue.Permanent(errors.New("card declined")) }, nil)
	if _, err := queue.NewWorker(qc, reg, queue.WorkerConfig{JobTimeout: time.Second, MaxBlock: 20 * time.Millisecond}, nil).Drain(ctx, []string{adminSampleQueue}, 0); err != nil {
		t.Fatal(err)
	}
	store, err := authz.NewStore(rdb, keys.Builder{}, authz.StoreConfig{MaxTokenTTL: authz.Unbounded})
	if err != nil {
		t.Fatal(err)
	}
	policies, err := authorizer.ConfigFromEnv(func(k string) string { return samEnv(t, ratelimitFunction)[k] })
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := store.DecideToken(ctx, userToken.claims(), 1, policies.Policies); err != nil {
			t.Fatal(err)
		}
	}

	fn := rietest.Start(t, bin, functionEnv(t, adminFunction, srv.Addr))
	call := func(name string, v any) {
		t.Helper()
		resp := invoke[events.APIGatewayProxyResponse](t, fn, "admin", readSample(t, name))
		jsonBody(t, resp, 200, apigw.JSONContentType, v)
		if resp.Headers[apigw.HeaderRateLimit] == "" {
			t.Errorf("%s: no RateLimit header", name)
		}
	}
	var queues adminapi.QueuesResponse
	call(fileAdminQueues, &queues)
	if len(queues.Queues) != 1 || queues.Queues[0].Queue != adminSampleQueue || queues.Queues[0].DeadLetters != 1 || queues.Queues[0].Drift != 0 {
		t.Fatalf("admin-queues: %+v", queues)
	}
	var dead adminapi.DeadResponse
	call(fileAdminDead, &dead)
	if len(dead.DeadLetters) != 1 || dead.DeadLetters[0].JobID != e.ID || dead.DeadLetters[0].Error != "card declined" || len(dead.DeadLetters[0].Errors) != 1 {
		t.Fatalf("admin-dead: %+v", dead)
	}
	var limits adminapi.LimitsResponse
	call(fileAdminLimits, &limits)
	if limits.Subject != userToken.sub || limits.RevokedAll || len(limits.Limits) != 1 || limits.Limits[0].Policy != "per_minute" ||
		limits.Limits[0].Quota != sampleRateLimit || limits.Limits[0].Remaining != sampleRateLimit-2 {
		t.Fatalf("admin-limits: %+v", limits)
	}
	var checks redischeck.Report
	call(fileAdminRedis, &checks)
	if len(checks.Checks) != 7 || checks.OK != 7 || checks.Checks[0].Name != "connect" {
		t.Fatalf("admin-redis: %+v, want the doctor's 7 Redis checks, all ok", checks)
	}
	var rd adminapi.RedriveResponse
	call(fileAdminRedrive, &rd)
	if !slices.Equal(rd.Redriven, []string{e.ID}) || len(rd.Missing) != 0 {
		t.Fatalf("admin-redrive: %+v", rd)
	}
	if b, err := qc.Books(ctx, adminSampleQueue); err != nil || b.DeadLetters != 0 || b.Redriven != 1 || b.Backlog() != 1 {
		t.Fatalf("books after the redrive: %+v %v", b, err)
	}
	// The same samples from a token without the scope: 403.
	for _, name := range adminFiles {
		ev := proxySample(t, name)
		ev.RequestContext.Authorizer[apigw.ContextKeyScope] = "read write"
		payload, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		problem(t, invoke[events.APIGatewayProxyResponse](t, fn, "admin", payload), apigw.TypeForbidden)
	}
}
