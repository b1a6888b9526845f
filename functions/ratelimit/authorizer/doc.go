// Package authorizer is the API Gateway REST API REQUEST authorizer: it
// verifies the bearer token, rejects revoked and cut-off tokens, and applies
// the rate-limit policies, with one Redis round trip per request.
//
// Answers (the stack's gateway responses turn them into HTTP):
//
//   - no token (and anonymous access off), or a malformed, expired, wrongly
//     signed, revoked or cut-off token: the error "Unauthorized" → 401 with
//     WWW-Authenticate: Bearer;
//   - over a limit: Deny with retry_after, policy, limit, remaining and reset
//     in the context → 429 problem+json (Deny means nothing else);
//   - otherwise Allow for every method of the stage, with sub, scope, jti, iss
//     and the RateLimit/RateLimit-Policy header values in the context;
//   - Redis unavailable or slow: revocation cannot be checked, so by default
//     the authorizer fails closed (an error → 500, mapped to 503); with
//     AUTHZ_REVOCATION_FAIL_OPEN=true, and for anonymous callers, the rate
//     limiter decides: AUTHZ_RATELIMIT_FAIL_OPEN=true (default) allows, false
//     denies (429). Every such decision is logged and counted.
package authorizer
