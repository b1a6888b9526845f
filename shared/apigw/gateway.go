package apigw

import (
	"fmt"
	"strconv"

	"github.com/aws/aws-lambda-go/events"
)

// GatewayResponse is an API Gateway REST API gateway response: what API
// Gateway answers itself, without invoking an integration. The CDK stack
// passes the fields to RestApi.AddGatewayResponse (Type as the ResponseType,
// Headers as ResponseHeaders, Templates as Templates); ResponseParameters gives
// the CloudFormation / OpenAPI form of Headers.
type GatewayResponse struct {
	// Type is the API Gateway response type, e.g. "UNAUTHORIZED".
	Type string
	// StatusCode replaces the type's default status.
	StatusCode int
	// Headers maps a header name to its mapping expression: a static value
	// in single quotes ('Bearer') or a context variable without the dollar
	// sign (context.authorizer.retry_after).
	Headers map[string]string
	// Templates maps a content type to the body template. Gateway response
	// templates are not VTL: API Gateway only substitutes $context and
	// $stageVariables references, so the body cannot branch on missing values.
	Templates map[string]string
}

// ResponseParameters returns Headers keyed the way CloudFormation and the
// OpenAPI extension expect: "gatewayresponse.header.<name>".
func (g GatewayResponse) ResponseParameters() map[string]string {
	out := make(map[string]string, len(g.Headers))
	for name, expr := range g.Headers {
		out["gatewayresponse.header."+name] = expr
	}
	return out
}

// unauthorizedDetail is the detail of the 401 the gateway answers when the
// authorizer says "Unauthorized" (token missing, invalid, expired or revoked).
const unauthorizedDetail = "A valid bearer token is required."

// UnauthorizedBodyTemplate is the body of the UNAUTHORIZED (401) gateway
// response; it has no placeholders. UnauthorizedResponse produces the same
// members.
const UnauthorizedBodyTemplate = `{"type":"` + ProblemTypeBase + string(TypeUnauthorized) + `",` +
	`"title":"Unauthorized","status":401,` +
	`"detail":"` + unauthorizedDetail + `"}`

// RateLimitedBodyTemplate is the body of the ACCESS_DENIED gateway response
// remapped to 429: the quota-exceeded problem built from the context of the
// authorizer's Deny (see DenyContext). The numeric members are unquoted, so
// the authorizer must set every key on every Deny, which DenyContext does;
// policy names cannot need escaping (ValidPolicyName).
const RateLimitedBodyTemplate = `{"type":"` + ProblemTypeBase + string(TypeQuotaExceeded) + `",` +
	`"title":"Quota exceeded","status":429,` +
	`"detail":"Rate limit exceeded for policy $context.authorizer.policy; retry after $context.authorizer.retry_after seconds.",` +
	`"violated-policies":["$context.authorizer.policy"],` +
	`"retry_after":$context.authorizer.retry_after,` +
	`"limit":$context.authorizer.limit,` +
	`"remaining":$context.authorizer.remaining,` +
	`"reset":$context.authorizer.reset}`

// UnauthorizedGateway returns the UNAUTHORIZED gateway response: 401,
// problem+json, WWW-Authenticate: Bearer.
func UnauthorizedGateway() GatewayResponse {
	return GatewayResponse{
		Type:       "UNAUTHORIZED",
		StatusCode: 401,
		Headers: map[string]string{
			"Content-Type":     "'" + ProblemContentType + "'",
			"WWW-Authenticate": "'Bearer'",
		},
		Templates: map[string]string{JSONContentType: UnauthorizedBodyTemplate},
	}
}

// RateLimitedGateway returns the ACCESS_DENIED gateway response remapped to
// 429: problem+json, Retry-After, RateLimit and RateLimit-Policy, all from the
// authorizer context. The authorizer uses Deny for nothing but rate limits.
func RateLimitedGateway() GatewayResponse {
	return GatewayResponse{
		Type:       "ACCESS_DENIED",
		StatusCode: 429,
		Headers: map[string]string{
			"Content-Type":        "'" + ProblemContentType + "'",
			"Retry-After":         "context.authorizer." + ContextKeyRetryAfter,
			HeaderRateLimit:       "context.authorizer." + ContextKeyRateLimit,
			HeaderRateLimitPolicy: "context.authorizer." + ContextKeyRateLimitPolicy,
		},
		Templates: map[string]string{JSONContentType: RateLimitedBodyTemplate},
	}
}

