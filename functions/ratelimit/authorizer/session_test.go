package authorizer

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/authz"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/redisconn"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/lambdis/lambdis/shared/session"
	"github.com/redis/go-redis/v9"
)

func (f *fixture) newSession(t testing.TB, sub string, scopes ...string) session.ID {
	t.Helper()
	id, _, err := f.sessions.Create(context.Background(), sub, session.CreateOptions{Scopes: scopes})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// withCookie is request(t, "") with the given Cookie header values (one
// header per value, as HTTP/2 clients send them).
func withCookie(t testing.TB, values ...string) events.APIGatewayCustomAuthorizerRequestTypeRequest {
	t.Helper()
	req := request(t, "")
	req.Headers["Cookie"] = values[len(values)-1]
	req.MultiValueHeaders["Cookie"] = values
	return req
}

func TestSessionAllow(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		f := newFixture(t, rdb, Config{Policies: policies(t, "per_second=10/1s,per_minute=100/1m")})
		id := f.newSession(t, "alice", "read", "write")
		reqs := map[string]events.APIGatewayCustomAuthorizerRequestTypeRequest{
			"header":            request(t, "Session "+id.Token()),
			"header, any case":  request(t, "session   "+id.Token()+" "),
			"cookie":            withCookie(t, SessionCookie+"="+id.Token()),
			"cookie among many": withCookie(t, "theme=dark; "+SessionCookie+"="+id.Token()+"; lang=en"),
			"cookie, HTTP/2":    withCookie(t, "theme=dark", SessionCookie+"=\""+id.Token()+"\"", "lang=en"),
		}
		remaining := 100
		for name, req := range reqs {
			resp, err := f.h.Handle(context.Background(), req)
			if err != nil || effect(resp) != "Allow" || resp.PrincipalID != "alice" {
				t.Fatalf("%s: %+v %v", name, resp, err)
			}
			remaining--
			ctx := resp.Context
			if ctx[apigw.ContextKeySubject] != "alice" || ctx[apigw.ContextKeyScope] != "read write" ||
				ctx[apigw.ContextKeyAnonymous] != "false" || ctx[ContextKeyAuth] != AuthSession ||
				ctx[apigw.ContextKeySession] != id.Handle() {
				t.Fatalf("%s: identity context %v", name, ctx)
			}
			if _, has := ctx[apigw.ContextKeyJTI]; has {
				t.Fatalf("%s: a session has no jti: %v", name, ctx)
			}
			if !contains(ctx[apigw.ContextKeyRateLimitPolicy].(string), `"per_second";q=10;w=1`) || ctx[apigw.ContextKeyPolicy] != "per_second" {
				t.Fatalf("%s: rate-limit context %v", name, ctx)
			}
			for k, v := range ctx {
				if _, ok := v.(string); !ok {
					t.Fatalf("%s: context %s is %T", name, k, v)
				}
			}
			// The integration sees the caller as for a token.
			caller, err := apigw.Caller(events.APIGatewayProxyRequest{RequestContext: events.APIGatewayProxyRequestContext{Authorizer: ctx}})
			if err != nil || caller.Subject != "alice" || !caller.HasScope("write") || caller.Anonymous {
				t.Fatalf("%s: caller %+v %v", name, caller, err)
			}
		}
		// The Authorization header wins over the cookie; a token and a session
		// of one subject spend one budget.
		req := withCookie(t, SessionCookie+"=garbage")
		req.Headers["Authorization"] = "Bearer " + hs256(t, claims("alice", "j"))
		req.MultiValueHeaders["Authorization"] = []string{req.Headers["Authorization"]}
		resp, err := f.h.Handle(context.Background(), req)
		if err != nil || resp.PrincipalID != "alice" || resp.Context[apigw.ContextKeyJTI] != "j" {
			t.Fatalf("bearer with a cookie: %+v %v", resp, err)
		}
		if !contains(resp.Context[apigw.ContextKeyRateLimit].(string), `"per_minute";r=`+strconv.Itoa(remaining-1)) {
			t.Fatalf("budget not shared: %v", resp.Context)
		}
	})
}

