package authorizer

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/authz"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/redisconn"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

func TestAllowCarriesIdentityAndLimits(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	f := newFixture(t, rdb, Config{Policies: policies(t, "per_second=10/1s,per_minute=100/1m")})
	for name, tok := range map[string]string{
		"HS256": hs256(t, claims("alice", "j1")),
		"RS256": rs256(t, claims("alice", "j2")),
	} {
		resp, err := f.handle(t, "Bearer "+tok)
		if err != nil || effect(resp) != "Allow" {
			t.Fatalf("%s: %+v %v", name, resp, err)
		}
		if resp.PrincipalID != "alice" {
			t.Errorf("%s: principal %q", name, resp.PrincipalID)
		}
		if got := resp.PolicyDocument.Statement[0].Resource[0]; got != "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/*" {
			t.Errorf("%s: resource %q does not cover the stage", name, got)
		}
		ctx := resp.Context
		if ctx[apigw.ContextKeySubject] != "alice" || ctx[apigw.ContextKeyScope] != "read write" || ctx[apigw.ContextKeyIssuer] != testIss || ctx[apigw.ContextKeyAnonymous] != "false" {
			t.Errorf("%s: identity context %v", name, ctx)
		}
		if !contains(ctx[apigw.ContextKeyRateLimitPolicy].(string), `"per_second";q=10;w=1`) ||
			!contains(ctx[apigw.ContextKeyRateLimit].(string), `"per_minute";r=`) {
			t.Errorf("%s: rate-limit context %v", name, ctx)
		}
		for k, v := range ctx {
			if _, ok := v.(string); !ok {
				t.Errorf("%s: context %s is %T; API Gateway passes strings", name, k, v)
			}
		}
	}
}

// Every malformed, forged or unacceptable token is the error "Unauthorized"
// (401 at the gateway) and never a panic or an Allow.
func TestRejectedTokens(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	f := newFixture(t, rdb, Config{Policies: policies(t, "per_minute=100/1m")})
	valid := hs256(t, claims("mallory", "j"))
	parts := strings.Split(valid, ".")
	with := func(mut func(jwt.MapClaims)) jwt.MapClaims {
		c := claims("mallory", "j")
		mut(c)
		return c
	}
	tamperedPayload := parts[0] + "." + hs256Payload(t, with(func(c jwt.MapClaims) { c["sub"] = "admin" })) + "." + parts[2]
	sig := []byte(parts[2])
	sig[3] ^= 1
	tamperedSig := parts[0] + "." + parts[1] + "." + string(sig)

	cases := map[string]string{
		"missing":               "",
		"alg none":              "Bearer " + algNone(t, claims("mallory", "j")),
		"alg confusion":         "Bearer " + algConfusion(t, claims("mallory", "j")),
		"wrong iss":             "Bearer " + hs256(t, with(func(c jwt.MapClaims) { c["iss"] = "https://evil.test" })),
		"wrong aud":             "Bearer " + hs256(t, with(func(c jwt.MapClaims) { c["aud"] = "other" })),
		"missing exp":           "Bearer " + hs256(t, with(func(c jwt.MapClaims) { delete(c, "exp") })),
		"missing iat":           "Bearer " + hs256(t, with(func(c jwt.MapClaims) { delete(c, "iat") })),
		"expired":               "Bearer " + hs256(t, with(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Minute).Unix() })),
		"lifetime too long":     "Bearer " + hs256(t, with(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(48 * time.Hour).Unix() })),
		"missing sub":           "Bearer " + hs256(t, with(func(c jwt.MapClaims) { delete(c, "sub") })),
		"tampered payload":      "Bearer " + tamperedPayload,
		"tampered signature":    "Bearer " + tamperedSig,
		"other secret":          "Bearer " + otherSecret(t, claims("mallory", "j")),
		"basic scheme":          "Basic bWFsbG9yeTpwdw==",
		"bearer only":           "Bearer",
		"bearer two tokens":     "Bearer " + valid + " " + valid,
		"two segments":          "Bearer a.b",
		"control characters":    "Bearer " + valid + "\r\nX-Injected: 1",
		"huge":                  "Bearer " + strings.Repeat("a", 9000) + ".b.c",
		"non-json header":       "Bearer bm90LWpzb24." + parts[1] + "." + parts[2],
		"unicode":               "Bearer \u00e9\u00e9.\u00e9.\u00e9",
		"empty segments":        "Bearer ..",
		"percent-encoded token": "Bearer " + strings.ReplaceAll(valid, ".", "%2E"),
	}
	for name, auth := range cases {
		resp, err := f.handle(t, auth)
		if !errors.Is(err, ErrUnauthorized) || err.Error() != "Unauthorized" {
			t.Errorf("%s: err = %v, resp = %+v; want Unauthorized", name, err, resp)
		}
	}
	// Two Authorization headers.
	req := request(t, "Bearer "+valid)
	req.MultiValueHeaders["authorization"] = []string{"Bearer " + valid}
	if _, err := f.h.Handle(context.Background(), req); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("two Authorization headers: %v", err)
	}
	// None of them spent any budget: the valid token still has 99 left after its call.
	resp, err := f.handle(t, "Bearer "+valid)
	if err != nil || resp.Context[apigw.ContextKeyRemaining] != "99" {
		t.Fatalf("valid token after the rejections: %+v %v", resp, err)
	}
	if m := f.flushed(t); !contains(m, `"Unauthorized"`) || !contains(m, `"Cause"`) {
		t.Errorf("no Unauthorized metric: %s", m)
	}
}

