package lock_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/lock"
	"github.com/redis/go-redis/v9"
)

// One worker holds the lock; another is refused until it is released. Each
// holder gets a larger fencing token: pass it to the storage you write so
// that a stale holder's late write can be rejected.
func ExampleClient_Obtain() {
	ctx := context.Background()
	rdb := newRedis()
	defer rdb.Close()
	locks := lock.New(rdb, keys.Builder{})

	first, err := locks.Obtain(ctx, "order:42", 10*time.Second, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println("first holds it")

	_, err = locks.Obtain(ctx, "order:42", 10*time.Second, nil) // no retry
	fmt.Println("second:", errors.Is(err, lock.ErrNotObtained))

	if err := first.Release(ctx); err != nil {
		panic(err)
	}
	second, err := locks.Obtain(ctx, "order:42", 10*time.Second, &lock.Options{Retry: lock.LinearBackoff(50 * time.Millisecond)})
	if err != nil {
		panic(err)
	}
	defer second.Release(ctx)
	fmt.Println("second holds it, with a larger fence:", second.Fence() > first.Fence())
	// Output:
	// first holds it
	// second: true
	// second holds it, with a larger fence: true
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
