package sessionsapi

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/api/apitest"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/lambdis/lambdis/shared/session"
	"github.com/redis/go-redis/v9"
)

// A token logs in: 201, the cookie with its attributes, a body that names
// the session by handle only; the session has the token's subject and
// scopes and the device name.
func TestCreate(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		f := newFixture(t, rdb)
		resp := f.do(t, request("POST", RouteSessions, nil, `{"device":"Firefox on Linux"}`, token("alice", "read", "write")))
		got := decode[Session](t, resp, 201)
		set := resp.Headers["Set-Cookie"]
		id := cookieID(t, set)
		for _, attr := range []string{"; Path=/", "; Secure", "; HttpOnly", "; SameSite=Lax"} {
			if !strings.Contains(set, attr) {
				t.Errorf("Set-Cookie %q lacks %q", set, attr)
			}
		}
		if strings.Contains(set, "Max-Age") || strings.Contains(set, "Domain") {
			t.Errorf("Set-Cookie %q: want a host-only browser-session cookie", set)
		}
		if id.Subject() != "alice" || got.Handle != id.Handle() || got.Device != "Firefox on Linux" || !got.Current ||
			!slices.Equal(got.Scopes, []string{"read", "write"}) || got.MaxExpires == "" {
			t.Fatalf("created %+v (id %v)", got, id)
		}
		if strings.Contains(resp.Body, id.Token()) || strings.Contains(f.logs.String(), id.Token()) {
			t.Fatal("the session id is in the body or the log")
		}
		s, err := f.store.Peek(context.Background(), id)
		if err != nil || s.Data[DeviceField] != "Firefox on Linux" || !slices.Equal(s.Scopes, []string{"read", "write"}) {
			t.Fatalf("stored %+v %v", s, err)
		}
		max, _ := time.Parse(time.RFC3339, got.MaxExpires)
		created, _ := time.Parse(time.RFC3339, got.Created)
		if d := max.Sub(created); d != session.DefaultMaxTTL {
			t.Fatalf("max lifetime %v, want the store's %v", d, session.DefaultMaxTTL)
		}
		// No body at all is fine too.
		resp = f.do(t, request("POST", RouteSessions, nil, "", token("alice")))
		if got := decode[Session](t, resp, 201); got.Device != "" || len(got.Scopes) != 0 {
			t.Fatalf("no body: %+v", got)
		}
	})
}