// Every request with a session that is not valid now is "Unauthorized"; the
// ones whose id is malformed never reach Redis, and none spends budget.
func TestSessionRejected(t *testing.T) {
	srv := redistest.StartServer(t)
	rdb := srv.Client(t)
	ctx := context.Background()
	f := newFixture(t, rdb, Config{Policies: policies(t, "per_minute=100/1m")})
	valid := f.newSession(t, "mallory")
	tok := valid.Token()
	sub, secret, _ := strings.Cut(tok, ".")
	malformed := map[string]events.APIGatewayCustomAuthorizerRequestTypeRequest{
		"empty":              request(t, "Session"),
		"empty after spaces": request(t, "Session    "),
		"no dot":             request(t, "Session "+sub+secret),
		"two ids":            request(t, "Session "+tok+" "+tok),
		"short secret":       request(t, "Session "+sub+"."+secret[1:]),
		"padding":            request(t, "Session "+tok+"="),
		"bad base64":         request(t, "Session "+sub+"."+strings.Repeat("*", len(secret))),
		"control in subject": request(t, "Session "+b64("mal\x00lory")+"."+secret),
		"newline in subject": request(t, "Session "+b64("mal\r\nX-Injected: 1")+"."+secret),
		"oversize subject":   request(t, "Session "+b64(strings.Repeat("m", 257))+"."+secret),
		"huge":               request(t, "Session "+strings.Repeat("A", 1<<16)),
		"header injection":   request(t, "Session "+tok+"\r\nX-Injected: 1"),
		"jwt as session":     request(t, "Session "+hs256(t, claims("mallory", "j"))),
		"cookie garbage":     withCookie(t, SessionCookie+"=garbage"),
		"cookie empty":       withCookie(t, SessionCookie+"="),
		"two cookies":        withCookie(t, SessionCookie+"="+tok+"; "+SessionCookie+"="+f.newSession(t, "mallory").Token()),
		"two cookie headers": withCookie(t, SessionCookie+"="+tok, SessionCookie+"="+f.newSession(t, "mallory").Token()),
		"oversize cookies":   withCookie(t, "x="+strings.Repeat("x", 17<<10)+"; "+SessionCookie+"="+tok),
		"cookie name case":   withCookie(t, "Lambdis_Session="+tok),
		"other scheme":       request(t, "Basic "+tok),
		"session as bearer":  request(t, "Bearer "+tok),
		"cookie, bad header": func() events.APIGatewayCustomAuthorizerRequestTypeRequest {
			r := withCookie(t, SessionCookie+"="+tok)
			r.Headers["Authorization"] = "Session x"
			r.MultiValueHeaders["Authorization"] = []string{"Session x"}
			return r
		}(),
	}
	before, err := srv.Calls(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for name, req := range malformed {
		if resp, err := f.h.Handle(ctx, req); !errors.Is(err, ErrUnauthorized) || err.Error() != "Unauthorized" {
			t.Errorf("%s: %+v %v; want Unauthorized", name, resp, err)
		}
	}
	after, err := srv.Calls(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := redistest.CallsDelta(before, after); len(d) != 0 {
		t.Fatalf("malformed credentials reached Redis: %v", d)
	}

	// Well-formed but not valid: forged, destroyed, cut off.
	destroyed := f.newSession(t, "mallory")
	if _, err := f.sessions.Destroy(ctx, destroyed); err != nil {
		t.Fatal(err)
	}
	cutoff := f.newSession(t, "trent")
	az, err := authz.NewStore(rdb, keys.Builder{}, authz.StoreConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := az.RevokeAll(ctx, "trent"); err != nil {
		t.Fatal(err)
	}
	forgedSecret, _, _ := strings.Cut(f.newSession(t, "eve").Token(), ".")
	for name, id := range map[string]string{
		"forged secret":         sub + "." + strings.Repeat("A", len(secret)),
		"other subject's id":    forgedSecret + "." + secret,
		"destroyed":             destroyed.Token(),
		"revoked (revoke-all)":  cutoff.Token(),
		"brace subject, forged": b64("mallory}{x") + "." + secret,
	} {
		if resp, err := f.handle(t, "Session "+id); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("%s: %+v %v; want Unauthorized", name, resp, err)
		}
	}
	// None of it spent budget: the valid session has 99 left after its call.
	resp, err := f.handle(t, "Session "+tok)
	if err != nil || resp.Context[apigw.ContextKeyRemaining] != "99" {
		t.Fatalf("valid session after the rejections: %+v %v", resp, err)
	}
	if m := f.flushed(t); !contains(m, `"Unauthorized"`) {
		t.Errorf("no Unauthorized metric: %s", m)
	}
	// Without a session store the scheme is refused.
	f.h.Sessions = nil
	if _, err := f.handle(t, "Session "+tok); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("sessions disabled: %v", err)
	}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// POST /users/{sub}/revoke-all (authz.Store.RevokeAll) ends every session of
// the user at the authorizer, on every backend.
func TestSessionRevokeAll(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		f := newFixture(t, rdb, Config{Policies: policies(t, "per_minute=100/1m")})
		a, b := f.newSession(t, "dave"), f.newSession(t, "dave")
		other := f.newSession(t, "erin")
		for _, id := range []session.ID{a, b, other} {
			if resp, err := f.handle(t, "Session "+id.Token()); err != nil || effect(resp) != "Allow" {
				t.Fatalf("%v before: %+v %v", id, resp, err)
			}
		}
		store, err := authz.NewStore(rdb, keys.Builder{}, authz.StoreConfig{})
		if err != nil {
			t.Fatal(err)
		}
		cut, err := store.RevokeAll(ctx, "dave")
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []session.ID{a, b} {
			if _, err := f.h.Handle(ctx, withCookie(t, SessionCookie+"="+id.Token())); !errors.Is(err, ErrUnauthorized) {
				t.Fatalf("%v after revoke-all: %v", id, err)
			}
		}
		if resp, err := f.handle(t, "Session "+other.Token()); err != nil || effect(resp) != "Allow" {
			t.Fatalf("other user's session: %+v %v", resp, err)
		}
		// After the cut-off's second, a new session of dave works.
		for redisTime(t, rdb).Unix() <= cut.Unix() {
			time.Sleep(50 * time.Millisecond)
		}
		if resp, err := f.handle(t, "Session "+f.newSession(t, "dave").Token()); err != nil || effect(resp) != "Allow" {
			t.Fatalf("new session after revoke-all: %+v %v", resp, err)
		}
	})
}

