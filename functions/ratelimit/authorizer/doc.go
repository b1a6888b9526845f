// Package authorizer is the API Gateway REST API REQUEST authorizer: it
// verifies the bearer token (or looks up the session), rejects revoked and
// cut-off tokens and sessions, and applies the rate-limit policies, with one
// Redis round trip per request.
//
// Credentials, in this order: the Authorization header, "Bearer <jwt>" or
// "Session <id>" (shared/session); else the lambdis_session cookie (every
// Cookie header is read; the cookie twice with different values is
// ambiguous and rejected); else none (anonymous, when enabled). A session
// decision is one script (session.Store.Decide): the session must exist, be
// listed in its subject's index, be neither idle nor past its maximum
// lifetime, and be newer than the subject's revoke-all cut-off; an admitted
// request slides its expiry and is charged to the subject's policies, the
// same budget its tokens spend.
//
// Answers (the stack's gateway responses turn them into HTTP):
//
//   - no credential (and anonymous access off), a malformed, expired, wrongly
//     signed, revoked or cut-off token, or a malformed, unknown, idle,
//     expired, destroyed or cut-off session: the error "Unauthorized" → 401
//     with WWW-Authenticate: Bearer;
//   - over a limit: Deny with retry_after, policy, limit, remaining and reset
//     in the context → 429 problem+json (Deny means nothing else);
//   - otherwise Allow for every method of the stage, with sub, scope, jti, iss
//     (a session: sub, scope, auth=session and session=<its handle, never
//     the id>, no jti or iss) and the
//     RateLimit/RateLimit-Policy header values in the context;
//   - Redis unavailable or slow: revocation cannot be checked, so by default
//     the authorizer fails closed (an error → 500, mapped to 503); with
//     AUTHZ_REVOCATION_FAIL_OPEN=true, and for anonymous callers, the rate
//     limiter decides: AUTHZ_RATELIMIT_FAIL_OPEN=true (default) allows, false
//     denies (429). A session cannot be checked at all without Redis: it
//     always fails closed. Every such decision is logged and counted.
package authorizer
