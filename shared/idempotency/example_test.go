package idempotency_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/alicebob/miniredis/v2"
	"github.com/lambdis/lambdis/shared/idempotency"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/redis/go-redis/v9"
)

// A client retries POST /orders with the same Idempotency-Key: the order is
// placed once and the retry gets the first response again. The same key
// with another body is refused.
func ExampleStore_Do() {
	ctx := context.Background()
	rdb := newRedis()
	defer rdb.Close()
	store, err := idempotency.NewStore(rdb, keys.Builder{}, "orders", idempotency.Options{})
	if err != nil {
		panic(err)
	}
	placed := 0
	placeOrder := func(context.Context) (idempotency.Response, error) {
		placed++
		return idempotency.Response{Status: 201, Body: []byte(`{"order":1}`)}, nil
	}
	body := []byte(`{"item":"book","qty":1}`)

	for i := 0; i < 2; i++ {
		res, err := store.Do(ctx, "client-key-1", body, placeOrder)
		if err != nil {
			panic(err)
		}
		fmt.Println(res.Status, string(res.Body), "replayed:", res.Replayed)
	}
	_, err = store.Do(ctx, "client-key-1", []byte(`{"item":"book","qty":2}`), placeOrder)
	fmt.Println("other payload refused:", errors.Is(err, idempotency.ErrPayloadMismatch))
	fmt.Println("orders placed:", placed)
	// Output:
	// 201 {"order":1} replayed: false
	// 201 {"order":1} replayed: true
	// other payload refused: true
	// orders placed: 1
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
