// Package sessionsapi is the session function: it exchanges a bearer token
// for a server-side session (shared/session) held in a cookie, and lets a
// user see and end their sessions. Every route is behind the authorizer,
// which has already verified the credential.
//
//	POST   /sessions            body {} or {"device": "<name>"} → 201 + Set-Cookie
//	GET    /sessions            the caller's sessions
//	DELETE /sessions/current    log out: end the presenting session, clear the cookie
//	DELETE /sessions/{handle}   end one of the caller's sessions
//	DELETE /sessions            end all of the caller's other sessions
//
// POST /sessions needs a bearer token: the new session has the token's
// subject and scopes, and lives by the function's SESSION_IDLE_TTL and
// SESSION_MAX_TTL, whatever the token's own expiry. A caller presenting a
// session is refused (400): log in with a token. The device name is at most
// MaxDeviceBytes of UTF-8 without control characters.
//
// The answer sets the cookie lambdis_session=<id>; Path=/; Secure; HttpOnly;
// SameSite=Lax (the attributes are configurable, see CookieConfig), and its
// body describes the session without its id. A session is named to clients,
// in logs and in Redis keys only by its handle, a hash of the id's secret:
// a handle identifies a session but is no credential. Another user's handle
// is the same 404 as an unknown one.
//
// The authorizer requires X-Requested-With on cookie requests that change
// state (anything but GET, HEAD, OPTIONS); the routes work the same with
// "Authorization: Session <id>". A store failure answers 503 and writes
// nothing a client is told about.
package sessionsapi
