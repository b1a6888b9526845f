package ratelimit_test

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/ratelimit"
	"github.com/redis/go-redis/v9"
)

// A subject gets a burst of 3, then one request every 6 seconds (10 a
// minute). Every policy is decided in one script, all or nothing.
func ExampleLimiter_Allow() {
	rdb := newRedis()
	defer rdb.Close()
	limiter := ratelimit.New(rdb, keys.Builder{})
	perMinute := ratelimit.Policy{Name: "per_minute", Rate: 10, Period: time.Minute, Burst: 3}

	for i := 0; i < 4; i++ {
		d, err := limiter.Allow(context.Background(), "u:alice", 1, perMinute)
		if err != nil {
			panic(err)
		}
		if d.Allowed {
			fmt.Println("allowed, remaining", d.Results[0].Remaining)
			continue
		}
		denied := d.DeniedBy()
		fmt.Printf("denied by %s, retry after %.0fs\n", denied.Policy.Name, math.Ceil(denied.RetryAfter.Seconds()))
	}
	// Output:
	// allowed, remaining 2
	// allowed, remaining 1
	// allowed, remaining 0
	// denied by per_minute, retry after 6s
}

// Policies are written as RATE_LIMITS is: name=rate/period[:burst].
func ExampleParsePolicies() {
	ps, err := ratelimit.ParsePolicies("per_second=10/1s:20,per_minute=300/1m")
	if err != nil {
		panic(err)
	}
	for _, p := range ps {
		fmt.Println(p.Name, p.Rate, p.Period, p.Burst)
	}
	// Output:
	// per_second 10 1s 20
	// per_minute 300 1m0s 300
}

// newRedis is an in-memory Redis (miniredis) for the examples; use
// redisconn.New for a real one.
func newRedis() *redis.Client {
	mr, err := miniredis.Run()
	if err != nil {
		panic(err)
	}
	return redis.NewClient(&redis.Options{Addr: mr.Addr()})
}
