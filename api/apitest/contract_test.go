package apitest_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/api/apitest"
)

// recorder is a testing.TB that keeps what Check reports.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

const badRequest = `{"type":"https://github.com/lambdis/lambdis/blob/main/docs/problems.md#invalid-json","title":"Invalid JSON body","status":400,"detail":"unknown member zz"}`

// Check passes an exchange the document describes and fails each that
// breaks it in one way: a response without a required member, with a
// member the schema does not know, with a status the operation does not
// list, with the wrong content type; a request the document refuses that
// is not marked, or that is marked but was taken (its body, query and
// path parameters read as the gateway passes them); a request without the
// authorizer's context or a credential.
func TestCheckCatchesMismatches(t *testing.T) {
	authorized := events.APIGatewayProxyRequestContext{Authorizer: map[string]any{"sub": "alice"}}
	self := events.APIGatewayProxyRequest{HTTPMethod: "GET", Resource: "/tokens/self", Path: "/tokens/self", RequestContext: authorized}
	answer := func(status int, ct, body string) events.APIGatewayProxyResponse {
		return events.APIGatewayProxyResponse{StatusCode: status, Headers: map[string]string{"Content-Type": ct}, Body: body}
	}
	revoke := events.APIGatewayProxyRequest{HTTPMethod: "POST", Resource: "/tokens/revoke", Path: "/tokens/revoke", Body: `{"zz":1}`, RequestContext: authorized}
	b64 := revoke
	b64.Body, b64.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(revoke.Body)), true
	dead := func(limits ...string) events.APIGatewayProxyRequest {
		return events.APIGatewayProxyRequest{
			HTTPMethod: "GET", Resource: "/admin/queues/{queue}/dead", PathParameters: map[string]string{"queue": "email"},
			MultiValueQueryStringParameters: map[string][]string{"limit": limits}, RequestContext: authorized,
		}
	}
	badLimit := `{"type":"https://github.com/lambdis/lambdis/blob/main/docs/problems.md#bad-request","title":"Bad request","status":400,"detail":"limit"}`
	noAuthorizer := self
	noAuthorizer.RequestContext = events.APIGatewayProxyRequestContext{}
	withBearer := noAuthorizer
	withBearer.MultiValueHeaders = map[string][]string{"Authorization": {"Bearer x"}}

	for _, c := range []struct {
		name    string
		req     events.APIGatewayProxyRequest
		resp    events.APIGatewayProxyResponse
		wantErr string // "" passes
	}{
		{"as described", self, answer(200, "application/json", `{"sub":"alice","scopes":["jobs"],"anonymous":false}`), ""},
		{"a required member missing", self, answer(200, "application/json", `{"sub":"alice","scopes":["jobs"]}`), "missing property 'anonymous'"},
		{"an unknown member", self, answer(200, "application/json", `{"sub":"alice","scopes":[],"anonymous":false,"zz":1}`), "additional properties 'zz' not allowed"},
		{"a status not listed", self, answer(409, "application/problem+json", `{"type":"https://github.com/lambdis/lambdis/blob/main/docs/problems.md#conflict","title":"Conflict","status":409}`), "response: status is not supported"},
		{"the wrong content type", self, answer(200, "text/plain", `{"sub":"alice","scopes":[],"anonymous":false}`), `Content-Type has unexpected value: "text/plain"`},
		{"a refused request, not marked", revoke, answer(400, "application/problem+json", badRequest), "request: request body has an error"},
		{"a refused request, marked", apitest.OffContract(revoke, "an unknown member"), answer(400, "application/problem+json", badRequest), ""},
		{"a marked request that was taken", apitest.OffContract(revoke, "an unknown member"), answer(200, "application/json", `{}`), "request: request body has an error"},
		{"a base64 body, decoded", b64, answer(400, "application/problem+json", badRequest), "additional properties 'zz' not allowed"},
		{"a multi-value query", dead("0"), answer(400, "application/problem+json", badLimit), `parameter "limit" in query`},
		{"a multi-value query, marked", apitest.OffContract(dead("0"), "limit 0"), answer(400, "application/problem+json", badLimit), ""},
		{"a path parameter against its pattern", apitest.OffContract(events.APIGatewayProxyRequest{
			HTTPMethod: "GET", Resource: "/console/{asset+}", PathParameters: map[string]string{"asset": "../x"},
		}, "not an asset"), answer(200, "text/javascript; charset=utf-8", "x"), `parameter "asset" in path`},
		{"no authorizer context, no credential", noAuthorizer, answer(200, "application/json", `{"sub":"alice","scopes":[],"anonymous":false}`), "security requirements failed"},
		{"no authorizer context, a bearer token", withBearer, answer(200, "application/json", `{"sub":"alice","scopes":[],"anonymous":false}`), ""},
		{"a method the route does not take, 405", events.APIGatewayProxyRequest{HTTPMethod: "PUT", Resource: "/tokens/self", RequestContext: authorized},
			answer(405, "application/problem+json", `{"type":"https://github.com/lambdis/lambdis/blob/main/docs/problems.md#method-not-allowed","title":"Method not allowed","status":405}`), ""},
		{"a method the route does not take, 200", events.APIGatewayProxyRequest{HTTPMethod: "PUT", Resource: "/tokens/self", RequestContext: authorized}, answer(200, "application/json", `{}`), "no operation"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := &recorder{TB: t}
			apitest.Check(r, c.req, c.resp)
			got := strings.Join(r.errs, "\n")
			switch {
			case c.wantErr == "" && got != "":
				t.Errorf("Check failed a valid exchange:\n%s", got)
			case c.wantErr != "" && !strings.Contains(got, c.wantErr):
				t.Errorf("Check: %q, want a failure naming %q", got, c.wantErr)
			}
		})
	}
}
