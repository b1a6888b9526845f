// Package redisconn builds the one pooled Redis client every Lambdis function
// shares: standalone or cluster, plain or TLS, with or without AUTH, sized
// and timed for AWS Lambda.
//
// A function builds it once per execution environment, in main, before
// lambda.Start, and closes it on SIGTERM (lambda.WithEnableSIGTERM):
//
//	rdb, err := redisconn.FromEnv(ctx)
//	if err != nil {
//		log.Fatal(err) // names the variable at fault, never a password
//	}
//	defer rdb.Close()
//
// ConfigFromEnv reads and validates the variables below; New builds the
// client from a Config, reads the password from Secrets Manager when told to,
// and PINGs once so a bad address, password or certificate fails the cold
// start rather than the first request. Tests build a Config directly
// (zero numeric fields take the defaults) and pass a fake Secrets Manager.
//
// # Environment
//
// Exactly one of REDIS_URL and REDIS_ADDRS must be set; with neither,
// ConfigFromEnv returns an error wrapping ErrNotConfigured. Booleans are true
// or false (also 1/0, yes/no, any case). Durations use Go syntax ("500ms",
// "2s") and must be greater than 0 and at most 30s. Every
// invalid or contradictory value is an error (a *ConfigError) whose message
// names the variable and the reason, e.g.
// `redisconn: REDIS_POOL_SIZE: "abc" is not an integer`.
//
//	REDIS_URL                 (unset)  redis://[user[:password]@]host[:port][/db], or rediss:// for TLS.
//	                                   Port 6379 by default. No query parameters.
//	REDIS_ADDRS               (unset)  Comma-separated host:port list. More than one address
//	                                   needs REDIS_CLUSTER=true.
//	REDIS_CLUSTER             false    true: a cluster client, even for one address (ElastiCache
//	                                   cluster-mode configuration endpoint, ElastiCache Serverless).
//	                                   Database 0 only.
//	REDIS_USERNAME            (unset)  ACL user name (else the "default" user). Not together with a
//	                                   user in REDIS_URL.
//	REDIS_PASSWORD            (unset)  AUTH password. Not together with a password in REDIS_URL or
//	                                   with REDIS_AUTH_SECRET_ARN.
//	REDIS_AUTH_SECRET_ARN     (unset)  ARN of a Secrets Manager secret holding the password, as the
//	                                   whole secret string or its JSON field "password". Read once
//	                                   at start-up (5s limit).
//	REDIS_TLS                 auto     true for a rediss:// URL, false otherwise. TLS 1.2 or later.
//	                                   false with rediss:// is an error.
//	REDIS_TLS_SERVER_NAME     (unset)  Name verified in the server certificate; default: the host
//	                                   of each address dialled. Needs TLS on.
//	REDIS_TLS_CA_FILE         (unset)  PEM file of the only CAs trusted; default: system roots.
//	                                   Needs TLS on.
//	REDIS_POOL_SIZE           4        Connections per Redis node, 1..256.
//	REDIS_MIN_IDLE_CONNS      0        Idle connections kept open, 0..REDIS_POOL_SIZE.
//	REDIS_CONN_MAX_IDLE_TIME  20s      A connection idle this long is closed instead of reused.
//	REDIS_MAX_RETRIES         2        Retries of a command after a network error, a read timeout
//	                                   or LOADING/READONLY/TRYAGAIN/CLUSTERDOWN, 1..10.
//	REDIS_DIAL_TIMEOUT        500ms    One connection attempt: TCP connect and TLS handshake.
//	REDIS_READ_TIMEOUT        200ms    Waiting for one reply; must cover the slowest script.
//	REDIS_WRITE_TIMEOUT       200ms    Writing one command.
//	REDIS_POOL_TIMEOUT        1s       Waiting for a free connection when all are busy.
//
// ENV.md beside this file holds the same table in Markdown.
//
// # Why these defaults
//
// A Lambda execution environment serves one invocation at a time, so a pool
// of 4 covers a handler's few concurrent calls; thousands of environments
// times a large pool would exhaust the server's maxclients. An environment
// is frozen between invocations, possibly for minutes, and the server or a
// NAT may drop its sockets meanwhile; go-redis checks an idle connection's
// health before reuse only on plain TCP, not on TLS, so the short
// REDIS_CONN_MAX_IDLE_TIME makes a thawed environment dial afresh instead of
// writing into a dead socket. At least one retry covers the socket that died
// anyway. The timeouts are far inside any function's budget, and
// ContextTimeoutEnabled lets the caller's context deadline cut them shorter.
//
// The client also makes no extra round trips per new connection (no CLIENT
// SETINFO, no CLIENT MAINT_NOTIFICATIONS), retries a failed dial through the
// command's retries rather than five times inside the pool, and runs
// pipelines on the same small pool instead of a second one.
//
// # Retries replay commands
//
// go-redis re-sends a command whose reply was lost: after the connection
// broke, and also after REDIS_READ_TIMEOUT expired while the server may still
// have been running it. A retried write can therefore run twice. Keep
// REDIS_READ_TIMEOUT above the slowest script, and make every script that
// changes state safe to replay (an idempotency key, a compare-and-set, or a
// result that does not change when applied twice).
package redisconn
