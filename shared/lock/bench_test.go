package lock

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

// BenchmarkLock compares, on one real redis-server and in one run, with 50
// concurrent callers each taking and freeing a lock on one of 10,000 names
// (rarely contended, so the cost of the operations is measured, not
// waiting):
//
//	setnx+del       raw SET NX PX then DEL (the baseline: the same two
//	                round trips with no owner check and no fence)
//	obtain+release  Client.Obtain (SET NX PX + fence in one script) then
//	                Lock.Release (owner-checked DEL)
//	obtain+refresh+release  the same with one Refresh in between
//
// A name that happens to be taken (two callers picked it) is a success for
// both sides. Read the results as ratios against the baseline of the same run.
func BenchmarkLock(b *testing.B) {
	const callers, names = 50, 10_000
	srv := redistest.StartServer(b)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, PoolSize: 64})
	b.Cleanup(func() { _ = rdb.Close() })
	c := newClient(rdb)
	name := func() string { return fmt.Sprintf("bench:%05d", rand.IntN(names)) }
	// Load the scripts once so that no variant pays the first NOSCRIPT.
	if l, err := c.Obtain(context.Background(), "warm", time.Second, nil); err != nil {
		b.Fatal(err)
	} else if err := l.Refresh(context.Background(), time.Second); err != nil {
		b.Fatal(err)
	} else if err := l.Release(context.Background()); err != nil {
		b.Fatal(err)
	}

	b.Run(fmt.Sprintf("setnx+del/callers=%d", callers), func(b *testing.B) {
		redistest.RunCallers(b, callers, func(ctx context.Context) error {
			key := "raw:{" + name() + "}"
			ok, err := rdb.SetNX(ctx, key, "token", 10*time.Second).Result()
			if err != nil || !ok {
				return err
			}
			return rdb.Del(ctx, key).Err()
		})
	})
	b.Run(fmt.Sprintf("obtain+release/callers=%d", callers), func(b *testing.B) {
		redistest.RunCallers(b, callers, func(ctx context.Context) error {
			return obtainRelease(ctx, c, name(), false)
		})
	})
	b.Run(fmt.Sprintf("obtain+refresh+release/callers=%d", callers), func(b *testing.B) {
		redistest.RunCallers(b, callers, func(ctx context.Context) error {
			return obtainRelease(ctx, c, name(), true)
		})
	})
}

func obtainRelease(ctx context.Context, c *Client, name string, refresh bool) error {
	l, err := c.Obtain(ctx, name, 10*time.Second, nil)
	if err != nil {
		if errors.Is(err, ErrNotObtained) {
			return nil
		}
		return err
	}
	if refresh {
		if err := l.Refresh(ctx, 10*time.Second); err != nil {
			return err
		}
	}
	return l.Release(ctx)
}
