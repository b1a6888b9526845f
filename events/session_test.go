package events_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/functions/session/sessionsapi"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/redisconn"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/lambdis/lambdis/shared/rietest"
	"github.com/lambdis/lambdis/shared/session"
)

// The samples of the session function (SessionFunction). They are made by
// sessionSamples and checked here (TestSessionSamples,
// TestSessionUnderEmulator), not by the ratelimit/revoke tests.
const (
	sessionFunction      = "SessionFunction"
	fileSessionLogin     = "session-login.json"
	fileSessionList      = "session-list.json"
	fileSessionEndOthers = "session-end-others.json"
	fileSessionLogout    = "session-logout.json"
	sampleDevice         = "Firefox on Linux"
)

// sessionFiles are the events of SessionFunction.
var sessionFiles = []string{fileSessionEndOthers, fileSessionList, fileSessionLogin, fileSessionLogout}

// browserToken is the user of the session samples, a subject of its own.
var browserToken = sampleToken{sub: "sample-browser", jti: "sample-browser-token", scopes: []string{"read", "write"}}

// sampleSessionID is the session the logout and end-others samples
// present: a fixed id (its secret is a hash of a fixed text), so the files
// do not change; under the emulator the test swaps in a live session's
// handle where it needs one.
func sampleSessionID(t testing.TB) session.ID {
	t.Helper()
	secret := sha256.Sum256([]byte("lambdis sample session"))
	id, err := session.ParseID(base64.RawURLEncoding.EncodeToString([]byte(browserToken.sub)) + "." + base64.RawURLEncoding.EncodeToString(secret[:]))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

var sessionResourceIDs = map[string]string{sessionsapi.RouteSessions: "s3ss10", sessionsapi.RouteSession: "s3ss1d"}

// sessionEnv is SessionFunction's entry for env.json: Redis only, every
// other variable at its default.
func sessionEnv() map[string]string {
	return map[string]string{redisconn.EnvURL: samRedisURL}
}

// sessionSamples returns the session events by name: a token logs in and
// lists; a browser presenting its cookie (and X-Requested-With, which the
// authorizer requires of a cookie request that changes state) ends its
// other sessions and logs out.
func sessionSamples(t testing.TB) map[string]any {
	t.Helper()
	withToken := func(name, method, resource string, params map[string]string, body string) events.APIGatewayProxyRequest {
		path := resource
		for k, v := range params {
			path = strings.ReplaceAll(path, "{"+k+"}", v)
		}
		e := proxyEvent(t, name, method, resource, path, params, browserToken, "Bearer "+browserToken.sign(t), body)
		e.RequestContext.ResourceID = sessionResourceIDs[resource]
		return e
	}
	withCookie := func(name, method, resource string, params map[string]string) events.APIGatewayProxyRequest {
		e := withToken(name, method, resource, params, "")
		id := sampleSessionID(t)
		for _, k := range []string{"Authorization"} {
			delete(e.Headers, k)
			delete(e.MultiValueHeaders, k)
		}
		for k, v := range map[string]string{"Cookie": session.CookieName + "=" + id.Token(), "X-Requested-With": "XMLHttpRequest"} {
			e.Headers[k] = v
			e.MultiValueHeaders[k] = []string{v}
		}
		ctx := e.RequestContext.Authorizer
		delete(ctx, apigw.ContextKeyJTI)
		delete(ctx, apigw.ContextKeyIssuer)
		ctx["auth"] = "session"
		ctx[apigw.ContextKeySession] = id.Handle()
		return e
	}
	return map[string]any{
		fileSessionLogin:     withToken(fileSessionLogin, "POST", sessionsapi.RouteSessions, nil, `{"device":"`+sampleDevice+`"}`),
		fileSessionList:      withToken(fileSessionList, "GET", sessionsapi.RouteSessions, nil, ""),
		fileSessionEndOthers: withCookie(fileSessionEndOthers, "DELETE", sessionsapi.RouteSessions, nil),
		fileSessionLogout:    withCookie(fileSessionLogout, "DELETE", sessionsapi.RouteSession, map[string]string{"handle": sessionsapi.Current}),
	}
}

// TestSessionSamples checks that the session files are what sessionSamples
// makes (with -update it writes them) and decode strictly, and that a
// token caller's context matches its token and a session caller's names
// the handle of the cookie's session, never the id.
func TestSessionSamples(t *testing.T) {
	samples := sessionSamples(t)
	if got := slices.Sorted(maps.Keys(samples)); !slices.Equal(got, sessionFiles) {
		t.Fatalf("sessionSamples makes %v, want %v", got, sessionFiles)
	}
	v := devVerifier(t)
	for _, name := range sessionFiles {
		t.Run(name, func(t *testing.T) {
			want := encode(t, samples[name])
			if *update {
				if err := os.WriteFile(name, want, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if got, err := os.ReadFile(name); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("events/%s differs from what sessionSamples makes (%v); run: go test ./events -run TestSessionSamples -update", name, err)
			}
			ev := proxySample(t, name)
			id := proxyCaller(t, ev)
			if id.Subject != browserToken.sub || id.Anonymous {
				t.Fatalf("caller %+v", id)
			}
			if id.Session == "" {
				raw := strings.TrimPrefix(authorization(t, name, ev.Headers, ev.MultiValueHeaders), "Bearer ")
				c, err := v.Verify(context.Background(), raw)
				if err != nil || c.Subject != id.Subject || c.ID != id.JTI || !slices.Equal(c.Scopes, id.Scopes) {
					t.Fatalf("token %+v (%v) does not match the context %+v", c, err, id)
				}
				return
			}
			sid := sampleSessionID(t)
			if id.Session != sid.Handle() || ev.Headers["Cookie"] != session.CookieName+"="+sid.Token() || ev.Headers["X-Requested-With"] == "" {
				t.Fatalf("session caller %+v, headers %v", id, ev.Headers)
			}
			if strings.Contains(js(t, ev.RequestContext.Authorizer), strings.SplitN(sid.Token(), ".", 2)[1]) {
				t.Fatal("the authorizer context holds the session secret")
			}
		})
	}
}

func js(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sessionStackEnv is the function's environment: env.json's Parameters and
// SessionFunction entry, with REDIS_URL pointing at the test's server and
// debug logs.
func sessionStackEnv(t *testing.T, redisAddr string) []string {
	t.Helper()
	return functionEnv(t, sessionFunction, redisAddr)
}

// withSession is the sample name presenting the session of handle instead
// of the sample's.
func withSession(t *testing.T, name, handle string) []byte {
	t.Helper()
	ev := proxySample(t, name)
	ev.RequestContext.Authorizer[apigw.ContextKeySession] = handle
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSessionUnderEmulator runs the real session bootstrap under
// aws-lambda-rie, as `sam local invoke` does, on a real redis-server: log
// in, list, end the others, log out.
func TestSessionUnderEmulator(t *testing.T) {
	bin := rietest.Build(t, "session")
	srv := redistest.StartServer(t)
	rdb := srv.Client(t)
	store, err := session.NewStore(rdb, keys.Builder{}, session.Config{})
	if err != nil {
		t.Fatal(err)
	}
	fn := rietest.Start(t, bin, sessionStackEnv(t, srv.Addr))
	call := func(payload []byte) events.APIGatewayProxyResponse {
		t.Helper()
		return invoke[events.APIGatewayProxyResponse](t, fn, "session", payload)
	}
	login := func() (session.ID, sessionsapi.Session) {
		t.Helper()
		resp := call(readSample(t, fileSessionLogin))
		var s sessionsapi.Session
		jsonBody(t, resp, 201, apigw.JSONContentType, &s)
		c, err := http.ParseSetCookie(resp.Headers["Set-Cookie"])
		if err != nil || c.Name != session.CookieName || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
			t.Fatalf("Set-Cookie %q: %v", resp.Headers["Set-Cookie"], err)
		}
		id, err := session.ParseID(c.Value)
		if err != nil || id.Subject() != browserToken.sub || s.Handle != id.Handle() || s.Device != sampleDevice || !s.Current {
			t.Fatalf("session-login: %+v, id %v (%v)", s, id, err)
		}
		if strings.Contains(resp.Body, c.Value) {
			t.Fatal("session-login: the body holds the id")
		}
		return id, s
	}
	ctx := context.Background()

	first, _ := login()
	if got, err := store.Peek(ctx, first); err != nil || got.Data[sessionsapi.DeviceField] != sampleDevice || !slices.Equal(got.Scopes, browserToken.scopes) {
		t.Fatalf("stored %+v %v", got, err)
	}
	second, _ := login()
	var list sessionsapi.ListResponse
	jsonBody(t, call(readSample(t, fileSessionList)), 200, apigw.JSONContentType, &list)
	if len(list.Sessions) != 2 || list.Sessions[0].Current || list.Sessions[1].Current {
		t.Fatalf("session-list: %+v", list)
	}

	// session-end-others as the second session: the first ends.
	var ended sessionsapi.EndResponse
	jsonBody(t, call(withSession(t, fileSessionEndOthers, second.Handle())), 200, apigw.JSONContentType, &ended)
	if ended.Ended != 1 {
		t.Fatalf("session-end-others: %+v", ended)
	}
	if _, err := store.Peek(ctx, first); err == nil {
		t.Fatal("the other session survived")
	}
	// The sample as it is: its own session is not a live one, so every
	// live session is another.
	jsonBody(t, call(readSample(t, fileSessionEndOthers)), 200, apigw.JSONContentType, &ended)
	if ended.Ended != 1 {
		t.Fatalf("session-end-others (sample session): %+v", ended)
	}

	// session-logout: 204 and a cookie that clears itself, as is and for a
	// live session, which ends.
	third, _ := login()
	for _, payload := range [][]byte{readSample(t, fileSessionLogout), withSession(t, fileSessionLogout, third.Handle())} {
		resp := call(payload)
		c, err := http.ParseSetCookie(resp.Headers["Set-Cookie"])
		if resp.StatusCode != 204 || err != nil || c.Name != session.CookieName || c.Value != "" || c.MaxAge >= 0 {
			t.Fatalf("session-logout: %d %v (%v)", resp.StatusCode, resp.Headers, err)
		}
	}
	if _, err := store.Peek(ctx, third); err == nil {
		t.Fatal("the logged-out session survived")
	}
	// No key holds a session secret.
	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []session.ID{first, second, third} {
		secret := strings.SplitN(id.Token(), ".", 2)[1]
		if slices.ContainsFunc(keys, func(k string) bool { return strings.Contains(k, secret) }) {
			t.Fatalf("a key holds a session secret: %v", keys)
		}
	}
}
