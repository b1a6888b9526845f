package localapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lambdis/lambdis/cmd/lambdis/localapi"
	"github.com/lambdis/lambdis/functions/admin/adminapi"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/authz"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/queue"
	"github.com/lambdis/lambdis/shared/redistest"
)

// TestAdminThroughTheGateway: `lambdis serve` serves every admin route
// behind the authorizer: 403 without the admin scope, and with it the
// queues, a dead letter found by its job id, redriven, and the job's record.
func TestAdminThroughTheGateway(t *testing.T) {
	rdb := redistest.StartServer(t).Client(t)
	srv, hs := start(t, localapi.Config{Redis: rdb})
	qc := queue.NewClient(rdb, keys.Builder{}, 0)
	reg := queue.NewRegistry()
	reg.Register("fail", func(context.Context, queue.Delivery) error { return queue.Permanent(errors.New("boom")) }, nil)
	ctx := context.Background()
	e, err := qc.Enqueue(ctx, queue.Job{Queue: "billing", Type: "fail", Payload: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := queue.NewWorker(qc, reg, queue.WorkerConfig{JobTimeout: time.Second, MaxBlock: 20 * time.Millisecond}, nil).Drain(ctx, []string{"billing"}, 0); err != nil {
		t.Fatal(err)
	}

	token := func(scopes ...string) string {
		tok, err := authz.SignHS256([]byte(authz.LocalDevSecret), authz.Claims{Subject: "root", Scopes: scopes}, time.Now(), 2*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	user, admin := token("read", "write"), token("admin")
	call := func(tok, method, path, body string) (*http.Response, []byte) {
		t.Helper()
		req := newRequest(t, method, hs.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		return do(t, req)
	}
	paths := map[string]string{
		"{queue}": "billing", "{id}": strings.ReplaceAll(e.ID, ":", "%3A"), "{sub}": "alice",
	}
	served := 0
	for _, r := range srv.Routes() {
		if !strings.HasPrefix(r.Resource, "/admin/") {
			continue
		}
		served++
		path := r.Resource
		for k, v := range paths {
			path = strings.ReplaceAll(path, k, v)
		}
		resp, body := call(user, r.Method, path, "")
		if p := problem(t, resp, body, apigw.TypeForbidden, 403); p.Extensions["required_scope"] != "admin" {
			t.Errorf("%s %s without the scope: %+v", r.Method, path, p)
		}
		resp, body = call(admin, r.Method, path, `{"ids":["`+e.ID+`"]}`)
		if resp.StatusCode != 200 {
			t.Errorf("%s %s as admin: %d %s", r.Method, path, resp.StatusCode, body)
		}
	}
	if served != len(adminapi.Routes()) {
		t.Errorf("the local API serves %d admin routes, the function %d", served, len(adminapi.Routes()))
	}
	// The routes ran in table order: the dead letter was listed, then
	// purged (DELETE comes before the redrive), so the redrive missed it.
	b, err := qc.Books(ctx, "billing")
	if err != nil {
		t.Fatal(err)
	}
	if b.DeadLetters != 0 || b.Dead != 1 || b.Redriven != 0 || b.Drift() != 0 {
		t.Errorf("books %+v", b)
	}
}
