package cache_test

import (
	"context"
	"fmt"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/lambdis/lambdis/shared/cache"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/redis/go-redis/v9"
)

// Cache-aside: the first read loads (one caller per key, under a lease),
// later reads hit; after the database write commits, Invalidate ends the
// value and any fill still in flight, so the next read loads the new row.
func ExampleCache_GetOrLoad() {
	ctx := context.Background()
	rdb := newRedis()
	defer rdb.Close()
	c, err := cache.New(rdb, keys.Builder{}, cache.Options{})
	if err != nil {
		panic(err)
	}
	name := "Alice" // the row in the database
	loads := 0
	load := func(context.Context) ([]byte, error) {
		loads++
		return []byte(name), nil
	}

	for i := 0; i < 3; i++ {
		v, err := c.GetOrLoad(ctx, "user:42", time.Minute, load)
		if err != nil {
			panic(err)
		}
		fmt.Println(string(v))
	}
	name = "Alice Smith" // UPDATE users ... COMMIT
	if err := c.Invalidate(ctx, "user:42"); err != nil {
		panic(err)
	}
	v, err := c.GetOrLoad(ctx, "user:42", time.Minute, load)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(v), "after", loads, "loads")
	// Output:
	// Alice
	// Alice
	// Alice
	// Alice Smith after 2 loads
}

// GetOrLoadJSON caches any JSON-encodable value.
func ExampleGetOrLoadJSON() {
	rdb := newRedis()
	defer rdb.Close()
	c, err := cache.New(rdb, keys.Builder{}, cache.Options{})
	if err != nil {
		panic(err)
	}
	type profile struct {
		Name  string `json:"name"`
		Score int    `json:"score"`
	}
	p, err := cache.GetOrLoadJSON(context.Background(), c, "profile:7", time.Minute, func(context.Context) (profile, error) {
		return profile{Name: "Bob", Score: 4200}, nil
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%+v\n", p)
	// Output: {Name:Bob Score:4200}
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