// unavailableDetail is the detail of the 503 the gateway answers when the
// authorizer fails (it fails closed when revocation cannot be checked).
const unavailableDetail = "The authorizer could not reach its store; try again."

// UnavailableBodyTemplate is the body of the AUTHORIZER_FAILURE gateway
// response remapped to 503; it has no placeholders.
const UnavailableBodyTemplate = `{"type":"` + ProblemTypeBase + string(TypeStoreUnavailable) + `",` +
	`"title":"Store unavailable","status":503,` +
	`"detail":"` + unavailableDetail + `"}`

// UnavailableGateway returns the AUTHORIZER_FAILURE gateway response remapped
// to 503 problem+json with Retry-After: 1.
func UnavailableGateway() GatewayResponse {
	return GatewayResponse{
		Type:       "AUTHORIZER_FAILURE",
		StatusCode: 503,
		Headers: map[string]string{
			"Content-Type": "'" + ProblemContentType + "'",
			"Retry-After":  "'1'",
		},
		Templates: map[string]string{JSONContentType: UnavailableBodyTemplate},
	}
}

// UnavailableResponse is the Go twin of UnavailableGateway, for the local
// server.
func UnavailableResponse() events.APIGatewayProxyResponse {
	r := ProblemResponse(TypeStoreUnavailable.New(unavailableDetail))
	r.Headers["Retry-After"] = "1"
	return r
}

// UnauthorizedResponse is the Go twin of UnauthorizedGateway, for the local
// server.
func UnauthorizedResponse() events.APIGatewayProxyResponse {
	return Unauthorized(unauthorizedDetail)
}

// RateLimitedResponse is the Go twin of RateLimitedGateway, for the local
// server: the 429 quota-exceeded problem built from the Deny's authorizer
// context. For a context DenyContext built, body and headers equal what API
// Gateway renders. Unlike the template it stays valid JSON when keys are
// missing: a missing or non-numeric value drops its member (and a missing
// retry_after the Retry-After header); an invalid policy name drops
// violated-policies.
func RateLimitedResponse(authCtx map[string]any) events.APIGatewayProxyResponse {
	p := Problem{
		Type:   TypeQuotaExceeded.URI(),
		Title:  TypeQuotaExceeded.Title(),
		Status: TypeQuotaExceeded.Status(),
	}
	ext := map[string]any{}
	nums := map[string]int64{}
	for _, key := range []string{ContextKeyRetryAfter, ContextKeyLimit, ContextKeyRemaining, ContextKeyReset} {
		s, ok := contextString(authCtx, key)
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			continue
		}
		nums[key] = n
		ext[key] = n
	}
	retry, hasRetry := nums[ContextKeyRetryAfter]
	policy, _ := contextString(authCtx, ContextKeyPolicy)
	hasPolicy := ValidPolicyName(policy)
	if hasPolicy {
		ext["violated-policies"] = []string{policy}
	}
	switch {
	case hasPolicy && hasRetry:
		p.Detail = fmt.Sprintf("Rate limit exceeded for policy %s; retry after %d seconds.", policy, retry)
	case hasPolicy:
		p.Detail = fmt.Sprintf("Rate limit exceeded for policy %s.", policy)
	case hasRetry:
		p.Detail = fmt.Sprintf("Rate limit exceeded; retry after %d seconds.", retry)
	default:
		p.Detail = "Rate limit exceeded."
	}
	p.Extensions = ext
	r := ProblemResponse(p)
	if hasRetry {
		r.Headers["Retry-After"] = strconv.FormatInt(retry, 10)
	}
	return WithRateLimitHeaders(events.APIGatewayProxyRequest{
		RequestContext: events.APIGatewayProxyRequestContext{Authorizer: authCtx},
	}, r)
}
