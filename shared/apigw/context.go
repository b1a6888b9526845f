package apigw

import (
	"encoding/json"
	"strconv"

	"github.com/aws/aws-lambda-go/events"
)

// Keys of the REQUEST authorizer's context, shared by the authorizer (which
// writes them) and the integrations and gateway responses (which read them).
// API Gateway hands every context value on as a string.
const (
	ContextKeySubject   = "sub"       // token subject; empty for anonymous callers
	ContextKeyJTI       = "jti"       // token id
	ContextKeyIssuer    = "iss"       // token issuer
	ContextKeyScope     = "scope"     // space-separated scopes
	ContextKeyAnonymous = "anonymous" // "true" or "false"
	// ContextKeySession is the handle of the presenting session (a hash of
	// its secret, never the session id), set only when the caller
	// authenticated with a session instead of a token.
	ContextKeySession = "session"

	ContextKeyRateLimit       = "ratelimit"        // RateLimit field value (FormatRateLimit)
	ContextKeyRateLimitPolicy = "ratelimit_policy" // RateLimit-Policy field value (FormatRateLimitPolicy)

	// Set on a rate-limit Deny and read by the 429 gateway response.
	ContextKeyRetryAfter = "retry_after" // whole seconds, rounded up
	ContextKeyPolicy     = "policy"      // name of the violated policy
	ContextKeyLimit      = "limit"       // its quota
	ContextKeyRemaining  = "remaining"   // its remaining quota
	ContextKeyReset      = "reset"       // seconds until it is fully replenished, rounded up
)

// contextString returns the authorizer context value under key as a string.
// API Gateway passes strings, but the local server and tests may hand typed
// values, so booleans and numbers are formatted the way API Gateway does.
func contextString(ctx map[string]any, key string) (string, bool) {
	v, ok := ctx[key]
	if !ok {
		return "", false
	}
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32), true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case int32:
		return strconv.FormatInt(int64(x), 10), true
	case json.Number:
		return x.String(), true
	default:
		return "", false
	}
}

// authorizerContext returns the request's authorizer context (nil if none).
func authorizerContext(req events.APIGatewayProxyRequest) map[string]any {
	return req.RequestContext.Authorizer
}
