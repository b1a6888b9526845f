package localapi_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/cmd/lambdis/localapi"
	"github.com/lambdis/lambdis/shared/apigw"
)

// Issue 12, item 5: the query parameters a handler sees under `lambdis serve`
// are those API Gateway's REST API builds (rules and sources: query.go).
func TestQueryParametersLikeAPIGateway(t *testing.T) {
	var got events.APIGatewayProxyRequest
	var authGot events.APIGatewayCustomAuthorizerRequestTypeRequest
	_, hs := start(t, localapi.Config{
		Authorizer: func(_ context.Context, e events.APIGatewayCustomAuthorizerRequestTypeRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
			authGot = e
			return allow("bob", map[string]any{"sub": "bob"}), nil
		},
		Routes: []localapi.Route{{Method: "GET", Resource: "/q", Handler: func(_ context.Context, e events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
			got = e
			return events.APIGatewayProxyResponse{StatusCode: 200, Body: `{}`}, nil
		}}},
	})
	type mv = map[string][]string
	for _, tc := range []struct {
		query string
		multi mv // nil: both maps null
	}{
		{"limit=1;foo=bar", mv{"limit": {"1"}, "foo": {"bar"}}},
		{"a=1;a=2&a=3", mv{"a": {"1", "2", "3"}}},
		{"a=&b&c=", mv{"a": {""}, "b": {""}, "c": {""}}},
		{"q=a+b&r=a%2Bb&s=%20x", mv{"q": {"a b"}, "r": {"a+b"}, "s": {" x"}}},
		{"a%3Db=c%26d", mv{"a=b": {"c&d"}}},
		{"x=%3B&y=1", mv{"x": {";"}, "y": {"1"}}},
		{"&&;", nil},
		{"=v&k=1", mv{"k": {"1"}}},
		{"n=%C3%A9", mv{"n": {"é"}}},
	} {
		got = events.APIGatewayProxyRequest{}
		resp, body := do(t, newRequest(t, "GET", hs.URL+"/q?"+tc.query, nil))
		if resp.StatusCode != 200 {
			t.Errorf("?%s: %d %s", tc.query, resp.StatusCode, body)
			continue
		}
		var single map[string]string
		if tc.multi != nil {
			single = map[string]string{}
			for k, vs := range tc.multi {
				single[k] = vs[len(vs)-1]
			}
		}
		if !reflect.DeepEqual(got.MultiValueQueryStringParameters, map[string][]string(tc.multi)) || !reflect.DeepEqual(got.QueryStringParameters, single) {
			t.Errorf("?%s: query %v multi %v, want %v %v", tc.query, got.QueryStringParameters, got.MultiValueQueryStringParameters, single, tc.multi)
		}
		if !reflect.DeepEqual(authGot.MultiValueQueryStringParameters, map[string][]string(tc.multi)) {
			t.Errorf("?%s: the authorizer saw %v", tc.query, authGot.MultiValueQueryStringParameters)
		}
	}
	// Malformed escapes: 400 from the gateway, nothing invoked.
	for _, q := range []string{"a=%", "a=%4", "a=%zz", "%g1=b", "a=1&b=100%"} {
		got = events.APIGatewayProxyRequest{}
		resp, body := do(t, newRequest(t, "GET", hs.URL+"/q?"+q, nil))
		problem(t, resp, body, apigw.TypeBadRequest, 400)
		if got.Resource != "" {
			t.Errorf("?%s: the integration ran", q)
		}
	}
}

// The review's request: under API Gateway the ';' splits the pair, so the
// leaderboard refuses the unknown parameter instead of ignoring the limit.
func TestServeSemicolonQuery(t *testing.T) {
	hs := hostileServer(t, "30s")
	tok := mint(`{"sub":"alice",` + times(nowMinus(60)) + `}`)
	status, got, body := call(t, hs, "GET", "/leaderboards/semi?limit=1;foo=bar", tok)
	if status != 400 || got["type"] != apigw.TypeBadRequest.URI() {
		t.Fatalf("limit=1;foo=bar: %d %s", status, body)
	}
	if status, _, body := call(t, hs, "GET", "/leaderboards/semi?limit=1;period=day", tok); status != 200 {
		t.Fatalf("limit=1;period=day: %d %s", status, body)
	}
}
