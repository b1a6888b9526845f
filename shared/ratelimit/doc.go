// Package ratelimit is a GCRA (generic cell rate algorithm) rate limiter that
// runs as one Lua script in Redis and takes its clock from Redis TIME.
//
// # Policies
//
// A Policy is (name, rate, period, burst): rate requests per period sustained,
// and at most burst requests at once. Precisely: in any interval of length t a
// subject is admitted at most
//
//	burst + floor(rate * t / period)
//
// requests, and a subject that has been idle for burst*period/rate may spend
// burst requests at once. The limit a client sees in headers is burst (not
// burst+1, unlike redis-cell). With burst = rate ("100 per minute"), a fresh
// subject may make 100 requests in one instant and then one more every 600 ms.
//
// # All or nothing
//
// Allow evaluates several policies for one subject in one script call: either
// every policy admits the request and all of them are charged, or none is
// charged. A subject's state is one key, <prefix>:rl:{<subject>}, holding the
// theoretical arrival time of each policy it was charged under (see gcra.lua):
// a call reads it once and writes it once whatever the number of policies,
// keeps the entries of policies it does not name (another route's limits on
// the same subject) and lets the key expire when the last policy is back to a
// full burst. Every key of one call shares the subject's hash tag, so the call
// is valid on Redis Cluster, ElastiCache cluster mode and Serverless.
//
// # Results
//
// For each policy Allow reports whether it admits, the requests remaining,
// RetryAfter (rounded up to the microsecond, so a client that waits RetryAfter
// is admitted unless someone else spends the budget first) and ResetAfter (when
// the subject is back to a full burst). A cost above a policy's burst can never
// be admitted: RetryAfter is then Never.
//
// Cost 0 is a peek: nothing is written and the state is reported.
//
// # Configuration
//
// ParsePolicies reads the RATE_LIMITS format:
//
//	per_second=10/1s:20, per_day=10000/1d
//
// name=rate/period[:burst], separated by commas; burst defaults to rate;
// periods use Go duration syntax plus "d" for 24h.
package ratelimit
