package localapi_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/lambdis/lambdis/cmd/lambdis/localapi"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/authz"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/lambdis/lambdis/shared/session"
)

// The hostile-input review of issue 12, replayed through `lambdis serve`:
// the real authorizer, the real integrations, over HTTP.

const hostileSecret = "hostile-review-secret-0123456789abcdef"

// mint signs a token whose payload is the raw JSON text given (so that it
// may hold duplicates, case variants and invalid UTF-8).
func mint(payload string) string {
	enc := base64.RawURLEncoding
	in := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString([]byte(payload))
	mac := hmac.New(sha256.New, []byte(hostileSecret))
	mac.Write([]byte(in))
	return in + "." + enc.EncodeToString(mac.Sum(nil))
}

// times is the iat and exp members of a token issued at iat.
func times(iat time.Time) string {
	return fmt.Sprintf(`"iat":%d,"exp":%d`, iat.Unix(), iat.Add(time.Hour).Unix())
}

func hostileServer(t *testing.T, leeway string) *httptest.Server {
	_, hs := start(t, localapi.Config{Getenv: env(map[string]string{"JWT_SECRET": hostileSecret, "JWT_LEEWAY": leeway, "RATE_LIMITS": "per_second=100000/1s"})})
	return hs
}

// call sends method path with the bearer token and returns status and body.
func call(t *testing.T, hs *httptest.Server, method, path, token string) (int, map[string]any, string) {
	t.Helper()
	req := newRequest(t, method, hs.URL+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, body := do(t, req)
	var got map[string]any
	_ = json.Unmarshal(body, &got)
	return resp.StatusCode, got, string(body)
}

func scopesOf(v any) []string {
	var out []string
	for _, s := range asSlice(v) {
		out = append(out, fmt.Sprint(s))
	}
	return out
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

// Item 1: claim names are exact, duplicates anywhere are 401, dates are numbers.
func TestServeStrictClaims(t *testing.T) {
	hs := hostileServer(t, "30s")
	now := time.Now()
	ok := times(now.Add(-time.Minute))
	for _, tc := range []struct {
		name, payload, sub string
		scopes             []string
	}{
		{"Scope", `{"sub":"alice","scope":"read","Scope":"admin",` + ok + `}`, "alice", []string{"read"}},
		{"SCP", `{"sub":"alice","SCP":["admin"],` + ok + `}`, "alice", nil},
		{"Sub SUB", `{"sub":"alice","Sub":"bob","SUB":"eve",` + ok + `}`, "alice", nil},
		{"ſub", `{"sub":"alice",` + ok + `,"ſub":"kelvin"}`, "alice", nil},
	} {
		status, got, body := call(t, hs, "GET", "/tokens/self", mint(tc.payload))
		if status != 200 || got["sub"] != tc.sub || !slices.Equal(scopesOf(got["scopes"]), tc.scopes) {
			t.Errorf("%s: %d %s, want sub %q scopes %v", tc.name, status, body, tc.sub, tc.scopes)
		}
	}
	for name, payload := range map[string]string{
		"sub twice":         `{"sub":"alice","sub":"bob",` + ok + `}`,
		"scope twice":       `{"sub":"alice","scope":"read","scope":"admin",` + ok + `}`,
		"invalid UTF-8":     "{\"sub\":\"al\xffice\"," + ok + "}",
		"exp as a string":   fmt.Sprintf(`{"sub":"alice","iat":%d,"exp":"%d"}`, now.Unix(), now.Add(time.Hour).Unix()),
		"iat as a string":   fmt.Sprintf(`{"sub":"alice","iat":"%d","exp":%d}`, now.Unix(), now.Add(time.Hour).Unix()),
		"negative lifetime": fmt.Sprintf(`{"sub":"alice","iat":%d,"exp":%d}`, now.Unix(), now.Unix()-1),
		"nested duplicate":  `{"sub":"alice","x":{"y":[{"z":1,"z":2}]},` + ok + `}`,
	} {
		status, _, body := call(t, hs, "GET", "/tokens/self", mint(payload))
		if status != 401 {
			t.Errorf("%s: %d %s, want 401", name, status, body)
		}
	}
}

// Item 2: admitted ⇒ revocable ⇒ rejected after revoking, over generated
// subjects (valid and invalid UTF-8, U+FFFD, control characters, braces,
// slashes and percent signs, 1 to 300 bytes).
func TestServeAdmittedSubjectsAreRevocable(t *testing.T) {
	hs := hostileServer(t, "30s")
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 12))
	valid := []string{"a", "Z", "9", "\ufffd", "{", "}", ":", " ", "/", "%", "?", "#", "é", "ſ", "\"", "\\", "🦀", "+", ";"}
	invalid := []string{"\u2028", "\x00", "\x1f", "\x7f", "\u0085", "\xff", "\xc3", "\xed\xa0\x80"}
	subjects := []string{"al\ufffdice", "a", strings.Repeat("x", 256), strings.Repeat("x", 257), "{u:x}", "a/b", "%2F"}
	for range 150 {
		n := 1 + rng.IntN(300)
		bad := rng.IntN(2) == 0 // half the subjects get one or more invalid pieces
		var b strings.Builder
		for b.Len() < n {
			if bad && rng.IntN(8) == 0 {
				b.WriteString(invalid[rng.IntN(len(invalid))])
			} else {
				b.WriteString(valid[rng.IntN(len(valid))])
			}
		}
		s := b.String()
		if len(s) > 300 {
			s = s[:300]
		}
		subjects = append(subjects, s)
	}
	admitted := 0
	seen := map[string]bool{}
	for _, sub := range subjects {
		if seen[sub] { // a revoked subject stays revoked
			continue
		}
		seen[sub] = true
		// The sub as a JSON string: escape what JSON requires, keep every
		// other byte (invalid UTF-8 included) raw.
		var js strings.Builder
		js.WriteByte('"')
		for i := 0; i < len(sub); i++ {
			switch c := sub[i]; {
			case c == '"' || c == '\\':
				js.WriteByte('\\')
				js.WriteByte(c)
			case c < 0x20:
				fmt.Fprintf(&js, `\u%04x`, c)
			default:
				js.WriteByte(c)
			}
		}
		js.WriteByte('"')
		tok := mint(`{"sub":` + js.String() + `,` + times(time.Now().Add(-time.Minute)) + `}`)
		status, got, body := call(t, hs, "GET", "/tokens/self", tok)
		follows := utf8.ValidString(sub) && authz.ValidateSubject(sub) == nil
		if status == 401 {
			if follows {
				t.Errorf("sub %q follows the subject rule but was refused: %s", sub, body)
			}
			continue
		}
		if status != 200 || got["sub"] != sub {
			t.Fatalf("sub %q: %d %s", sub, status, body)
		}
		if !follows {
			t.Errorf("sub %q breaks the subject rule but was admitted", sub)
		}
		admitted++
		status, _, body = call(t, hs, "POST", "/users/"+url.PathEscape(sub)+"/revoke-all", tok)
		if status != 200 {
			t.Fatalf("sub %q admitted but revoke-all answered %d %s", sub, status, body)
		}
		if status, _, body = call(t, hs, "GET", "/tokens/self", tok); status != 401 {
			t.Fatalf("sub %q: token still works after revoke-all: %d %s", sub, status, body)
		}
	}
	if admitted < 10 {
		t.Fatalf("only %d of %d subjects admitted: the generator tests nothing", admitted, len(subjects))
	}
}

