package cache_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/cache"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

// BenchmarkCache measures the hit and miss paths of GetOrLoad beside raw
// GET / SET on the same real redis-server in the same run (report them as
// ratios: these machines are noisy). The miss loader returns at once, so
// the miss path measures the cache's own cost: one get-or-lease script and
// one fill script, against the naive GET + SET.
func BenchmarkCache(b *testing.B) {
	const callers, hotKeys = 50, 1000
	rdb := redistest.StartServer(b).Client(b)
	ctx := context.Background()
	c, err := cache.New(rdb, keys.Builder{}, cache.Options{})
	if err != nil {
		b.Fatal(err)
	}
	value := bytes.Repeat([]byte("x"), 256)
	load := func(context.Context) ([]byte, error) { return value, nil }
	rawKey := func(i int) string { return fmt.Sprintf("lambdis:raw:{k:%d}", i) }
	for i := range hotKeys {
		if err := rdb.Set(ctx, rawKey(i), value, time.Hour).Err(); err != nil {
			b.Fatal(err)
		}
		if _, err := c.GetOrLoad(ctx, fmt.Sprintf("hot:%d", i), time.Hour, load); err != nil {
			b.Fatal(err)
		}
	}
	var fresh atomic.Int64
	b.Run(fmt.Sprintf("raw_get/callers=%d", callers), func(b *testing.B) {
		redistest.RunCallers(b, callers, func(ctx context.Context) error {
			return rdb.Get(ctx, rawKey(rand.IntN(hotKeys))).Err()
		})
	})
	b.Run(fmt.Sprintf("cache_hit/callers=%d", callers), func(b *testing.B) {
		redistest.RunCallers(b, callers, func(ctx context.Context) error {
			_, err := c.GetOrLoad(ctx, fmt.Sprintf("hot:%d", rand.IntN(hotKeys)), time.Hour, load)
			return err
		})
	})
	b.Run(fmt.Sprintf("raw_set/callers=%d", callers), func(b *testing.B) {
		redistest.RunCallers(b, callers, func(ctx context.Context) error {
			return rdb.Set(ctx, rawKey(int(fresh.Add(1))+hotKeys), value, time.Minute).Err()
		})
	})
	b.Run(fmt.Sprintf("raw_get_miss_set/callers=%d", callers), func(b *testing.B) {
		redistest.RunCallers(b, callers, func(ctx context.Context) error {
			k := rawKey(int(fresh.Add(1)) + hotKeys)
			if err := rdb.Get(ctx, k).Err(); !errors.Is(err, redis.Nil) {
				return fmt.Errorf("get: %v", err)
			}
			return rdb.Set(ctx, k, value, time.Minute).Err()
		})
	})
	b.Run(fmt.Sprintf("cache_miss/callers=%d", callers), func(b *testing.B) {
		redistest.RunCallers(b, callers, func(ctx context.Context) error {
			_, err := c.GetOrLoad(ctx, fmt.Sprintf("miss:%d", fresh.Add(1)), time.Minute, load)
			return err
		})
	})
}
