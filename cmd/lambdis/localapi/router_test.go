package localapi

import (
	"context"
	"maps"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func nop(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	return events.APIGatewayProxyResponse{StatusCode: 204}, nil
}

func TestRouterMatch(t *testing.T) {
	rt, err := newRouter([]Route{
		{"GET", "/", NoAuth, nop},
		{"GET", "/health", NoAuth, nop},
		{"GET", "/tokens/self", Authorized, nop},
		{"POST", "/users/{sub}/revoke-all", Authorized, nop},
		{"GET", "/users/{sub}", Authorized, nop},
		{"GET", "/users/me", Authorized, nop},
		{"GET", "/leaderboards/{board}/{period}", Authorized, nop},
		{"ANY", "/files/{path+}", Authorized, nop},
		{"GET", "/files/index", Authorized, nop},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path     string
		resource string // "" means no match
		params   map[string]string
	}{
		{"/", "/", nil},
		{"", "/", nil},
		{"/health", "/health", nil},
		{"/health/", "/health", nil},
		{"/tokens/self", "/tokens/self", nil},
		{"/users/alice/revoke-all", "/users/{sub}/revoke-all", map[string]string{"sub": "alice"}},
		{"/users/a%20b%2Fc/revoke-all", "/users/{sub}/revoke-all", map[string]string{"sub": "a b/c"}},
		{"/users/me", "/users/me", nil},
		{"/users/you", "/users/{sub}", map[string]string{"sub": "you"}},
		{"/users/me/revoke-all", "/users/{sub}/revoke-all", map[string]string{"sub": "me"}},
		{"/leaderboards/g1/daily", "/leaderboards/{board}/{period}", map[string]string{"board": "g1", "period": "daily"}},
		{"/files/index", "/files/index", nil},
		{"/files/a/b/c", "/files/{path+}", map[string]string{"path": "a/b/c"}},
		{"/files/index/more", "/files/{path+}", map[string]string{"path": "index/more"}},
		{"/files", "", nil},
		{"/users", "", nil},
		{"/users//revoke-all", "", nil},
		{"/health//", "", nil},
		{"/Health", "", nil},
		{"/nope", "", nil},
	}
	for _, tt := range tests {
		res, params, ok := rt.match(tt.path)
		switch {
		case tt.resource == "" && ok:
			t.Errorf("match(%q) = %q, want no match", tt.path, res.template)
		case tt.resource == "":
		case !ok:
			t.Errorf("match(%q): no match, want %q", tt.path, tt.resource)
		case res.template != tt.resource || !maps.Equal(params, tt.params):
			t.Errorf("match(%q) = %q %v, want %q %v", tt.path, res.template, params, tt.resource, tt.params)
		}
	}
}

func TestRouterMethods(t *testing.T) {
	rt, err := newRouter([]Route{
		{"POST", "/jobs", Authorized, nop},
		{"GET", "/jobs", Authorized, nop},
		{"ANY", "/any", Authorized, nop},
	})
	if err != nil {
		t.Fatal(err)
	}
	res, _, _ := rt.match("/jobs")
	if _, ok := res.route("DELETE"); ok {
		t.Error("DELETE /jobs matched")
	}
	if got := res.allow(); got != "GET, POST" {
		t.Errorf("allow = %q", got)
	}
	if r, ok := res.route("POST"); !ok || r.Method != "POST" {
		t.Errorf("POST /jobs = %+v, %v", r, ok)
	}
	res, _, _ = rt.match("/any")
	if r, ok := res.route("PATCH"); !ok || r.Method != "ANY" {
		t.Errorf("PATCH /any = %+v, %v", r, ok)
	}
}

func TestRouterRejectsBadTables(t *testing.T) {
	tests := []struct {
		routes []Route
		want   string
	}{
		{[]Route{{"FETCH", "/a", Authorized, nop}}, "unknown method"},
		{[]Route{{"get", "/a", Authorized, nop}}, "unknown method"},
		{[]Route{{"GET", "a", Authorized, nop}}, "must start with /"},
		{[]Route{{"GET", "/a/", Authorized, nop}}, "empty path segment"},
		{[]Route{{"GET", "/a//b", Authorized, nop}}, "empty path segment"},
		{[]Route{{"GET", "/a{b}", Authorized, nop}}, "whole segment"},
		{[]Route{{"GET", "/{a b}", Authorized, nop}}, "variable names"},
		{[]Route{{"GET", "/{p+}/x", Authorized, nop}}, "last segment"},
		{[]Route{{"GET", "/{a}/{a}", Authorized, nop}}, "used twice"},
		{[]Route{{"GET", "/a", Authorized, nil}}, "nil handler"},
		{[]Route{{"GET", "/a", Auth(7), nop}}, "unknown Auth"},
		{[]Route{{"GET", "/a", Authorized, nop}, {"GET", "/a", NoAuth, nop}}, "registered twice"},
		{[]Route{{"GET", "/users/{sub}", Authorized, nop}, {"POST", "/users/{id}/x", Authorized, nop}}, "conflicts"},
		{[]Route{{"GET", "/f/{p+}", Authorized, nop}, {"POST", "/f/{q+}", Authorized, nop}}, "conflicts"},
	}
	for _, tt := range tests {
		_, err := newRouter(tt.routes)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("newRouter(%v %v) = %v, want an error containing %q", tt.routes[0].Method, tt.routes[0].Resource, err, tt.want)
		}
	}
}

func TestWildcard(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"*", "anything", true},
		{"arn:aws:execute-api:us-east-1:123456789012:local/local/*", "arn:aws:execute-api:us-east-1:123456789012:local/local/GET/tokens/self", true},
		{"arn:aws:execute-api:us-east-1:123456789012:local/local/*", "arn:aws:execute-api:us-east-1:123456789012:local/prod/GET/x", false},
		{"arn:aws:execute-api:*:*:local/*/GET/*", "arn:aws:execute-api:us-east-1:123456789012:local/local/GET/a/b", true},
		{"arn:aws:execute-api:*:*:local/*/GET/*", "arn:aws:execute-api:us-east-1:123456789012:local/local/POST/a", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYY", false},
		{"exact", "exact", true},
		{"exact", "exact2", false},
	}
	for _, tt := range tests {
		if got := wildcard(tt.pattern, tt.s); got != tt.want {
			t.Errorf("wildcard(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestPolicyAllows(t *testing.T) {
	const arn = "arn:aws:execute-api:us-east-1:123456789012:local/local/GET/tokens/self"
	st := func(effect, action, resource string) events.IAMPolicyStatement {
		return events.IAMPolicyStatement{Effect: effect, Action: []string{action}, Resource: []string{resource}}
	}
	doc := func(s ...events.IAMPolicyStatement) events.APIGatewayCustomAuthorizerPolicy {
		return events.APIGatewayCustomAuthorizerPolicy{Version: "2012-10-17", Statement: s}
	}
	tests := []struct {
		name string
		doc  events.APIGatewayCustomAuthorizerPolicy
		want bool
	}{
		{"stage wildcard", doc(st("Allow", "execute-api:Invoke", "arn:aws:execute-api:us-east-1:123456789012:local/local/*")), true},
		{"exact", doc(st("Allow", "execute-api:Invoke", arn)), true},
		{"action case", doc(st("Allow", "Execute-API:invoke", arn)), true},
		{"action wildcard", doc(st("Allow", "execute-api:*", arn)), true},
		{"other method", doc(st("Allow", "execute-api:Invoke", "arn:aws:execute-api:us-east-1:123456789012:local/local/POST/*")), false},
		{"other action", doc(st("Allow", "execute-api:ManageConnections", arn)), false},
		{"deny", doc(st("Deny", "execute-api:Invoke", arn)), false},
		{"deny wins", doc(st("Allow", "*", "*"), st("Deny", "execute-api:Invoke", arn)), false},
		{"empty", doc(), false},
		{"effect case matters", doc(st("allow", "execute-api:Invoke", arn)), false},
	}
	for _, tt := range tests {
		if got := policyAllows(tt.doc, arn); got != tt.want {
			t.Errorf("%s: policyAllows = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestNewRequestIDIsUUIDv4(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		id := newRequestID()
		if len(id) != 36 || id[8] != '-' || id[13] != '-' || id[14] != '4' || id[18] != '-' || id[23] != '-' || !strings.ContainsAny(id[19:20], "89ab") {
			t.Fatalf("request id %q is not a version-4 UUID", id)
		}
		if seen[id] {
			t.Fatalf("request id %q repeated", id)
		}
		seen[id] = true
	}
}
