// Package pgtest starts PostgreSQL for tests, the database that the cache and
// lock patterns are checked against.
//
// Start runs initdb into a temporary directory and a postgres server on a
// free loopback port, owned by the test that started it (stopped in
// t.Cleanup). When LAMBDIS_TEST_POSTGRES_URL is set, it uses that server
// instead and gives each test a fresh database, dropped when the test ends.
//
// The binaries (initdb, postgres) are found on PATH, in LAMBDIS_PG_BIN, or in
// Debian's /usr/lib/postgresql/<version>/bin. When they are absent the test is
// skipped with a loud reason, unless LAMBDIS_REQUIRE_INTEGRATION=1, which
// turns the skip into a failure (see redistest.SkipOrFail). PostgreSQL refuses
// to run as root; when the tests do, the server runs as the "postgres" user.
package pgtest
