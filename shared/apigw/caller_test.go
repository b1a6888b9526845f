package apigw

import (
	"errors"
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func TestCaller(t *testing.T) {
	withCtx := func(ctx map[string]any) events.APIGatewayProxyRequest {
		return events.APIGatewayProxyRequest{RequestContext: events.APIGatewayProxyRequestContext{Authorizer: ctx}}
	}
	tests := []struct {
		name    string
		req     events.APIGatewayProxyRequest
		want    Identity
		wantErr bool
	}{
		{
			name: "user from the fixture event",
			req:  loadRequest(t, "request_user.json"),
			want: Identity{
				Subject: "alice", JTI: "01J9ZK5W7Q3T8V2X4Y6A8C0E1G", Issuer: "https://auth.example.com/",
				Scopes: []string{"jobs:write", "jobs:read", "leaderboard:write"},
			},
		},
		{
			name: "anonymous from the fixture event",
			req:  loadRequest(t, "request_anonymous.json"),
			want: Identity{Anonymous: true},
		},
		{
			name: "typed values from the local server",
			req:  withCtx(map[string]any{"sub": "bob", "anonymous": false, "scope": "a"}),
			want: Identity{Subject: "bob", Scopes: []string{"a"}},
		},
		{
			name: "a session's handle",
			req:  withCtx(map[string]any{"sub": "dan", "anonymous": "false", "scope": "read", "auth": "session", "session": "0123456789abcdef0123456789abcdef"}),
			want: Identity{Subject: "dan", Scopes: []string{"read"}, Session: "0123456789abcdef0123456789abcdef"},
		},
		{
			name: "typed true",
			req:  withCtx(map[string]any{"anonymous": true}),
			want: Identity{Anonymous: true},
		},
		{
			name: "no anonymous key means a user",
			req:  withCtx(map[string]any{"sub": "carol", "scope": "   "}),
			want: Identity{Subject: "carol"},
		},
		{name: "no authorizer context", req: loadRequest(t, "request_no_authorizer.json"), wantErr: true},
		{name: "user without subject", req: withCtx(map[string]any{"anonymous": "false", "jti": "x"}), wantErr: true},
		{name: "bad anonymous value", req: withCtx(map[string]any{"sub": "a", "anonymous": "yes"}), wantErr: true},
		{name: "anonymous is case-sensitive", req: withCtx(map[string]any{"anonymous": "TRUE"}), wantErr: true},
		{name: "unsupported value type", req: withCtx(map[string]any{"sub": map[string]any{"x": 1}}), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Caller(tt.req)
			if tt.wantErr {
				if !errors.Is(err, ErrNoIdentity) {
					t.Fatalf("got %+v, %v; want an error wrapping ErrNoIdentity", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestHasScope(t *testing.T) {
	id := Identity{Scopes: []string{"jobs:write", "jobs:read"}}
	for scope, want := range map[string]bool{
		"jobs:write": true, "jobs:read": true, "jobs": false, "jobs:write ": false, "": false, "admin": false,
	} {
		if got := id.HasScope(scope); got != want {
			t.Errorf("HasScope(%q) = %v, want %v", scope, got, want)
		}
	}
	if (Identity{}).HasScope("") {
		t.Error("the empty identity has the empty scope")
	}
}