func redisTime(t *testing.T, rdb redis.UniversalClient) time.Time {
	t.Helper()
	now, err := rdb.Time(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	return now
}

// Sliding expiry through the authorizer: a session used more often than its
// idle TTL stays valid; idle longer, it is a 401. (miniredis: the test moves
// the clock.)
func TestSessionSlidingExpiry(t *testing.T) {
	m, rdb := redistest.Miniredis(t)
	now := time.Now().Truncate(time.Second)
	m.SetTime(now)
	f := newFixture(t, rdb, Config{Policies: policies(t, "per_minute=100/1m")})
	id, _, err := f.sessions.Create(context.Background(), "frank", session.CreateOptions{IdleTTL: 30 * time.Minute, MaxTTL: session.NoMaxTTL})
	if err != nil {
		t.Fatal(err)
	}
	advance := func(d time.Duration) { now = now.Add(d); m.SetTime(now); m.FastForward(d) }
	for i := 0; i < 6; i++ {
		advance(25 * time.Minute)
		if resp, err := f.handle(t, "Session "+id.Token()); err != nil || effect(resp) != "Allow" {
			t.Fatalf("use %d: %+v %v", i, resp, err)
		}
	}
	advance(31 * time.Minute)
	if _, err := f.handle(t, "Session "+id.Token()); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("idle session: %v", err)
	}
}

func TestSessionRateLimitedIsDeny(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		f := newFixture(t, rdb, Config{Policies: policies(t, "per_second=50/1s,per_hour=2/1h")})
		auth := "Session " + f.newSession(t, "grace").Token()
		for i := 0; i < 2; i++ {
			if resp, err := f.handle(t, auth); err != nil || effect(resp) != "Allow" {
				t.Fatalf("request %d: %+v %v", i, resp, err)
			}
		}
		resp, err := f.handle(t, auth)
		if err != nil || effect(resp) != "Deny" || resp.Context[apigw.ContextKeyPolicy] != "per_hour" {
			t.Fatalf("over the limit: %+v %v", resp, err)
		}
		if gw := apigw.RateLimitedResponse(resp.Context); gw.StatusCode != 429 {
			t.Fatalf("gateway response %+v", gw)
		}
	})
}

// Each session decision is exactly one command from the client, one EVALSHA;
// every other count is a command the script itself runs.
func TestSessionOneRoundTripPerDecision(t *testing.T) {
	srv := redistest.StartServer(t)
	f := newFixture(t, srv.Client(t), Config{Policies: policies(t, "per_second=100/1s,per_minute=1000/1m,per_day=10000/1d")})
	ctx := context.Background()
	id := f.newSession(t, "heidi", "read")
	for _, req := range []events.APIGatewayCustomAuthorizerRequestTypeRequest{request(t, "Session "+id.Token()), withCookie(t, SessionCookie+"="+id.Token())} {
		if _, err := f.h.Handle(ctx, req); err != nil { // loads the script
			t.Fatal(err)
		}
		before, err := srv.Calls(ctx)
		if err != nil {
			t.Fatal(err)
		}
		const n = 20
		for i := 0; i < n; i++ {
			if resp, err := f.h.Handle(ctx, req); err != nil || effect(resp) != "Allow" {
				t.Fatalf("%+v %v", resp, err)
			}
		}
		after, err := srv.Calls(ctx)
		if err != nil {
			t.Fatal(err)
		}
		d := redistest.CallsDelta(before, after)
		if d["evalsha"] != n || d["eval"] != 0 {
			t.Fatalf("deltas %v: want %d EVALSHA, one per decision", d, n)
		}
		for cmd := range d {
			switch cmd {
			case "evalsha", "time", "mget", "set", "hmget", "zscore", "hset", "pexpire", "zadd", "pttl":
			default:
				t.Fatalf("unexpected command %q: %v", cmd, d)
			}
		}
	}
}