// Bad input is a 4xx problem and writes nothing.
func TestCreateRefusals(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		f := newFixture(t, rdb)
		id, _, err := f.store.Create(context.Background(), "bob", session.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		before := dbKeys(t, rdb)
		bad := func(name string, req events.APIGatewayProxyRequest, typ apigw.ProblemType) {
			t.Helper()
			resp := f.do(t, req)
			wantProblem(t, resp, typ)
			if _, ok := resp.Headers["Set-Cookie"]; ok {
				t.Errorf("%s: sets a cookie", name)
			}
			if after := dbKeys(t, rdb); !sameSet(before, after) {
				t.Errorf("%s: keys %v, want %v (nothing written)", name, after, before)
			}
		}
		alice := token("alice", "read")
		nonUTF8 := request("POST", RouteSessions, nil, base64.StdEncoding.EncodeToString([]byte("{\"device\":\"caf\xe9\"}")), alice)
		nonUTF8.IsBase64Encoded = true
		bad("oversize device", request("POST", RouteSessions, nil, `{"device":"`+strings.Repeat("é", 65)+`"}`, alice), apigw.TypeUnprocessable)
		bad("non-UTF-8 device", apitest.OffContract(nonUTF8, "non-UTF-8"), apigw.TypeInvalidJSON)
		bad("lone surrogate", apitest.OffContract(request("POST", RouteSessions, nil, `{"device":"\ud800"}`, alice), "lone surrogate"), apigw.TypeUnprocessable)
		bad("control character", apitest.OffContract(request("POST", RouteSessions, nil, `{"device":"a\nb"}`, alice), "control character"), apigw.TypeUnprocessable)
		bad("unknown member", apitest.OffContract(request("POST", RouteSessions, nil, `{"device":"x","remember":true}`, alice), "unknown member"), apigw.TypeInvalidJSON)
		bad("not an object", apitest.OffContract(request("POST", RouteSessions, nil, `["x"]`, alice), "not an object"), apigw.TypeInvalidJSON)
		bad("too large", apitest.OffContract(request("POST", RouteSessions, nil, `{"device":"`+strings.Repeat("a", MaxBody)+`"}`, alice), "too large"), apigw.TypeBodyTooLarge)
		bad("a session logging in", request("POST", RouteSessions, nil, "", viaSession(id)), apigw.TypeBadRequest)
		bad("anonymous", request("POST", RouteSessions, nil, "", caller{}), apigw.TypeUnauthorized)
		bad("a body on DELETE", apitest.OffContract(request("DELETE", RouteSessions, nil, `{"all":true}`, viaSession(id)), "a body on DELETE"), apigw.TypeInvalidJSON)
		bad("log out with a token", request("DELETE", RouteSession, map[string]string{"handle": Current}, "", token("bob")), apigw.TypeBadRequest)
		bad("PUT", request("PUT", RouteSessions, nil, "", alice), apigw.TypeMethodNotAllowed)
		bad("GET one", request("GET", RouteSession, map[string]string{"handle": id.Handle()}, "", alice), apigw.TypeMethodNotAllowed)
		bad("partial method", request("ET", RouteSessions, nil, "", alice), apigw.TypeMethodNotAllowed)
		bad("unknown route", request("GET", "/sessions/{handle}/x", nil, "", alice), apigw.TypeNotFound)
		if _, err := f.store.Peek(context.Background(), id); err != nil {
			t.Fatalf("bob's session: %v", err)
		}
	})
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// GET lists the caller's sessions and marks the current one; ending one by
// handle, another user's handle (the same 404 as an unknown one), logging
// out, and ending the others.
func TestListAndEnd(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		f := newFixture(t, rdb)
		login := func(sub, device string) session.ID {
			t.Helper()
			resp := f.do(t, request("POST", RouteSessions, nil, fmt.Sprintf(`{"device":%q}`, device), token(sub, "read")))
			decode[Session](t, resp, 201)
			return cookieID(t, resp.Headers["Set-Cookie"])
		}
		a1, a2, a3 := login("alice", "laptop"), login("alice", "phone"), login("alice", "tablet")
		b1 := login("bob", "desktop")
		list := func(c caller) []Session {
			t.Helper()
			return decode[ListResponse](t, f.do(t, request("GET", RouteSessions, nil, "", c)), 200).Sessions
		}
		got := list(viaSession(a2, "read"))
		if len(got) != 3 {
			t.Fatalf("alice's sessions %+v", got)
		}
		devices := map[string]string{}
		for _, s := range got {
			devices[s.Handle] = s.Device
			if s.Current != (s.Handle == a2.Handle()) || s.Created == "" || s.LastSeen == "" || s.Expires == "" {
				t.Errorf("listed %+v", s)
			}
		}
		if devices[a1.Handle()] != "laptop" || devices[a2.Handle()] != "phone" || devices[a3.Handle()] != "tablet" {
			t.Fatalf("devices %v", devices)
		}
		for _, s := range list(token("alice")) {
			if s.Current {
				t.Fatalf("a token caller has no current session: %+v", s)
			}
		}

		end := func(handle string, c caller) events.APIGatewayProxyResponse {
			return f.do(t, request("DELETE", RouteSession, map[string]string{"handle": handle}, "", c))
		}
		other := wantProblem(t, end(b1.Handle(), viaSession(a1)), apigw.TypeNotFound)
		unknown := wantProblem(t, end(strings.Repeat("0", 32), viaSession(a1)), apigw.TypeNotFound)
		malformed := wantProblem(t, end("x", viaSession(a1)), apigw.TypeNotFound)
		if other.Detail != unknown.Detail || other.Detail != malformed.Detail {
			t.Fatalf("another user's handle answers %q, an unknown one %q", other.Detail, unknown.Detail)
		}
		if _, err := f.store.Peek(context.Background(), b1); err != nil {
			t.Fatalf("bob's session ended by alice: %v", err)
		}
		if resp := end(a3.Handle(), viaSession(a1)); resp.StatusCode != 204 || resp.Headers["Set-Cookie"] != "" {
			t.Fatalf("end a3: %d %v %s", resp.StatusCode, resp.Headers, resp.Body)
		}
		if _, err := f.store.Peek(context.Background(), a3); err == nil {
			t.Fatal("a3 still valid")
		}

		// Log out: the cookie is cleared.
		resp := end(Current, viaSession(a2))
		c, err := http.ParseSetCookie(resp.Headers["Set-Cookie"])
		if resp.StatusCode != 204 || err != nil || c.Name != session.CookieName || c.Value != "" || c.MaxAge >= 0 {
			t.Fatalf("log out: %d %q %v", resp.StatusCode, resp.Headers["Set-Cookie"], err)
		}
		if _, err := f.store.Peek(context.Background(), a2); err == nil {
			t.Fatal("logged-out session still valid")
		}

		// Log out other devices.
		a4 := login("alice", "watch")
		ended := decode[EndResponse](t, f.do(t, request("DELETE", RouteSessions, nil, "", viaSession(a4))), 200)
		if ended.Ended != 1 {
			t.Fatalf("ended %+v, want a1", ended)
		}
		got = list(viaSession(a4))
		if len(got) != 1 || got[0].Handle != a4.Handle() || !got[0].Current {
			t.Fatalf("after ending the others: %+v", got)
		}
		if _, err := f.store.Peek(context.Background(), b1); err != nil {
			t.Fatalf("bob's session: %v", err)
		}
		for _, id := range []session.ID{a1, a2, a3, a4, b1} {
			if strings.Contains(f.logs.String(), id.Token()) || strings.Contains(f.logs.String(), strings.SplitN(id.Token(), ".", 2)[1]) {
				t.Fatal("a session id is in the log")
			}
		}
		for _, k := range dbKeys(t, rdb) {
			for _, id := range []session.ID{a1, a2, a3, a4, b1} {
				if strings.Contains(k, strings.SplitN(id.Token(), ".", 2)[1]) {
					t.Fatalf("key %q holds a session secret", k)
				}
			}
		}
	})
}

func TestCookieFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := CookieFromEnv(env(nil))
	if err != nil || c != DefaultCookie {
		t.Fatalf("defaults %+v %v", c, err)
	}
	c, err = CookieFromEnv(env(map[string]string{EnvCookieDomain: "example.com", EnvCookieSameSite: "strict", EnvCookiePath: "/api"}))
	if err != nil {
		t.Fatal(err)
	}
	id, _ := session.ParseID("YWxpY2U." + strings.Repeat("A", 43))
	if got := c.Set(id); !strings.Contains(got, "; Domain=example.com") || !strings.Contains(got, "; SameSite=Strict") || !strings.Contains(got, "; Path=/api") {
		t.Fatalf("Set-Cookie %q", got)
	}
	for _, bad := range []map[string]string{
		{EnvCookieSameSite: "sometimes"},
		{EnvCookieSameSite: "None", EnvCookieSecure: "false"},
		{EnvCookiePath: "api"},
		{EnvCookieSecure: "maybe"},
	} {
		if _, err := CookieFromEnv(env(bad)); err == nil {
			t.Errorf("%v: accepted", bad)
		}
	}
	if c, err := CookieFromEnv(env(map[string]string{EnvCookieSecure: "false"})); err != nil || strings.Contains(c.Set(id), "Secure") {
		t.Fatalf("insecure: %+v %v", c, err)
	}
}
