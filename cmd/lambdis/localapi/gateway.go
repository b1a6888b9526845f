package localapi

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/shared/apigw"
)

// invokeAction is the IAM action an authorizer policy must allow.
const invokeAction = "execute-api:Invoke"

// policyAllows evaluates an authorizer's policy document for methodARN the
// way IAM does for execute-api: an explicit Deny that matches wins, else an
// Allow that matches allows, else the call is denied. Action and Resource
// patterns take * and ? wildcards; actions match without regard to case.
func policyAllows(doc events.APIGatewayCustomAuthorizerPolicy, methodARN string) bool {
	allowed := false
	for _, st := range doc.Statement {
		if !anyMatch(st.Action, invokeAction, true) || !anyMatch(st.Resource, methodARN, false) {
			continue
		}
		switch st.Effect {
		case "Deny":
			return false
		case "Allow":
			allowed = true
		}
	}
	return allowed
}

func anyMatch(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if fold {
			if wildcard(strings.ToLower(p), strings.ToLower(s)) {
				return true
			}
		} else if wildcard(p, s) {
			return true
		}
	}
	return false
}

// wildcard reports whether s matches pattern, where * matches any run of
// characters (including none) and ? exactly one.
func wildcard(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// integrationError is the 502 API Gateway answers when a Lambda integration
// fails (an error, a panic or a malformed proxy response), as a problem.
func integrationError() events.APIGatewayProxyResponse {
	return apigw.ProblemResponse(apigw.Problem{
		Type:   apigw.TypeInternal.URI(),
		Title:  apigw.TypeInternal.Title(),
		Status: http.StatusBadGateway,
		Detail: "The integration failed; the error has been logged.",
	})
}

// notFound answers a path no resource matches. API Gateway answers 403
// {"message":"Missing Authentication Token"} (MISSING_AUTHENTICATION_TOKEN);
// locally a 404 problem says what actually happened.
func notFound(method, path string) events.APIGatewayProxyResponse {
	return apigw.NotFound(fmt.Sprintf("No resource matches %s %s.", method, path))
}

// methodNotAllowed answers a method the resource does not define, with Allow.
// API Gateway answers this with MISSING_AUTHENTICATION_TOKEN (403) too.
func methodNotAllowed(method string, res *resource) events.APIGatewayProxyResponse {
	allow := res.allow()
	r := apigw.ProblemResponse(apigw.TypeMethodNotAllowed.New(fmt.Sprintf("%s %s: use %s.", method, res.template, allow)))
	r.Headers["Allow"] = allow
	return r
}

// httpResponse is a proxy response ready to be written.
type httpResponse struct {
	status int
	header http.Header
	body   []byte
}

// hopHeaders are not copied from a proxy response: the server sets them.
var hopHeaders = []string{"Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Upgrade", "Trailer"}

// toHTTP converts a Lambda proxy response the way API Gateway does, or
// returns an error when API Gateway would answer 502 ("Malformed Lambda proxy
// response"): a status outside 100–599 or a body flagged base64 that is not.
// Headers and MultiValueHeaders are merged: every multi-value, plus each
// single value not already among them. Content-Type defaults to
// application/json.
func toHTTP(resp events.APIGatewayProxyResponse) (httpResponse, error) {
	if resp.StatusCode < 100 || resp.StatusCode > 599 {
		return httpResponse{}, fmt.Errorf("malformed proxy response: status %d", resp.StatusCode)
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(resp.Body)
		if err != nil {
			return httpResponse{}, fmt.Errorf("malformed proxy response: isBase64Encoded body: %w", err)
		}
		body = b
	}
	h := http.Header{}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for k, v := range resp.Headers {
		if !containsValue(h.Values(k), v) {
			h.Add(k, v)
		}
	}
	for k, vs := range h {
		for _, v := range vs {
			if strings.ContainsAny(v, "\r\n") {
				return httpResponse{}, fmt.Errorf("malformed proxy response: header %s contains a line break", k)
			}
		}
	}
	for _, k := range hopHeaders {
		h.Del(k)
	}
	if h.Get("Content-Type") == "" && resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusNotModified {
		h.Set("Content-Type", apigw.JSONContentType)
	}
	return httpResponse{status: resp.StatusCode, header: h, body: body}, nil
}

func containsValue(vs []string, v string) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}
