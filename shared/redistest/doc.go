// Package redistest starts Redis servers for tests: an embedded miniredis, a
// real redis-server on a free port in a temporary directory, and a real
// three-master Redis Cluster. Every server is stopped by the test that started
// it (t.Cleanup).
//
// The real servers need the redis-server binary (PATH or REDIS_SERVER_BIN).
// When it is absent the test is skipped with a loud reason, unless
// LAMBDIS_REQUIRE_INTEGRATION=1, which turns the skip into a failure; CI sets
// it so that no integration test can silently skip.
package redistest
