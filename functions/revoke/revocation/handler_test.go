package revocation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/golang-jwt/jwt/v5"
	"github.com/lambdis/lambdis/api/apitest"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/authz"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/lambdis/lambdis/shared/session"
	"github.com/lambdis/lambdis/shared/telemetry"
	"github.com/redis/go-redis/v9"
)

var secret = []byte("revoke-test-secret-0123456789abcdef0123")

type fixture struct {
	h     *Handler
	store *authz.Store
	now   time.Time
}

func newFixture(t testing.TB, rdb redis.UniversalClient) *fixture {
	t.Helper()
	v, err := authz.NewVerifier(authz.VerifierConfig{HMACSecret: secret, Leeway: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	store, err := authz.NewStore(rdb, keys.Builder{}, authz.StoreConfig{Leeway: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	return &fixture{
		h:     &Handler{Verifier: v, Store: store, StoreTimeout: 300 * time.Millisecond, Log: telemetry.NewLogger(&logs, "revoke")},
		store: store, now: time.Now(),
	}
}

func (f *fixture) token(t testing.TB, sub, jti string, scopes ...string) (string, authz.Claims) {
	t.Helper()
	c := authz.Claims{Subject: sub, ID: jti, Scopes: scopes}
	tok, err := authz.SignHS256(secret, c, f.now.Add(-time.Minute), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c.IssuedAt, c.ExpiresAt = f.now.Add(-time.Minute).Truncate(time.Second), f.now.Add(59*time.Minute).Truncate(time.Second)
	return tok, c
}

// request is what the gateway passes after the authorizer allowed tok.
func request(method, resource, tok string, c authz.Claims, body string) events.APIGatewayProxyRequest {
	path := resource
	params := map[string]string{}
	if strings.Contains(resource, "{sub}") {
		params["sub"] = c.Subject
		path = strings.ReplaceAll(resource, "{sub}", c.Subject)
	}
	return events.APIGatewayProxyRequest{
		Resource: resource, Path: path, HTTPMethod: method, Body: body, PathParameters: params,
		Headers: map[string]string{"Authorization": "Bearer " + tok},
		RequestContext: events.APIGatewayProxyRequestContext{Authorizer: map[string]any{
			apigw.ContextKeySubject: c.Subject, apigw.ContextKeyJTI: c.ID, apigw.ContextKeyIssuer: "",
			apigw.ContextKeyScope: strings.Join(c.Scopes, " "), apigw.ContextKeyAnonymous: "false",
			apigw.ContextKeyRateLimit: `"per_minute";r=9;t=60`, apigw.ContextKeyRateLimitPolicy: `"per_minute";q=10;w=60`,
		}},
	}
}

func (f *fixture) do(t testing.TB, req events.APIGatewayProxyRequest) (int, map[string]any, events.APIGatewayProxyResponse) {
	t.Helper()
	resp, err := f.h.Handle(context.Background(), req)
	if err != nil {
		t.Fatalf("handler error: %v", err)
	}
	apitest.Check(t, req, resp)
	var body map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
		t.Fatalf("body %q: %v", resp.Body, err)
	}
	return resp.StatusCode, body, resp
}

func (f *fixture) decide(t testing.TB, c authz.Claims) authz.Reason {
	t.Helper()
	d, err := f.store.DecideToken(context.Background(), c, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	return d.Reason
}

func TestRevokeSelf(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		f := newFixture(t, rdb)
		tok, c := f.token(t, "alice", "t1")
		for i := 0; i < 2; i++ { // idempotent
			status, body, resp := f.do(t, request("POST", "/tokens/revoke", tok, c, ""))
			if status != 200 || body["revoked"] != true || body["jti"] != "t1" || body["sub"] != "alice" {
				t.Fatalf("revoke %d: %d %v", i, status, body)
			}
			if resp.Headers["RateLimit"] == "" || resp.Headers["RateLimit-Policy"] == "" {
				t.Fatalf("rate-limit headers missing: %v", resp.Headers)
			}
		}
		if r := f.decide(t, c); r != authz.ReasonRevoked {
			t.Fatalf("token after revoke: %s", r)
		}
		_, other := f.token(t, "alice", "t2")
		if r := f.decide(t, other); r != authz.ReasonOK {
			t.Fatalf("another token of the same user: %s", r)
		}
		// An explicit empty object is the same as no body.
		tok3, c3 := f.token(t, "alice", "t3")
		if status, _, _ := f.do(t, request("POST", "/tokens/revoke", tok3, c3, "{}")); status != 200 || f.decide(t, c3) != authz.ReasonRevoked {
			t.Fatalf("revoke with {}: %d", status)
		}
	})
}

func TestRevokeOtherToken(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		f := newFixture(t, rdb)
		callerTok, caller := f.token(t, "bob", "b1")
		ownTok, own := f.token(t, "bob", "b2")
		victimTok, victim := f.token(t, "carol", "c1")
		adminTok, admin := f.token(t, "root", "r1", "admin")

		body := func(tok string) string { return `{"token":"` + tok + `"}` }
		if status, b, _ := f.do(t, request("POST", "/tokens/revoke", callerTok, caller, body(ownTok))); status != 200 || b["jti"] != "b2" {
			t.Fatalf("revoke own other token: %d %v", status, b)
		}
		if f.decide(t, own) != authz.ReasonRevoked || f.decide(t, caller) != authz.ReasonOK {
			t.Fatal("the wrong token was revoked")
		}
		status, b, _ := f.do(t, request("POST", "/tokens/revoke", callerTok, caller, body(victimTok)))
		if status != 403 || b["type"] != apigw.TypeForbidden.URI() {
			t.Fatalf("non-admin revoking another subject: %d %v", status, b)
		}
		if f.decide(t, victim) != authz.ReasonOK {
			t.Fatal("a forbidden revocation was stored")
		}
		if status, _, _ := f.do(t, request("POST", "/tokens/revoke", adminTok, admin, body(victimTok))); status != 200 {
			t.Fatalf("admin revoke: %d", status)
		}
		if f.decide(t, victim) != authz.ReasonRevoked {
			t.Fatal("admin revocation not stored")
		}
		// A forged token in the body is a 400, not a revocation.
		forged := victimTok[:len(victimTok)-4] + "AAAA"
		if status, b, _ := f.do(t, request("POST", "/tokens/revoke", adminTok, admin, body(forged))); status != 400 {
			t.Fatalf("forged body token: %d %v", status, b)
		}
		// An expired token needs nothing done: 200 (RFC 7009).
		expired, err := authz.SignHS256(secret, authz.Claims{Subject: "carol", ID: "old"}, f.now.Add(-2*time.Hour), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if status, b, _ := f.do(t, request("POST", "/tokens/revoke", adminTok, admin, body(expired))); status != 200 || b["revoked"] != true {
			t.Fatalf("expired body token: %d %v", status, b)
		}
	})
}

func TestRevokeAll(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		f := newFixture(t, rdb)
		tok, c := f.token(t, "dave", "d1")
		otherTok, other := f.token(t, "erin", "e1")
		adminTok, admin := f.token(t, "root", "r1", "admin")

		status, b, _ := f.do(t, request("POST", "/users/{sub}/revoke-all", tok, c, ""))
		if status != 200 || b["sub"] != "dave" || b["not_before"] == nil {
			t.Fatalf("revoke-all self: %d %v", status, b)
		}
		if f.decide(t, c) != authz.ReasonCutoff {
			t.Fatal("token survived revoke-all")
		}
		req := request("POST", "/users/{sub}/revoke-all", otherTok, other, "")
		req.PathParameters["sub"], req.Path = "root", "/users/root/revoke-all"
		if status, _, _ := f.do(t, req); status != 403 {
			t.Fatalf("revoke-all of another subject without admin: %d", status)
		}
		if f.decide(t, admin) != authz.ReasonOK {
			t.Fatal("forbidden revoke-all was stored")
		}
		req = request("POST", "/users/{sub}/revoke-all", adminTok, admin, "")
		req.PathParameters["sub"], req.Path = "erin", "/users/erin/revoke-all"
		if status, _, _ := f.do(t, req); status != 200 || f.decide(t, other) != authz.ReasonCutoff {
			t.Fatalf("admin revoke-all: %d", status)
		}
	})
}

