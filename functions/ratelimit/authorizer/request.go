package authorizer

import (
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/shared/session"
)

// headerValues returns every value of the header name in req, whatever its
// case: from multiValueHeaders (which API Gateway fills with every line),
// else from headers.
func headerValues(req events.APIGatewayCustomAuthorizerRequestTypeRequest, name string) []string {
	var values []string
	for k, vs := range req.MultiValueHeaders {
		if strings.EqualFold(k, name) {
			values = append(values, vs...)
		}
	}
	if len(values) == 0 {
		for k, v := range req.Headers {
			if strings.EqualFold(k, name) {
				values = append(values, v)
			}
		}
	}
	return values
}

// authorizationHeader returns the Authorization header of req, whatever its
// case. ok is false when the request carries more than one value.
func authorizationHeader(req events.APIGatewayCustomAuthorizerRequestTypeRequest) (value string, present, ok bool) {
	values := headerValues(req, "Authorization")
	switch len(values) {
	case 0:
		return "", false, true
	case 1:
		return values[0], true, true
	}
	return "", true, false
}

// CSRFHeader must accompany a cookie session on a state-changing request
// (any method but GET, HEAD and OPTIONS). A browser attaches cookies on its
// own, even to a request a form on another site makes; it sends a custom
// header only from the page's own scripts, and from another origin only
// after a CORS preflight the API refuses (OWASP's custom request header
// defence against CSRF). Any value will do; a session in the Authorization
// header needs none, since no other site can set that header either.
const CSRFHeader = "X-Requested-With"

// safeMethod reports whether m changes nothing by convention.
func safeMethod(m string) bool {
	switch strings.ToUpper(m) {
	case "GET", "HEAD", "OPTIONS":
		return true
	}
	return false
}

// hasHeader reports whether req carries the header name with a non-empty value.
func hasHeader(req events.APIGatewayCustomAuthorizerRequestTypeRequest, name string) bool {
	for _, v := range headerValues(req, name) {
		if strings.TrimSpace(v) != "" {
			return true
		}
	}
	return false
}

// SessionCookie is the cookie that carries a session id when the request
// has no Authorization header.
const SessionCookie = session.CookieName

// sessionScheme is the Authorization scheme of a session id.
const sessionScheme = "Session"

// maxCookieBytes bounds the Cookie headers read (browsers send at most a few
// KiB; API Gateway caps all headers at 10 KiB).
const maxCookieBytes = 16 << 10

// sessionCredential returns the session id of an Authorization header value
// "Session <id>" (scheme in any case, one or more spaces, surrounding spaces
// and tabs ignored); isSession is false for any other scheme.
func sessionCredential(authorization string) (id string, isSession bool) {
	h := strings.Trim(authorization, " \t")
	name, rest, _ := strings.Cut(h, " ")
	if !strings.EqualFold(name, sessionScheme) {
		return "", false
	}
	return strings.TrimLeft(rest, " "), true
}

// sessionCookie returns the value of the lambdis_session cookie, from every
// Cookie header of req (HTTP/2 clients send one per cookie; API Gateway
// passes them all in multiValueHeaders). ok is false when the cookie appears
// more than once with different values, or the headers are oversize: which
// one the client meant cannot be told, so neither is used.
func sessionCookie(req events.APIGatewayCustomAuthorizerRequestTypeRequest) (value string, present, ok bool) {
	lines := headerValues(req, "Cookie")
	size := 0
	for _, line := range lines {
		if size += len(line); size > maxCookieBytes {
			return "", false, false
		}
		for _, c := range strings.Split(line, ";") {
			name, v, found := strings.Cut(strings.TrimSpace(c), "=")
			if !found || name != SessionCookie {
				continue
			}
			v = strings.TrimSpace(v)
			if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			}
			if present && v != value {
				return "", true, false
			}
			value, present = v, true
		}
	}
	return value, present, true
}

// stageWildcard turns a method ARN
// (arn:aws:execute-api:region:account:api/stage/VERB/path) into one that
// covers every method of the stage, so an Allow is valid for the whole API.
// A malformed ARN is returned unchanged: the Allow then covers only it.
func stageWildcard(methodARN string) string {
	parts := strings.SplitN(methodARN, "/", 3)
	if len(parts) < 3 || !strings.HasPrefix(parts[0], "arn:") || parts[1] == "" {
		return methodARN
	}
	return parts[0] + "/" + parts[1] + "/*"
}

func response(principal, effect, resource string, ctx map[string]any) events.APIGatewayCustomAuthorizerResponse {
	return events.APIGatewayCustomAuthorizerResponse{
		PrincipalID: principal,
		PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{
			Version: "2012-10-17",
			Statement: []events.IAMPolicyStatement{{
				Action:   []string{"execute-api:Invoke"},
				Effect:   effect,
				Resource: []string{resource},
			}},
		},
		Context: ctx,
	}
}
