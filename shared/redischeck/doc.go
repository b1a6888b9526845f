// Package redischeck checks the Redis a Lambdis deployment runs on: the
// connection, the server version (7.0 or later, or Valkey), the eviction
// policy and memory use, the cluster state and whether the client's mode
// matches the server's, scripting, and the clock. Each check is a verdict,
// OK, Warn or Fail, with a sentence that says why and what to change.
//
// It is the one implementation behind `lambdis doctor`, which prints the
// report one line per check, and the admin API's GET /admin/redis, which
// answers it as JSON for the console. It reads INFO rather than CONFIG (which
// ElastiCache forbids) and writes nothing.
//
//	report := redischeck.Run(ctx, rdb, redischeck.Options{Cluster: cfg.Cluster, ProbeKey: key})
//	for _, c := range report.Checks {
//		fmt.Println(c.Level, c.Name, c.Detail)
//	}
package redischeck
