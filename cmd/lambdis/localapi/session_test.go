package localapi_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/lambdis/lambdis/cmd/lambdis/localapi"
	"github.com/lambdis/lambdis/functions/ratelimit/authorizer"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/lambdis/lambdis/shared/session"
)

// The local API hands the Cookie header to the authorizer as API Gateway
// does, so a session works as "Authorization: Session <id>" and as the
// lambdis_session cookie; revoke-all ends it.
func TestSessionThroughTheGateway(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	_, hs := start(t, localapi.Config{Redis: rdb})
	sessions, err := session.NewStore(rdb, keys.Builder{}, session.Config{})
	if err != nil {
		t.Fatal(err)
	}
	id, _, err := sessions.Create(context.Background(), "alice", session.CreateOptions{Scopes: []string{"read", "write"}})
	if err != nil {
		t.Fatal(err)
	}
	self := func(set func(h map[string][]string)) (int, map[string]any, []byte) {
		t.Helper()
		req := newRequest(t, "GET", hs.URL+"/tokens/self", nil)
		set(req.Header)
		resp, body := do(t, req)
		var got map[string]any
		_ = json.Unmarshal(body, &got)
		return resp.StatusCode, got, body
	}
	for name, set := range map[string]func(h map[string][]string){
		"header": func(h map[string][]string) { h["Authorization"] = []string{"Session " + id.Token()} },
		"cookie": func(h map[string][]string) {
			h["Cookie"] = []string{"theme=dark; " + authorizer.SessionCookie + "=" + id.Token()}
		},
		"cookie headers": func(h map[string][]string) {
			h["Cookie"] = []string{"theme=dark", authorizer.SessionCookie + "=" + id.Token()}
		},
	} {
		status, got, body := self(set)
		if status != 200 || got["sub"] != "alice" || got["anonymous"] != false || len(got["scopes"].([]any)) != 2 {
			t.Fatalf("%s: %d %s", name, status, body)
		}
	}
	status, _, body := self(func(h map[string][]string) { h["Cookie"] = []string{authorizer.SessionCookie + "=not-a-session"} })
	if status != 401 {
		t.Fatalf("bad cookie: %d %s", status, body)
	}
	// revoke-all with the session itself as the credential.
	req := newRequest(t, "POST", hs.URL+"/users/alice/revoke-all", nil)
	req.Header.Set("Authorization", "Session "+id.Token())
	resp, body := do(t, req)
	if resp.StatusCode != 200 {
		t.Fatalf("revoke-all: %d %s", resp.StatusCode, body)
	}
	var ra map[string]any
	if err := json.Unmarshal(body, &ra); err != nil || ra["sessions"] != float64(1) {
		t.Fatalf("revoke-all body %s", body)
	}
	req = newRequest(t, "GET", hs.URL+"/tokens/self", nil)
	req.Header.Set("Cookie", authorizer.SessionCookie+"="+id.Token())
	resp, body = do(t, req)
	problem(t, resp, body, apigw.TypeUnauthorized, 401)
}