// revoke-all also ends every session of the subject (shared/session), in
// the script that sets the cut-off.
func TestRevokeAllEndsSessions(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		f := newFixture(t, rdb)
		sessions, err := session.NewStore(rdb, keys.Builder{}, session.Config{})
		if err != nil {
			t.Fatal(err)
		}
		var ids []session.ID
		for i := 0; i < 3; i++ {
			id, _, err := sessions.Create(ctx, "dave", session.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		other, _, err := sessions.Create(ctx, "erin", session.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		tok, c := f.token(t, "dave", "d1")
		status, b, _ := f.do(t, request("POST", "/users/{sub}/revoke-all", tok, c, ""))
		if status != 200 || b["sub"] != "dave" || b["sessions"] != float64(3) {
			t.Fatalf("revoke-all: %d %v", status, b)
		}
		for _, id := range ids {
			if _, err := sessions.Peek(ctx, id); !errors.Is(err, session.ErrNotFound) {
				t.Fatalf("%v survived revoke-all: %v", id, err)
			}
		}
		if _, err := sessions.Peek(ctx, other); err != nil {
			t.Fatalf("another subject's session: %v", err)
		}
		// Idempotent: nothing left to end.
		if status, b, _ := f.do(t, request("POST", "/users/{sub}/revoke-all", tok, c, "")); status != 200 || b["sessions"] != float64(0) {
			t.Fatalf("second revoke-all: %d %v", status, b)
		}
	})
}

func TestBadRequests(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	f := newFixture(t, rdb)
	tok, c := f.token(t, "frank", "f1")
	noJTI, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "frank", "iat": f.now.Unix(), "exp": f.now.Add(time.Hour).Unix(),
	}).SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, method, resource, body string
		status                       int
		typ                          apigw.ProblemType
	}{
		{"unknown field", "POST", "/tokens/revoke", `{"tokn":"x"}`, 400, apigw.TypeInvalidJSON},
		{"trailing data", "POST", "/tokens/revoke", `{} {}`, 400, apigw.TypeInvalidJSON},
		{"not json", "POST", "/tokens/revoke", `token=x`, 400, apigw.TypeInvalidJSON},
		{"wrong type", "POST", "/tokens/revoke", `{"token":5}`, 400, apigw.TypeInvalidJSON},
		{"garbage token", "POST", "/tokens/revoke", `{"token":"abc"}`, 400, apigw.TypeBadRequest},
		{"huge body", "POST", "/tokens/revoke", `{"token":"` + strings.Repeat("a", MaxBody) + `"}`, 413, apigw.TypeBodyTooLarge},
		{"token without jti", "POST", "/tokens/revoke", `{"token":"` + noJTI + `"}`, 400, apigw.TypeBadRequest},
		{"revoke-all with body", "POST", "/users/{sub}/revoke-all", `{"x":1}`, 400, apigw.TypeInvalidJSON},
		{"wrong method", "GET", "/tokens/revoke", ``, 405, apigw.TypeMethodNotAllowed},
		{"unknown route", "POST", "/tokens/elsewhere", ``, 404, apigw.TypeNotFound},
	}
	for _, tc := range cases {
		status, b, _ := f.do(t, apitest.OffContract(request(tc.method, tc.resource, tok, c, tc.body), tc.name))
		if status != tc.status || b["type"] != tc.typ.URI() {
			t.Errorf("%s: %d %v; want %d %s", tc.name, status, b, tc.status, tc.typ)
		}
	}
	req := request("POST", "/users/{sub}/revoke-all", tok, c, "")
	req.PathParameters["sub"] = "bad\nsub"
	if status, _, _ := f.do(t, apitest.OffContract(req, "a control character in sub")); status != 400 {
		t.Errorf("control character in sub: %d", status)
	}
	anon := request("POST", "/tokens/revoke", tok, c, "")
	anon.RequestContext.Authorizer = map[string]any{apigw.ContextKeyAnonymous: "true", apigw.ContextKeySubject: ""}
	if status, _, _ := f.do(t, anon); status != 401 {
		t.Errorf("anonymous caller: %d", status)
	}
	if n := rdb.DBSize(context.Background()).Val(); n != 0 {
		t.Fatalf("bad requests wrote %d keys", n)
	}
}

