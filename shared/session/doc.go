// Package session is the session store of Lambdis: server-side sessions for
// clients that do not hold a JWT, accepted by the authorizer as
// "Authorization: Session <id>" or the cookie lambdis_session=<id>.
//
// # Ids
//
// An id is base64url(subject) "." base64url(32 random bytes), unpadded (ID,
// ParseID). It is opaque to clients but carries the subject, so the server
// finds the session under the subject's hash tag ({u:<sub>}, authz.UserTag)
// without a lookup table, and the session, the subject's revoke-all cut-off
// and the subject's rate-limit state share one Redis Cluster slot: the
// authorizer's decision is one script. Redis keys hold a handle, the first
// 128 bits of SHA-256 over the random part, never the random part itself, so
// a dump of Redis yields no usable id. ParseID rejects anything that is not
// exactly this shape (too long, bad or non-canonical base64, a subject that is
// empty, longer than 256 bytes, not UTF-8 or with control characters) without
// touching Redis; the secret is never compared, only hashed into a key name.
//
// # Keys and the validity rule
//
// All under the auth module and the subject's tag (authz.SessionKey,
// authz.SessionIndexKey, authz.CutoffKey):
//
//	lambdis:auth:{u:alice}:sess:<handle>  hash: sub, created, seen, idle, exp, scope, d:<name>...
//	lambdis:auth:{u:alice}:sessions       sorted set: handle → expiry (ms)
//	lambdis:auth:{u:alice}:nbf            revoke-all cut-off (unix seconds)
//
// A session is valid only while its hash exists, its handle is listed in the
// index, it is neither idle (last use + idle TTL) nor past its maximum
// lifetime, and it was created after the cut-off second. Every time is Redis
// TIME in milliseconds. A script that finds a session invalid deletes what
// is left of it.
//
// # Why an index that decides validity
//
// Ending all of a user's sessions must be one atomic step, yet a script may
// touch only the keys it is given (ElastiCache cluster mode and Serverless
// enforce what the Redis documentation asks), and the session keys of a user
// are not known before reading the index. Listing first and deleting second
// would race with a session being created in between. Making the index part
// of the validity rule removes the race: DestroyAll (and authz.RevokeAll,
// for POST /users/{sub}/revoke-all) delete the index in one script, which
// ends every session at once; the hashes it listed are deleted by a second
// command, which is clean-up only (an unlisted hash is unusable, and expires
// after its idle TTL anyway). A session created concurrently is either in
// the deleted index or in a new one created after it, never lost in between.
// Revoke-all also sets the cut-off: sessions created at or before that second
// are rejected (Create refuses to make one in that second, ErrCutOff, rather
// than hand out a dead id).
//
// The alternative, all of a user's sessions as fields of one hash, makes
// destroy-all one DEL too, but Redis 7.0 has no per-field expiry (HPEXPIRE
// is 7.4), so every lookup would decode and re-encode a record, idle
// sessions would linger until swept, and user data would be read with every
// decision. Separate hashes keep PEXPIRE's native sliding expiry.
//
// # Sliding expiry
//
// Every use (Get, or an admitted authorizer decision) sets last-seen to now
// and PEXPIREs the hash to min(now + idle TTL, maximum expiry); the index
// score follows, and the index lives as long as its longest-lived session.
// Create prunes expired handles from the index and, when the subject holds
// Config.MaxPerUser sessions, evicts those closest to expiry (unlisting them
// is enough). Update changes user data without counting as a use; Peek reads
// without one.
//
// # An account page
//
// List returns a subject's valid sessions (read the index, then one script
// checks and reads every listed session; no use is recorded). A session is
// named to its owner by its handle, never its id: DestroyHandle ends one by
// handle under the caller's own subject (another subject's handle is simply
// not found), and DestroyOthers ends every session but the caller's in one
// script ("log out other devices").
//
// # The authorizer's decision
//
// Decide is one EVALSHA of ratelimit's gcra.lua + session.lua + decide.lua:
// it reads the session, its listing, the cut-off and every policy's state,
// and either rejects (ReasonNoSession, ReasonCutoff: nothing is charged), or
// denies (ReasonRateLimited: nothing is written), or admits: the session is
// touched and every policy charged. The rate-limit state is the subject's,
// shared with the subject's tokens.
//
// Configuration (ConfigFromEnv, for a function that creates sessions, such
// as functions/session): SESSION_IDLE_TTL (default 30m), SESSION_MAX_TTL (default 24h, 0 for none),
// SESSION_MAX_PER_USER (default 100). The authorizer needs none of them: each
// session carries its own TTLs.
package session
