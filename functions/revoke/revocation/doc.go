// Package revocation is the revoke function: it revokes one token, or every
// token and session of a subject, in the store the authorizer reads.
//
//	POST /tokens/revoke              body {} or {"token": "<jwt>"}
//	POST /users/{sub}/revoke-all
//	GET  /tokens/self                the caller as the API sees it
//
// Without a body token the presenting token (the request's Authorization
// header) is revoked. A body token must verify (signature, issuer, audience;
// an already expired token is accepted and needs nothing done) and belong to
// the caller, unless the caller has the admin scope. revoke-all is allowed for
// oneself or with the admin scope; one script sets the subject's cut-off
// (tokens issued and sessions created at or before that second are rejected)
// and ends every session of the subject (shared/session), and the answer
// says how many ({"sub", "not_before", "sessions"}). Both are idempotent (RFC 7009 style); a
// store failure answers 503 and never reports a revocation that did not
// happen.
package revocation