func TestSelf(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	f := newFixture(t, rdb)
	tok, c := f.token(t, "gina", "g1", "read", "write")
	status, b, _ := f.do(t, request("GET", "/tokens/self", tok, c, ""))
	if status != 200 || b["sub"] != "gina" || b["jti"] != "g1" || len(b["scopes"].([]any)) != 2 {
		t.Fatalf("self: %d %v", status, b)
	}
}

// A store that cannot be written answers 503 and never reports success.
func TestStoreDownIs503(t *testing.T) {
	srv := redistest.StartServer(t)
	f := newFixture(t, srv.Client(t))
	tok, c := f.token(t, "hank", "h1")
	srv.Stop()
	for _, req := range []events.APIGatewayProxyRequest{
		request("POST", "/tokens/revoke", tok, c, ""),
		request("POST", "/users/{sub}/revoke-all", tok, c, ""),
	} {
		status, b, _ := f.do(t, req)
		if status != 503 || b["type"] != apigw.TypeStoreUnavailable.URI() {
			t.Fatalf("%s with the store down: %d %v", req.Resource, status, b)
		}
	}
	srv.Restart()
	if r := f.decide(t, c); r != authz.ReasonOK {
		t.Fatalf("a failed revocation left state behind: %s", r)
	}
}

func TestFromEnvNamesTheVariable(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	base := map[string]string{"JWT_SECRET": string(secret)}
	for name, val := range map[string]string{
		EnvStoreTimeout:       "slow",
		"AUTHZ_MAX_TOKEN_TTL": "1s",
		"LAMBDIS_KEY_PREFIX":  "{x}",
		"JWT_LEEWAY":          "-1s",
	} {
		_, err := FromEnv(context.Background(), func(k string) string {
			if k == name {
				return val
			}
			return base[k]
		}, rdb, nil, nil)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: %v", name, val, err)
		}
	}
	h, err := FromEnv(context.Background(), func(k string) string {
		return map[string]string{"JWT_SECRET": string(secret), EnvAdminScope: "ops"}[k]
	}, rdb, nil, nil)
	if err != nil || h.AdminScope != "ops" {
		t.Fatalf("%+v %v", h, err)
	}
}

// FuzzRevokeBody: no body can crash the handler or produce a 5xx.
func FuzzRevokeBody(f *testing.F) {
	_, rdb := redistest.Miniredis(f)
	fx := newFixture(f, rdb)
	tok, c := fx.token(f, "fuzz", "z1")
	for _, s := range []string{"", "{}", `{"token":""}`, `{"token":"` + tok + `"}`, `{"token":null}`, "[]", "null", `{"token":"a.b.c"}`, "\xff", `{"token":"x","token":"y"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		resp, err := fx.h.Handle(context.Background(), request("POST", "/tokens/revoke", tok, c, body))
		if err != nil {
			t.Fatalf("body %q: error %v", body, err)
		}
		if resp.StatusCode >= 500 {
			t.Fatalf("body %q: %d %s", body, resp.StatusCode, resp.Body)
		}
	})
}
