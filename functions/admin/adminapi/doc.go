// Package adminapi is the admin function: what `lambdis queue` shows and
// does, and a subject's limits, over HTTP behind the authorizer, for callers
// with the admin scope (ADMIN_SCOPE, default "admin"). Every operation is
// the library call the command makes (shared/queue, shared/authz), not a
// second implementation.
//
//	GET    /admin/queues                       → 200 {"queues": [overview...]}: every registered
//	                                             queue with its books, the age of its oldest due
//	                                             job and its drift (queue.Client.Overviews)
//	GET    /admin/queues/{queue}/dead          ?cursor=ENTRY&limit=N (1 to 1000, default 20)
//	                                           → 200 {"queue", "dead_letters": [...], "next_cursor"?}
//	                                             newest first (`lambdis queue dead` lists oldest
//	                                             first), each with its payload and error history
//	POST   /admin/queues/{queue}/dead/redrive  body none or {} (every dead letter) or {"ids": [...]}
//	                                           → 200 {"queue", "redriven": [job ids], "missing": [...]}
//	DELETE /admin/queues/{queue}/dead          body as for redrive
//	                                           → 200 {"queue", "deleted": n, "missing": [...]}
//	GET    /admin/jobs/{id}                    → 200 the job's record, whoever enqueued it
//	GET    /admin/subjects/{sub}/limits        → 200 {"sub", "revoked_all", "revoked_at"?,
//	                                             "not_before"?, "revoke_all_until"?, "limits": [...]}
//	GET    /admin/redis                        → 200 {"checks": [{"check", "level", "detail"}...],
//	                                             "ok", "warn", "fail"}: `lambdis doctor`'s Redis
//	                                             checks (shared/redischeck) on the function's client
//
// An id in "ids" is a dead letter's entry id (1700000000000-0) or its job id
// (<queue>:<32 hex>), as `lambdis queue redrive --id` takes; ids that match
// no dead letter of the queue are listed in "missing" and the others are
// acted on (queue.Client.RedriveDead, PurgeDead). An empty "ids" is refused
// (422): it never means "all".
//
// The limits are the subject's state under every policy of RATE_LIMITS (the
// authorizer's variable, read with its default) as the next request of one
// of its tokens would be decided on, read without spending (authz.Store.Peek):
// remaining requests now and seconds until a full burst; and whether a
// revoke-all cut-off is in force, since when, and until when it is kept.
//
// Every route needs an identified caller (401) with the admin scope (403
// with required_scope); errors are problem+json (docs/problems.md); a store
// failure is 503 store-unavailable.
package adminapi
