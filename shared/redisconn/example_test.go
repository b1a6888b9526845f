package redisconn_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/alicebob/miniredis/v2"
	"github.com/lambdis/lambdis/shared/redisconn"
)

// A function builds its one client at init from the REDIS_* variables: the
// same variables every Lambdis function, lambdis serve and lambdis doctor
// read. New pings, so a wrong address fails at start-up, not on the first
// request.
func ExampleNew() {
	mr, err := miniredis.Run()
	if err != nil {
		panic(err)
	}
	defer mr.Close()
	env := map[string]string{"REDIS_URL": "redis://" + mr.Addr() + "/0", "REDIS_POOL_SIZE": "4"}

	cfg, err := redisconn.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		panic(err)
	}
	rdb, err := redisconn.New(context.Background(), cfg, nil) // nil: no Secrets Manager
	if err != nil {
		panic(err)
	}
	defer rdb.Close()
	fmt.Println(cfg.Cluster, cfg.PoolSize, rdb.Ping(context.Background()).Val())
	// Output: false 4 PONG
}

// An ElastiCache cluster over TLS with an AUTH token: the password never
// appears in the configuration's String form, which is safe to log.
func ExampleConfigFromEnv() {
	env := map[string]string{
		"REDIS_URL":     "rediss://:s3cret-auth-token@clustercfg.lambdis.abc123.use1.cache.amazonaws.com:6379",
		"REDIS_CLUSTER": "true",
	}
	cfg, err := redisconn.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		panic(err)
	}
	fmt.Println(cfg.Addrs, cfg.Cluster, cfg.TLS)
	fmt.Println(strings.Contains(cfg.String(), "s3cret"))
	// Output:
	// [clustercfg.lambdis.abc123.use1.cache.amazonaws.com:6379] true true
	// false
}