func hs256Payload(t *testing.T, c jwt.MapClaims) string {
	return strings.Split(hs256(t, c), ".")[1]
}

func otherSecret(t *testing.T, c jwt.MapClaims) string {
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte("another-secret-of-32-bytes-or-more!!"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRateLimitedIsDenyWithContext(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		f := newFixture(t, rdb, Config{Policies: policies(t, "per_second=50/1s,per_hour=3/1h")})
		tok := "Bearer " + hs256(t, claims("bob", "j"))
		for i := 0; i < 3; i++ {
			if resp, err := f.handle(t, tok); err != nil || effect(resp) != "Allow" {
				t.Fatalf("request %d: %+v %v", i, resp, err)
			}
		}
		resp, err := f.handle(t, tok)
		if err != nil || effect(resp) != "Deny" {
			t.Fatalf("4th request: %+v %v", resp, err)
		}
		ctx := resp.Context
		if ctx[apigw.ContextKeyPolicy] != "per_hour" || ctx[apigw.ContextKeyLimit] != "3" || ctx[apigw.ContextKeyRemaining] != "0" {
			t.Fatalf("deny context %v", ctx)
		}
		if ra := ctx[apigw.ContextKeyRetryAfter].(string); ra < "1" || len(ra) > 4 {
			t.Fatalf("retry_after %q", ra)
		}
		// The gateway response built from this context is the 429 problem.
		gw := apigw.RateLimitedResponse(ctx)
		if gw.StatusCode != 429 || gw.Headers["Retry-After"] != ctx[apigw.ContextKeyRetryAfter] {
			t.Fatalf("gateway response %+v", gw)
		}
	})
}

func TestAnonymousByIP(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	off := newFixture(t, rdb, Config{Policies: policies(t, "per_minute=100/1m")})
	if _, err := off.handle(t, ""); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("anonymous disabled: %v", err)
	}
	on := newFixture(t, rdb, Config{Policies: policies(t, "per_minute=100/1m"), AnonymousPolicies: policies(t, "anon=2/1h")})
	for i := 0; i < 2; i++ {
		resp, err := on.handle(t, "")
		if err != nil || effect(resp) != "Allow" || resp.Context[apigw.ContextKeyAnonymous] != "true" || resp.PrincipalID != "anonymous:ip:203.0.113.7" {
			t.Fatalf("anonymous %d: %+v %v", i, resp, err)
		}
	}
	if resp, err := on.handle(t, ""); err != nil || effect(resp) != "Deny" {
		t.Fatalf("anonymous over limit: %+v %v", resp, err)
	}
	req := request(t, "")
	req.RequestContext.Identity.SourceIP = "198.51.100.9"
	if resp, err := on.h.Handle(context.Background(), req); err != nil || effect(resp) != "Allow" {
		t.Fatalf("another IP: %+v %v", resp, err)
	}
	// A token still goes the token way.
	if resp, err := on.handle(t, "Bearer "+hs256(t, claims("carol", "j"))); err != nil || resp.PrincipalID != "carol" {
		t.Fatalf("token with anonymous enabled: %+v %v", resp, err)
	}
}

