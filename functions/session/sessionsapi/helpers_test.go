package sessionsapi

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/api/apitest"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/session"
	"github.com/lambdis/lambdis/shared/telemetry"
	"github.com/redis/go-redis/v9"
)

type fixture struct {
	h     *Handler
	store *session.Store
	rdb   redis.UniversalClient
	logs  *bytes.Buffer
}

func newFixture(t testing.TB, rdb redis.UniversalClient) *fixture {
	t.Helper()
	store, err := session.NewStore(rdb, keys.Builder{}, session.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	return &fixture{
		h:     &Handler{Store: store, Cookie: DefaultCookie, StoreTimeout: 2 * time.Second, Log: telemetry.NewLogger(&logs, "session")},
		store: store, rdb: rdb, logs: &logs,
	}
}

// caller is who the authorizer admitted: a token (session empty) or a
// session (its handle).
type caller struct {
	sub     string
	scopes  []string
	session string
}

func token(sub string, scopes ...string) caller { return caller{sub: sub, scopes: scopes} }

func viaSession(id session.ID, scopes ...string) caller {
	return caller{sub: id.Subject(), scopes: scopes, session: id.Handle()}
}

func request(method, resource string, params map[string]string, body string, c caller) events.APIGatewayProxyRequest {
	path := resource
	for k, v := range params {
		path = strings.ReplaceAll(path, "{"+k+"}", v)
	}
	ctx := map[string]any{
		apigw.ContextKeySubject: c.sub, apigw.ContextKeyScope: strings.Join(c.scopes, " "), apigw.ContextKeyAnonymous: "false",
	}
	if c.session != "" {
		ctx[apigw.ContextKeySession] = c.session
		ctx["auth"] = "session"
	} else {
		ctx[apigw.ContextKeyJTI] = "j-" + c.sub
	}
	if c.sub == "" {
		ctx = map[string]any{apigw.ContextKeyAnonymous: "true"}
	}
	return events.APIGatewayProxyRequest{
		Resource: resource, Path: path, HTTPMethod: method, Body: body, PathParameters: params,
		RequestContext: events.APIGatewayProxyRequestContext{Authorizer: ctx},
	}
}

func (f *fixture) do(t testing.TB, req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	t.Helper()
	resp, err := f.h.Handle(context.Background(), req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.HTTPMethod, req.Path, err)
	}
	apitest.Check(t, req, resp)
	return resp
}

func decode[T any](t testing.TB, resp events.APIGatewayProxyResponse, status int) T {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, resp.Body)
	}
	var v T
	dec := json.NewDecoder(strings.NewReader(resp.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("body %s: %v", resp.Body, err)
	}
	return v
}

func wantProblem(t testing.TB, resp events.APIGatewayProxyResponse, typ apigw.ProblemType) apigw.Problem {
	t.Helper()
	if resp.StatusCode != typ.Status() || resp.Headers["Content-Type"] != apigw.ProblemContentType {
		t.Fatalf("status %d %v, want a %s problem: %s", resp.StatusCode, resp.Headers, typ, resp.Body)
	}
	var p apigw.Problem
	if err := json.Unmarshal([]byte(resp.Body), &p); err != nil || p.Type != typ.URI() {
		t.Fatalf("problem %s (%v), want type %s", resp.Body, err, typ)
	}
	return p
}

// cookieID returns the session id a Set-Cookie value carries.
func cookieID(t testing.TB, setCookie string) session.ID {
	t.Helper()
	name, rest, ok := strings.Cut(setCookie, "=")
	if !ok || name != session.CookieName {
		t.Fatalf("Set-Cookie %q", setCookie)
	}
	value, _, _ := strings.Cut(rest, ";")
	id, err := session.ParseID(value)
	if err != nil {
		t.Fatalf("Set-Cookie %q: %v", setCookie, err)
	}
	return id
}

// dbKeys returns every key in Redis (every master of a cluster).
func dbKeys(t testing.TB, rdb redis.UniversalClient) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	scan := func(c *redis.Client) error {
		ks, err := c.Keys(ctx, "*").Result()
		out = append(out, ks...)
		return err
	}
	var err error
	switch c := rdb.(type) {
	case *redis.ClusterClient:
		var mu = make(chan struct{}, 1)
		err = c.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
			ks, err := m.Keys(ctx, "*").Result()
			mu <- struct{}{}
			out = append(out, ks...)
			<-mu
			return err
		})
	case *redis.Client:
		err = scan(c)
	default:
		t.Fatalf("client %T", rdb)
	}
	if err != nil {
		t.Fatal(err)
	}
	return out
}
