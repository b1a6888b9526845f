package localapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lambdis/lambdis/cmd/lambdis/localapi"
	"github.com/lambdis/lambdis/functions/session/sessionsapi"
	"github.com/lambdis/lambdis/shared/authz"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/lambdis/lambdis/shared/session"
)

// browser is a client with a cookie jar of its own, as one browser is.
type browser struct {
	t      *testing.T
	base   *url.URL
	client *http.Client
	jar    *cookiejar.Jar
	seen   *[]string // every response body and log-free header, for the id check
}

func newBrowser(t *testing.T, hs *httptest.Server, seen *[]string) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := *hs.Client() // the server's TLS trust; one jar per browser
	c.Jar = jar
	u, _ := url.Parse(hs.URL)
	return &browser{t: t, base: u, client: &c, jar: jar, seen: seen}
}

// do sends a request with the jar's cookies; header adds headers.
func (b *browser) do(method, path, body string, header ...string) (int, []byte, http.Header) {
	b.t.Helper()
	req, err := http.NewRequest(method, b.base.String()+path, strings.NewReader(body))
	if err != nil {
		b.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	for k, vs := range resp.Header {
		if k != "Set-Cookie" {
			*b.seen = append(*b.seen, k+": "+strings.Join(vs, ", "))
		}
	}
	*b.seen = append(*b.seen, string(data))
	return resp.StatusCode, data, resp.Header
}

// cookie returns the session id the jar holds ("" when none).
func (b *browser) cookie() string {
	for _, c := range b.jar.Cookies(b.base) {
		if c.Name == session.CookieName {
			return c.Value
		}
	}
	return ""
}

func (b *browser) login(token, device string) sessionsapi.Session {
	b.t.Helper()
	status, body, hdr := b.do("POST", "/sessions", `{"device":"`+device+`"}`, "Authorization", "Bearer "+token)
	var s sessionsapi.Session
	if status != 201 || json.Unmarshal(body, &s) != nil || b.cookie() == "" {
		b.t.Fatalf("login: %d %s, cookie %q %v", status, body, b.cookie(), hdr)
	}
	return s
}

func (b *browser) sessions() (int, []sessionsapi.Session) {
	b.t.Helper()
	status, body, _ := b.do("GET", "/sessions", "")
	var l sessionsapi.ListResponse
	if status == 200 {
		if err := json.Unmarshal(body, &l); err != nil {
			b.t.Fatalf("GET /sessions: %s: %v", body, err)
		}
	}
	return status, l.Sessions
}

// The browser flow through the local API with cookie jars: a token logs
// in, the cookie alone authorizes calls, GET /sessions shows the session,
// a cookie request that changes state needs X-Requested-With, DELETE
// /sessions leaves only the current session, log out clears the cookie and
// ends the session, revoke-all ends every session. No response, log line or
// Redis key holds a session id, and a handle is no credential.
func TestBrowserSessionFlow(t *testing.T) {
	mr, rdb := redistest.Miniredis(t)
	logs := newLogBuffer(t)
	srv, err := localapi.New(context.Background(), localapi.Config{
		Redis: rdb, LogOutput: logs,
		Getenv: env(map[string]string{session.EnvMaxTTL: "1h", "LOG_LEVEL": "debug"}),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	hs := httptest.NewTLSServer(srv) // the cookie is Secure
	t.Cleanup(hs.Close)

	// A token that expires in two minutes still gets a session bounded by
	// SESSION_MAX_TTL.
	token, err := authz.SignHS256([]byte(authz.LocalDevSecret), authz.Claims{Subject: "alice", Scopes: []string{"read", "write"}}, time.Now(), 2*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	laptop, phone, tablet := newBrowser(t, hs, &seen), newBrowser(t, hs, &seen), newBrowser(t, hs, &seen)
	var ids []string
	login := func(b *browser, device string) sessionsapi.Session {
		s := b.login(token, device)
		ids = append(ids, b.cookie())
		return s
	}

	s := login(laptop, "laptop")
	created, _ := time.Parse(time.RFC3339, s.Created)
	maxExp, _ := time.Parse(time.RFC3339, s.MaxExpires)
	if maxExp.Sub(created) != time.Hour || !s.Current {
		t.Fatalf("session %+v: want a maximum lifetime of SESSION_MAX_TTL (1h), not the token's", s)
	}
	// Calls with the cookie alone.
	status, body, _ := laptop.do("GET", "/tokens/self", "")
	if status != 200 || !strings.Contains(string(body), `"sub":"alice"`) {
		t.Fatalf("GET /tokens/self with the cookie: %d %s", status, body)
	}
	status, list := laptop.sessions()
	if status != 200 || len(list) != 1 || list[0].Handle != s.Handle || !list[0].Current || list[0].Device != "laptop" {
		t.Fatalf("GET /sessions: %d %+v", status, list)
	}
	// A session logging in again is refused, and writes nothing.
	if status, body, _ := laptop.do("POST", "/sessions", "", "X-Requested-With", "fetch"); status != 400 {
		t.Fatalf("POST /sessions with a session: %d %s", status, body)
	}
	// A cookie request that changes state without X-Requested-With is
	// refused by the authorizer; nothing is written.
	if status, body, _ := laptop.do("DELETE", "/sessions/current", ""); status != 401 {
		t.Fatalf("DELETE without X-Requested-With: %d %s", status, body)
	}
	if status, list := laptop.sessions(); status != 200 || len(list) != 1 {
		t.Fatalf("after the refused requests: %d %+v", status, list)
	}
	// A handle is not a credential, in any form.
	subject := base64.RawURLEncoding.EncodeToString([]byte("alice"))
	for _, h := range [][]string{
		{"Authorization", "Session " + s.Handle},
		{"Authorization", "Session " + subject + "." + s.Handle},
		{"Cookie", session.CookieName + "=" + s.Handle},
		{"Cookie", session.CookieName + "=" + subject + "." + s.Handle},
	} {
		b := newBrowser(t, hs, &seen)
		if status, body, _ := b.do("GET", "/sessions", "", h...); status != 401 {
			t.Fatalf("%v: %d %s", h, status, body)
		}
	}

	// Two more sessions; DELETE /sessions leaves only the current one.
	login(phone, "phone")
	login(tablet, "tablet")
	if _, list := laptop.sessions(); len(list) != 3 {
		t.Fatalf("three sessions: %+v", list)
	}
	status, body, _ = laptop.do("DELETE", "/sessions", "", "X-Requested-With", "fetch")
	if status != 200 || string(body) != `{"ended":2}` {
		t.Fatalf("DELETE /sessions: %d %s", status, body)
	}
	for _, b := range []*browser{phone, tablet} {
		if status, _ := b.sessions(); status != 401 {
			t.Fatalf("an other session still works: %d", status)
		}
	}
	if status, list := laptop.sessions(); status != 200 || len(list) != 1 || list[0].Handle != s.Handle {
		t.Fatalf("after DELETE /sessions: %d %+v", status, list)
	}

	// Log out: the cookie is cleared, and the old one no longer works.
	login(phone, "phone")
	old := phone.cookie()
	status, body, hdr := phone.do("DELETE", "/sessions/current", "", "X-Requested-With", "fetch")
	if status != 204 || !strings.Contains(hdr.Get("Set-Cookie"), session.CookieName+"=;") || phone.cookie() != "" {
		t.Fatalf("log out: %d %s %q, jar %q", status, body, hdr.Get("Set-Cookie"), phone.cookie())
	}
	if status, _, _ := phone.do("GET", "/sessions", "", "Cookie", session.CookieName+"="+old); status != 401 {
		t.Fatalf("the logged-out cookie: %d", status)
	}

	// Revoke-all ends every session.
	login(tablet, "tablet")
	status, body, _ = laptop.do("POST", "/users/alice/revoke-all", "", "X-Requested-With", "fetch")
	if status != 200 || !strings.Contains(string(body), `"sessions":2`) {
		t.Fatalf("revoke-all: %d %s", status, body)
	}
	for _, b := range []*browser{laptop, tablet} {
		if status, _ := b.sessions(); status != 401 {
			t.Fatalf("a session survived revoke-all: %d", status)
		}
	}

	// No response, log line or Redis key holds a session id or its secret.
	for _, id := range ids {
		_, secret, _ := strings.Cut(id, ".")
		if id == "" || secret == "" {
			t.Fatalf("cookie value %q", id)
		}
		for _, text := range seen {
			if strings.Contains(text, secret) {
				t.Fatalf("a response holds a session secret: %s", text)
			}
		}
		if strings.Contains(logs.String(), secret) {
			t.Fatal("the log holds a session secret")
		}
		for _, k := range mr.Keys() {
			if strings.Contains(k, secret) {
				t.Fatalf("key %q holds a session secret", k)
			}
		}
	}
}