func TestRevokedAndCutOff(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		f := newFixture(t, rdb, Config{Policies: policies(t, "per_minute=100/1m")})
		store, err := authz.NewStore(rdb, keys.Builder{}, authz.StoreConfig{Leeway: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		c := claims("dave", "revoke-me")
		tok := "Bearer " + hs256(t, c)
		if _, err := f.handle(t, tok); err != nil {
			t.Fatal(err)
		}
		if err := store.Revoke(ctx, "dave", testIss, "revoke-me", time.Unix(c["exp"].(int64), 0)); err != nil {
			t.Fatal(err)
		}
		if _, err := f.handle(t, tok); !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("revoked token: %v", err)
		}
		other := "Bearer " + hs256(t, claims("dave", "other"))
		if _, err := f.handle(t, other); err != nil {
			t.Fatalf("sibling token: %v", err)
		}
		cut, err := store.RevokeAll(ctx, "dave")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.handle(t, other); !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("token before revoke-all: %v", err)
		}
		later := claims("dave", "later")
		later["iat"] = cut.Unix() + 1
		f.ahead.Store(int64(time.Until(cut.Add(time.Second)))) // checked once the window has passed
		defer f.ahead.Store(0)
		if resp, err := f.handle(t, "Bearer "+hs256(t, later)); err != nil || effect(resp) != "Allow" {
			t.Fatalf("token after revoke-all: %+v %v", resp, err)
		}
	})
}

