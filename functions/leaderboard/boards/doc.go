// Package boards is the leaderboard function: it serves the boards of
// shared/leaderboard behind the API's authorizer.
//
//	POST   /leaderboards/{board}/scores             {"player", "score", "mode"}
//	GET    /leaderboards/{board}?period=&date=&limit=&cursor=
//	GET    /leaderboards/{board}/players/{player}?period=&date=&around=
//	DELETE /leaderboards/{board}/players/{player}   (admin scope)
//
// A submission updates the all-time, daily and weekly windows at once and
// answers the all-time {player, score, rank, previous_rank}. period is all
// (default), day or week; the day and week are those of the request's time
// (API Gateway's requestTimeEpoch) in UTC, or those containing date
// (YYYY-MM-DD, not after the request's day and not of a window that has
// expired, LEADERBOARD_RETENTION after its end) to read a past window. A page
// lists up to limit (1 to 100, default 10) entries and a next_cursor that
// continues the same walk of the same window. Cursors are not signed; a
// cursor is checked like the query it came from (its window within the same
// bounds as date=, its board the route's), so a forged one reaches nothing
// the query could not. around (0 to
// 50, default 5) is the number of neighbours listed on each side.
//
// A caller submits for itself (player = its token subject); submitting for
// another player takes the submit scope (LEADERBOARD_SUBMIT_SCOPE, for game
// servers) or the admin scope. Player ids are narrower than subjects (the
// subject rule, authz.ValidateSubject): a caller whose subject is not a valid
// player id reads boards like anyone but cannot submit for itself; a game
// server with the submit scope submits for it under a valid player id. DELETE takes the admin scope
// (LEADERBOARD_ADMIN_SCOPE). Reads are open to every caller the authorizer
// admits, anonymous ones included.
//
// Every parameter is validated before Redis is touched: an invalid board,
// player, score, mode, period, date, limit, cursor or around is a 400
// problem and writes nothing (bad-request; for a body value with the errors
// extension pointing at it; invalid-json for a body that is not the JSON
// object the route takes). A player not on the window is a 404; a store
// failure is a 503 (a submission answered 503 may or may not have been
// applied).
package boards
