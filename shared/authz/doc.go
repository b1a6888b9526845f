// Package authz is the edge's authorization layer: JWT verification (HS256
// secret or JWKS), the revocation store, and the authorizer's one-round-trip
// decision for a token (DecideToken) or an anonymous caller
// (DecideAnonymous).
//
// Keys of the auth module, all under the subject's user tag (UserTag) so that
// one script can use them with the subject's rate-limit state:
//
//	<prefix>:auth:{u:<sub>}:revoked:<token id>   a revoked token, until it expires
//	<prefix>:auth:{u:<sub>}:nbf                  revoke-all cut-off (unix seconds)
//	<prefix>:auth:{u:<sub>}:sess:<handle>        a session (shared/session)
//	<prefix>:auth:{u:<sub>}:sessions             the subject's session index
//
// RevokeAll sets the cut-off and deletes the session index in one script,
// which ends every token issued and every session created until then;
// shared/session owns the session format and the session decision.
package authz