// Each authorizer decision is exactly one command on the server.
func TestOneRoundTripPerDecision(t *testing.T) {
	srv := redistest.StartServer(t)
	f := newFixture(t, srv.Client(t), Config{Policies: policies(t, "per_second=100/1s,per_minute=1000/1m,per_day=10000/1d")})
	ctx := context.Background()
	tok := "Bearer " + hs256(t, claims("erin", "j"))
	if _, err := f.handle(t, tok); err != nil {
		t.Fatal(err)
	}
	before, err := srv.Calls(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const n = 20
	for i := 0; i < n; i++ {
		if resp, err := f.handle(t, tok); err != nil || effect(resp) != "Allow" {
			t.Fatalf("%+v %v", resp, err)
		}
	}
	after, err := srv.Calls(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d := redistest.CallsDelta(before, after)
	if d["evalsha"] != n {
		t.Fatalf("deltas %v: want %d EVALSHA, one per decision", d, n)
	}
	for cmd := range d {
		switch cmd {
		case "evalsha", "time", "mget", "set":
		default:
			t.Fatalf("unexpected command %q: %v", cmd, d)
		}
	}
}

// blackhole accepts connections and never answers: a hung Redis.
func blackhole(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return l.Addr().String()
}

// With Redis stopped or hung, the authorizer answers within its timeout and
// follows the configured failure directions, logging and counting each.
func TestOutage(t *testing.T) {
	srv := redistest.StartServer(t)
	// The clients are built by the factory the functions use.
	client := func(addr string) redis.UniversalClient {
		rdb, err := redisconn.New(context.Background(), redisconn.Config{Addrs: []string{addr}, SkipPing: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = rdb.Close() })
		return rdb
	}
	stopped, hung := client(srv.Addr), client(blackhole(t))

	type want struct {
		err    error
		effect string
	}
	cases := []struct {
		name      string
		revOpen   bool
		rlOpen    bool
		anonymous bool
		want      want
	}{
		{"default fails closed", false, true, false, want{ErrUnavailable, ""}},
		{"revocation open, limiter open", true, true, false, want{nil, "Allow"}},
		{"revocation open, limiter closed", true, false, false, want{nil, "Deny"}},
		{"anonymous, limiter open", false, true, true, want{nil, "Allow"}},
		{"anonymous, limiter closed", false, false, true, want{nil, "Deny"}},
	}
	const timeout = 150 * time.Millisecond
	tok := "Bearer " + hs256(t, claims("frank", "j"))
	for _, backend := range []struct {
		name string
		rdb  redis.UniversalClient
	}{{"stopped", stopped}, {"hung", hung}} {
		for _, tc := range cases {
			t.Run(backend.name+"/"+tc.name, func(t *testing.T) {
				cfg := Config{
					Policies: policies(t, "per_minute=100/1m"), RedisTimeout: timeout,
					RevocationFailOpen: tc.revOpen, RateLimitFailOpen: tc.rlOpen,
				}
				auth := tok
				if tc.anonymous {
					cfg.AnonymousPolicies = policies(t, "anon=10/1m")
					auth = ""
				}
				f := newFixture(t, backend.rdb, cfg)
				if backend.name == "stopped" {
					// Warm the pool and load the script, then kill the server mid-test.
					srv.Restart()
					if _, err := f.handle(t, auth); err != nil {
						t.Fatalf("before the outage: %v", err)
					}
					srv.Stop()
				}
				start := time.Now()
				resp, err := f.handle(t, auth)
				elapsed := time.Since(start)
				if !errors.Is(err, tc.want.err) || effect(resp) != tc.want.effect {
					t.Fatalf("got %+v, %v; want %v %q", resp, err, tc.want.err, tc.want.effect)
				}
				// The answer comes within the configured Redis timeout (plus
				// scheduling slack): no retry loop outlives it.
				if elapsed > timeout+time.Second {
					t.Fatalf("answered after %v with a %v timeout", elapsed, timeout)
				}
				metric, level := "FailOpen", `"level":"WARN"`
				if tc.want.effect != "Allow" {
					metric, level = "FailClosed", `"level":"ERROR"`
				}
				if m := f.flushed(t); !contains(m, `"`+metric+`"`) {
					t.Errorf("metric %s not emitted: %s", metric, m)
				}
				if !contains(f.logs.String(), level) {
					t.Errorf("no %s log line: %s", level, f.logs.String())
				}
				if tc.want.effect == "Deny" {
					if gw := apigw.RateLimitedResponse(resp.Context); gw.StatusCode != 429 {
						t.Errorf("fail-closed limiter gateway response %d", gw.StatusCode)
					}
				}
			})
		}
	}
}

func TestConfigFromEnvNamesTheVariable(t *testing.T) {
	good := map[string]string{}
	if _, err := ConfigFromEnv(func(k string) string { return good[k] }); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for name, val := range map[string]string{
		EnvRateLimits:          "per_minute=0/1m",
		EnvRateLimitsAnonymous: "anon",
		EnvMaxTokenTTL:         "forever",
		EnvRedisTimeout:        "0ms",
		EnvRateLimitFailOpen:   "perhaps",
		EnvRevocationFailOpen:  "2",
	} {
		_, err := ConfigFromEnv(func(k string) string {
			if k == name {
				return val
			}
			return ""
		})
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: err = %v, want it to name %s", name, val, err, name)
		}
	}
	c, err := ConfigFromEnv(func(k string) string {
		return map[string]string{EnvMaxTokenTTL: "0", EnvRateLimits: "a=1/1s", EnvRateLimitsAnonymous: "b=2/1m"}[k]
	})
	if err != nil || c.MaxTokenTTL != authz.Unbounded || len(c.Policies) != 1 || len(c.AnonymousPolicies) != 1 {
		t.Fatalf("parsed %+v %v", c, err)
	}
}

func TestFromEnvNamesTheVariable(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	base := map[string]string{"JWT_SECRET": string(secret)}
	for name, val := range map[string]string{
		"LAMBDIS_KEY_PREFIX": "a:b",
		"JWT_LEEWAY":         "5m",
		"JWT_ALGORITHMS":     "HS999",
		"JWT_JWKS_URL":       "ftp://keys",
		EnvRateLimits:        "x=1/1y",
	} {
		_, err := FromEnv(context.Background(), func(k string) string {
			if k == name {
				return val
			}
			return base[k]
		}, rdb, nil, nil, nil)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: err = %v, want it to name %s", name, val, err, name)
		}
	}
	if _, err := FromEnv(context.Background(), func(string) string { return "" }, rdb, nil, nil, nil); err == nil {
		t.Error("no JWT key source accepted")
	}
	if _, err := FromEnv(context.Background(), func(k string) string { return base[k] }, rdb, nil, nil, nil); err != nil {
		t.Errorf("minimal config: %v", err)
	}
}

