package idempotency

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

// BenchmarkIdempotency compares, on one real redis-server and in one run,
// from 50 callers:
//
//	raw_set           SET of a 64-byte value (the baseline for one write)
//	raw_get           GET of it (the baseline for one read)
//	claim_complete    a new key: Claim + Complete (two round trips, the
//	                  first request's whole cost)
//	replay            Claim of a completed key (one round trip, a repeat)
//	do                Store.Do of a new key with a no-op fn
//
// Read ops/s and p99 as ratios against the baselines from the same run.
func BenchmarkIdempotency(b *testing.B) {
	rdb := redis.NewClient(&redis.Options{Addr: redistest.StartServer(b).Addr, PoolSize: 64})
	b.Cleanup(func() { _ = rdb.Close() })
	s, err := NewStore(rdb, keys.Builder{}, "bench", Options{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	const callers = 50
	body := []byte(`{"id":"o-0123456789","status":"created","total":"12.50"}`)
	hash := HashPayload([]byte(`{"order":42}`))
	var n atomic.Int64
	next := func() string { return "k-" + strconv.FormatInt(n.Add(1), 10) }

	b.Run("raw_set/callers=50", func(b *testing.B) {
		redistest.RunCallers(b, callers, func(ctx context.Context) error {
			return rdb.Set(ctx, "lambdis:raw:{bench}:"+next(), body, 0).Err()
		})
	})
	if err := rdb.Set(ctx, "lambdis:raw:{bench}:get", body, 0).Err(); err != nil {
		b.Fatal(err)
	}
	b.Run("raw_get/callers=50", func(b *testing.B) {
		redistest.RunCallers(b, callers, func(ctx context.Context) error {
			return rdb.Get(ctx, "lambdis:raw:{bench}:get").Err()
		})
	})
	b.Run("claim_complete/callers=50", func(b *testing.B) {
		redistest.RunCallers(b, callers, func(ctx context.Context) error {
			c, err := s.Claim(ctx, next(), hash)
			if err != nil {
				return err
			}
			return c.Complete(ctx, Response{Status: 201, Body: body})
		})
	})
	c, err := s.Claim(ctx, "replayed", hash)
	if err != nil {
		b.Fatal(err)
	}
	if err := c.Complete(ctx, Response{Status: 201, Body: body}); err != nil {
		b.Fatal(err)
	}
	b.Run("replay/callers=50", func(b *testing.B) {
		redistest.RunCallers(b, callers, func(ctx context.Context) error {
			_, err := s.Claim(ctx, "replayed", hash)
			return err
		})
	})
	b.Run("do/callers=50", func(b *testing.B) {
		redistest.RunCallers(b, callers, func(ctx context.Context) error {
			_, err := s.Do(ctx, next(), []byte(`{"order":42}`), func(ctx context.Context) (Response, error) {
				return Response{Status: 201, Body: body}, nil
			})
			return err
		})
	})
}
