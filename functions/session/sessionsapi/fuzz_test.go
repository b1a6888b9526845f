package sessionsapi

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/api/apitest"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/lambdis/lambdis/shared/session"
)

// validDeviceOracle is the documented rule, written independently of the
// code under test: at most 128 bytes of UTF-8 without control characters.
func validDeviceOracle(d string) bool {
	if len(d) > 128 || !utf8.ValidString(d) || strings.ContainsRune(d, utf8.RuneError) {
		return false
	}
	return !strings.ContainsFunc(d, func(r rune) bool { return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' })
}

// Whatever the body, POST /sessions answers 201 with a cookie exactly when
// the body is empty or {"device": <valid name>}; otherwise a 4xx problem,
// and no session is created.
func FuzzCreateBody(f *testing.F) {
	for _, s := range []string{"", "{}", `{"device":"Firefox on Linux"}`, `{"device":"a\nb"}`, `{"device":"\ud800"}`,
		`{"device":1}`, `{"Device":"x"}`, `{"device":"x","device":"y"}`, `{"device":"x"} x`, "null", "[]", "\xff"} {
		f.Add(s)
	}
	_, rdb := redistest.Miniredis(f)
	fx := newFixture(f, rdb)
	f.Fuzz(func(t *testing.T, body string) {
		before, err := fx.store.List(context.Background(), "fuzz")
		if err != nil {
			t.Fatal(err)
		}
		resp := fx.do(t, apitest.OffContract(request("POST", RouteSessions, nil, body, token("fuzz")), "a fuzzed body"))
		after, err := fx.store.List(context.Background(), "fuzz")
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]json.RawMessage
		want := strings.TrimSpace(body) == ""
		if !want && utf8.ValidString(body) && json.Unmarshal([]byte(body), &m) == nil && m != nil {
			var device string
			raw, has := m["device"]
			okName := len(m) == 0 || (len(m) == 1 && has && json.Unmarshal(raw, &device) == nil && validDeviceOracle(device))
			want = okName && strings.Count(body, `"device"`) <= 1 && !strings.Contains(body, `"Device"`)
		}
		created := resp.StatusCode == 201
		if created && resp.Headers["Set-Cookie"] == "" {
			t.Fatalf("201 without a cookie for %q", body)
		}
		if !created && (resp.StatusCode < 400 || resp.StatusCode > 499 || len(after) != len(before)) {
			t.Fatalf("body %q: %d %s, sessions %d → %d", body, resp.StatusCode, resp.Body, len(before), len(after))
		}
		// The oracle is exact where it is sure; escapes it cannot see
		// (e.g. "\u0064evice") only make it stricter than the decoder.
		if want && !created {
			t.Fatalf("body %q: %d %s, want 201", body, resp.StatusCode, resp.Body)
		}
		if created && len(after) != len(before)+1 {
			t.Fatalf("body %q: 201 but sessions %d → %d", body, len(before), len(after))
		}
	})
}

// failing is a store whose Redis is down.
type failing struct{}

var errDown = errors.New("redis: connection refused")

func (failing) Create(context.Context, string, session.CreateOptions) (session.ID, session.Session, error) {
	return session.ID{}, session.Session{}, errDown
}
func (failing) List(context.Context, string) ([]session.Session, error) { return nil, errDown }
func (failing) DestroyHandle(context.Context, string, string) (bool, error) {
	return false, errDown
}
func (failing) DestroyOthers(context.Context, string, string) (int, error) { return 0, errDown }

// A store failure is a 503 problem on every route, never a cookie.
func TestStoreDown(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	f := newFixture(t, rdb)
	f.h.Store = failing{}
	id, _, err := f.store.Create(context.Background(), "alice", session.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, req := range []events.APIGatewayProxyRequest{
		request("POST", RouteSessions, nil, "", token("alice")),
		request("GET", RouteSessions, nil, "", viaSession(id)),
		request("DELETE", RouteSessions, nil, "", viaSession(id)),
		request("DELETE", RouteSession, map[string]string{"handle": Current}, "", viaSession(id)),
		request("DELETE", RouteSession, map[string]string{"handle": id.Handle()}, "", token("alice")),
	} {
		resp := f.do(t, req)
		p := wantProblem(t, resp, apigw.TypeStoreUnavailable)
		if _, ok := resp.Headers["Set-Cookie"]; ok || strings.Contains(p.Detail, "refused") {
			t.Fatalf("%s %s: %v %+v", req.HTTPMethod, req.Path, resp.Headers, p)
		}
	}
	if !strings.Contains(f.logs.String(), "connection refused") {
		t.Fatal("the cause is not logged")
	}
}