// A session cannot be checked without Redis: an outage fails closed even
// when revocation and the limiter are configured to fail open.
func TestSessionOutageFailsClosed(t *testing.T) {
	srv := redistest.StartServer(t)
	f := newFixture(t, srv.Client(t), Config{Policies: policies(t, "per_minute=100/1m"), RevocationFailOpen: true, RateLimitFailOpen: true})
	id := f.newSession(t, "ivan")
	stopped, err := redisconn.New(context.Background(), redisconn.Config{Addrs: []string{srv.Addr}, SkipPing: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stopped.Close() })
	srv.Stop()
	f.h.Sessions, err = session.NewStore(stopped, keys.Builder{}, session.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := f.handle(t, "Session "+id.Token()); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("outage: %+v %v", resp, err)
	}
	if !contains(f.logs.String(), `"check":"session"`) {
		t.Fatalf("fail-closed not logged: %s", f.logs.String())
	}
}

// FuzzSessionCredential feeds arbitrary session ids, as the header and as
// the cookie: never a panic, and only the real id is allowed.
func FuzzSessionCredential(f *testing.F) {
	_, rdb := redistest.Miniredis(f)
	fx := newFixture(f, rdb, Config{Policies: policies(f, "per_second=1000000/1s")})
	valid := fx.newSession(f, "fuzz").Token()
	for _, s := range []string{"", valid, valid + " ", "a.b", ".", strings.Repeat("A", 400) + "." + strings.Repeat("A", 43),
		b64("fuzz") + "." + strings.Repeat("A", 43), b64("{fuzz}") + "." + strings.Repeat("_", 43), "\x00.\x00", valid[:len(valid)-1] + "B"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, id string, cookie bool) {
		var req events.APIGatewayCustomAuthorizerRequestTypeRequest
		if cookie {
			req = withCookie(t, SessionCookie+"="+id)
		} else {
			req = request(t, "")
			req.Headers["Authorization"] = "Session " + id
			req.MultiValueHeaders["Authorization"] = []string{"Session " + id}
		}
		resp, err := fx.h.Handle(context.Background(), req)
		if err != nil {
			if !errors.Is(err, ErrUnauthorized) {
				t.Fatalf("id %q: unexpected error %v", id, err)
			}
			return
		}
		if effect(resp) != "Allow" || resp.PrincipalID != "fuzz" || !strings.Contains(id, valid) {
			t.Fatalf("id %q accepted as %+v", id, resp)
		}
	})
}

// A cookie session on a state-changing request needs the CSRF header; a
// safe method, or the session in the Authorization header, needs none.
func TestCookieSessionNeedsCSRFHeaderToChangeState(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	f := newFixture(t, rdb, Config{Policies: policies(t, "per_minute=100/1m")})
	id := f.newSession(t, "alice")
	cases := []struct {
		name, method, header string
		cookie, allow        bool
	}{
		{"cookie GET", "GET", "", true, true},
		{"cookie HEAD", "HEAD", "", true, true},
		{"cookie POST", "POST", "", true, false},
		{"cookie DELETE", "DELETE", "", true, false},
		{"cookie POST, blank header", "POST", " ", true, false},
		{"cookie POST with the header", "POST", "XMLHttpRequest", true, true},
		{"header POST", "POST", "", false, true},
	}
	for _, c := range cases {
		req := request(t, "Session "+id.Token())
		if c.cookie {
			req = withCookie(t, SessionCookie+"="+id.Token())
		}
		req.HTTPMethod = c.method
		if c.header != "" {
			req.Headers[CSRFHeader] = c.header
			req.MultiValueHeaders[CSRFHeader] = []string{c.header}
		}
		resp, err := f.h.Handle(context.Background(), req)
		switch {
		case c.allow && (err != nil || effect(resp) != "Allow"):
			t.Errorf("%s: %+v %v, want Allow", c.name, resp, err)
		case !c.allow && (err == nil || err.Error() != "Unauthorized"):
			t.Errorf("%s: %+v %v, want Unauthorized", c.name, resp, err)
		}
	}
}