// Item 2, sessions: a session whose subject holds U+FFFD is ended by revoke-all.
func TestServeSessionWithReplacementCharIsRevocable(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	_, hs := start(t, localapi.Config{Redis: rdb, Getenv: env(map[string]string{"JWT_SECRET": hostileSecret})})
	sessions, err := session.NewStore(rdb, keys.Builder{}, session.Config{})
	if err != nil {
		t.Fatal(err)
	}
	const sub = "al\ufffdice"
	id, _, err := sessions.Create(context.Background(), sub, session.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	req := newRequest(t, "POST", hs.URL+"/users/"+url.PathEscape(sub)+"/revoke-all", nil)
	req.Header.Set("Authorization", "Session "+id.Token())
	if resp, body := do(t, req); resp.StatusCode != 200 {
		t.Fatalf("revoke-all: %d %s", resp.StatusCode, body)
	}
	req = newRequest(t, "GET", hs.URL+"/tokens/self", nil)
	req.Header.Set("Authorization", "Session "+id.Token())
	resp, body := do(t, req)
	problem(t, resp, body, apigw.TypeUnauthorized, 401)
}

// Item 3: with JWT_LEEWAY=30s a token with iat = now+28 does not survive
// revoke-all, and a token minted right after it is refused for the window.
func TestServeRevokeAllLeeway(t *testing.T) {
	hs := hostileServer(t, "30s")
	now := time.Now()
	ahead := mint(`{"sub":"carol",` + times(now.Add(28*time.Second)) + `}`)
	if status, _, body := call(t, hs, "GET", "/tokens/self", ahead); status != 200 {
		t.Fatalf("before revoke-all: %d %s", status, body)
	}
	status, got, body := call(t, hs, "POST", "/users/carol/revoke-all", ahead)
	if status != 200 {
		t.Fatalf("revoke-all: %d %s", status, body)
	}
	cut, err := time.Parse(time.RFC3339, fmt.Sprint(got["not_before"]))
	if err != nil || cut.Before(now.Add(28*time.Second)) {
		t.Fatalf("not_before %v (%v) is before the token's iat", got["not_before"], err)
	}
	if status, _, body := call(t, hs, "GET", "/tokens/self", ahead); status != 401 {
		t.Fatalf("iat now+28 after revoke-all: %d %s", status, body)
	}
	fresh := mint(`{"sub":"carol",` + times(time.Now()) + `}`)
	if status, _, body := call(t, hs, "GET", "/tokens/self", fresh); status != 401 {
		t.Fatalf("token minted inside the window: %d %s", status, body)
	}
}

func nowMinus(sec int) time.Time { return time.Now().Add(-time.Duration(sec) * time.Second) }