// When several policies deny, the answer names the one that keeps the client
// out longest: waiting its Retry-After is enough for all of them.
func TestDenyNamesTheLongestWait(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	f := newFixture(t, rdb, Config{Policies: policies(t, "per_second=1/1s,per_hour=1/1h")})
	tok := "Bearer " + hs256(t, claims("gail", "j"))
	if resp, err := f.handle(t, tok); err != nil || effect(resp) != "Allow" {
		t.Fatalf("first request: %+v %v", resp, err)
	}
	// Now per_hour is exhausted (wait ~1 h) and per_second too (wait < 1 s).
	resp, err := f.handle(t, tok)
	if err != nil || effect(resp) != "Deny" {
		t.Fatalf("%+v %v", resp, err)
	}
	if resp.Context[apigw.ContextKeyPolicy] != "per_hour" {
		t.Fatalf("deny names %v, want per_hour", resp.Context[apigw.ContextKeyPolicy])
	}
	if ra := resp.Context[apigw.ContextKeyRetryAfter].(string); len(ra) < 4 { // ≥ 1000 s
		t.Fatalf("retry_after %s s is the short wait", ra)
	}
}

// A JWKS outage is not the token's fault: 503 (fail closed), never 401.
func TestSigningKeysUnavailableIsNot401(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	dead := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusBadGateway)
	}))
	t.Cleanup(dead.Close)
	v, err := authz.NewVerifier(authz.VerifierConfig{JWKSURL: dead.URL, Issuer: testIss, Audience: testAud, Algorithms: []string{authz.AlgRS256}})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, rdb, Config{Policies: policies(t, "per_minute=10/1m")})
	f.h.Verifier = v
	if _, err := f.handle(t, "Bearer "+rs256(t, claims("hana", "j"))); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
}

// Anonymous IPv6 callers share their /64's budget.
func TestAnonymousIPv6SharesTheSlash64(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	f := newFixture(t, rdb, Config{Policies: policies(t, "per_minute=10/1m"), AnonymousPolicies: policies(t, "anon=2/1h")})
	for i, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2::ffff", "2001:db8:1:2:aaaa::9"} {
		req := request(t, "")
		req.RequestContext.Identity.SourceIP = ip
		resp, err := f.h.Handle(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]string{true: "Allow", false: "Deny"}[i < 2]; effect(resp) != want {
			t.Fatalf("%s: %s, want %s", ip, effect(resp), want)
		}
	}
}

// Issue 12, item 3: a token minted just before a revoke-all by an issuer whose
// clock runs ahead (iat up to the leeway in the future, which the verifier
// accepts) must not survive it; the price is a window of one leeway after the
// revoke-all in which newly minted tokens are refused too. Both sides of the
// window, through the handler.
func TestRevokeAllCoversTheLeeway(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		f := newFixture(t, rdb, Config{Policies: policies(t, "per_minute=1000/1m")})
		const leeway = 5 // seconds, the fixture's verifier and store
		now := time.Now().Unix()
		ahead := claims("carol", "ahead")
		ahead["iat"] = now + leeway - 1 // the review's iat = now+28 with a 30s leeway
		aheadTok := "Bearer " + hs256(t, ahead)
		if resp, err := f.handle(t, aheadTok); err != nil || effect(resp) != "Allow" {
			t.Fatalf("before revoke-all: %+v %v", resp, err)
		}
		store, err := authz.NewStore(rdb, keys.Builder{}, authz.StoreConfig{Leeway: leeway * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		cut, err := store.RevokeAll(ctx, "carol")
		if err != nil {
			t.Fatal(err)
		}
		if cut.Unix() < now+leeway {
			t.Fatalf("cut-off %d is before now+leeway %d", cut.Unix(), now+leeway)
		}
		// Rejected afterwards, and still when checked later (its iat is no
		// longer in the future then).
		for _, later := range []time.Duration{0, leeway * time.Second} {
			f.ahead.Store(int64(later))
			if _, err := f.handle(t, aheadTok); !errors.Is(err, ErrUnauthorized) {
				t.Fatalf("token of iat now+%ds, checked %v after revoke-all: %v", leeway-1, later, err)
			}
		}
		// Inside the window: a token minted at the cut-off's second is refused.
		inside := claims("carol", "inside")
		inside["iat"] = cut.Unix()
		f.ahead.Store(int64(time.Until(cut)))
		if _, err := f.handle(t, "Bearer "+hs256(t, inside)); !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("token minted inside the window: %v", err)
		}
		// After the window: minted one second after the cut-off, it passes.
		after := claims("carol", "after")
		after["iat"] = cut.Unix() + 1
		f.ahead.Store(int64(time.Until(cut.Add(time.Second))))
		if resp, err := f.handle(t, "Bearer "+hs256(t, after)); err != nil || effect(resp) != "Allow" {
			t.Fatalf("token minted after the window: %+v %v", resp, err)
		}
	})
}
