// Package leaderboard keeps leaderboards on Redis sorted sets: exact
// integer scores, competition ranks with the earlier achiever listed first,
// all-time, daily and weekly windows written together, stable paging and
// neighbours, each operation one round trip.
//
// # Settings
//
// A board may be declared (Store.SetSettings; Settings): highest or lowest
// score wins (Order), which windows a submission writes (all-time, day, ISO
// week, calendar month), whether equal scores are listed earliest achiever
// first or by player id (Ties), and the modes it accepts. An undeclared
// board has DefaultSettings: everything below describes it. Settings live
// in the board hash (the all-time players hash, fields '#order', '#ties',
// '#windows', '#modes'), which the submit script reads in its own call. A
// lowest-wins board stores negated scores and a board without a tie-break
// stores the player id as the member; each window's "#lowered" member is
// named after its layout ("#lowered:asc", ":none", ":asc:none"), so reads
// need no settings, and the order and the tie rule cannot change while the
// board has players (ErrConflict). Player data (a JSON object of at most
// MaxDataLen bytes) is kept per board in <board>:data, returned with
// WithData and deleted with the player. Ranks answers several players in
// one call; Percentile is defined there. docs/leaderboards.md has the
// layouts and what a submit costs.
//
// # Keys
//
// A board (e.g. "game1") is the hash tag of all its keys, so every script
// is valid on Redis Cluster, ElastiCache cluster mode and Serverless:
//
//	lambdis:lb:{game1}:all               the all-time window (never expires)
//	lambdis:lb:{game1}:d:2026-11-26      one UTC day
//	lambdis:lb:{game1}:w:2026-W48        one ISO 8601 week, UTC
//	lambdis:lb:{game1}:m:2026-11         one calendar month, UTC
//	<each of the above>:players          the window's players hash (the
//	                                     all-time one, the board hash, also
//	                                     holds the settings and the
//	                                     board's write sequence, #seq)
//	lambdis:lb:{game1}:data              player data
//
// A window's sorted set also holds the member "#lowered", scored seq * 2^53
// with seq that of the window's latest lowering (a score going down, a
// player joining or leaving; see Paging): a score of at least 2^53, above every player, exact
// for every seq below 2^53. It is never listed, and ranks never count it.
//
// # Scores and the tie-break
//
// Scores are integers within ±MaxScore = ±(2^53 − 1) =
// ±9,007,199,254,740,991, and the sorted-set score is the score itself:
// all 53 bits of a double's significand carry the score, and every integer
// in range is exact. A submitted score outside the range is rejected
// (ErrInvalid); a submission whose result would leave it (an increment) is
// rejected as a whole, in every window, before anything is written
// (ErrScoreRange). Nothing is ever rounded.
//
// The tie-break is not squeezed into the score: it is the member. A member
// is a 16-digit prefix followed by the player id, and the prefix is
// 2^53 − seq, zero-padded, where seq is the board's write sequence at the
// moment the player reached the score (the previous seq + 1; a new board
// starts from Redis TIME in microseconds; exact below 2^53). Redis orders equal scores by member bytes, and a
// descending walk lists the larger prefix, the smaller seq, first: among
// equal scores the player who reached the score first is listed first. Two
// players never share a seq, so the order is total. Each window's players
// hash maps a player to its current prefix, so every change re-encodes the
// member atomically in the same script: a player's tie-break changes only
// when its score changes (resubmitting the same score keeps the earlier
// time).
//
// # Modes
//
// A submission updates the all-time, daily and weekly windows of its time
// in one script call, each on its own: best keeps the higher score,
// increment adds (the argument may be negative), set replaces. It returns
// the all-time score, rank and previous rank.
//
// # Ranks
//
// Ranks are competition ranks ("1, 2, 2, 4"): one more than the number of
// players with a strictly higher score, computed inside the script that
// reads the entries (ZCOUNT for the first entry of a page, then from the
// positions), so a page is never a mix of two moments.
//
// # Windows and expiry
//
// The day and week are chosen from the request's time in UTC (a write at
// 23:59:59.999 and one at 00:00:00.000 land in different days; 2027-01-01
// is in week 2026-W53). A window's keys expire at the end of the window plus
// the retention (Config.Retention, default 14 days), set with PEXPIREAT
// when a player first enters the window, so no sweeper is needed and past
// windows stay readable until then.
//
// # Paging
//
// Top pages by place, not by offset: a Cursor holds the last entry's
// (score, member), and the next page starts right after that place,
// wherever its player has moved since. Entries that did not move are
// listed exactly once; a player that rises past the cursor is not listed
// again. A player whose score goes down can fall past the cursor after it
// was listed, so each window records when a player's score last went down
// (and, in "#lowered", when any did) and a walk leaves out players lowered
// after it began: one walk never lists a player twice (such a player may be
// missing from that walk). Joining a window and leaving it (a delete)
// count as lowerings: a walk leaves out players that joined after it
// began, so a player deleted and back with a lower score during a walk is
// not listed twice either.
//
// # Round trips
//
// Submit, Around, Delete and every page of Top after the first are each
// one EVALSHA (EVALSHA_RO for the reads) of an embedded script. The first
// page of a walk, the common top-N read, is one ZREVRANGE 0 limit+1
// WITHSCORES: "#lowered" first when it is there (where the walk begins),
// then the players, their ranks computed from their positions. Commands are
// those of Redis 7.0.
package leaderboard
