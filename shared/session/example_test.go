package session_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/alicebob/miniredis/v2"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/session"
	"github.com/redis/go-redis/v9"
)

// A login creates a session and hands its id to the client (in the
// lambdis_session cookie, or as "Authorization: Session <id>"); later
// requests parse and look it up; logout destroys it. Redis holds only the
// handle, a hash of the id's secret.
func ExampleStore_Create() {
	ctx := context.Background()
	rdb := newRedis()
	defer rdb.Close()
	store, err := session.NewStore(rdb, keys.Builder{}, session.Config{})
	if err != nil {
		panic(err)
	}

	id, created, err := store.Create(ctx, "alice", session.CreateOptions{
		Scopes: []string{"read"},
		Data:   map[string]string{"device": "Firefox on Linux"},
	})
	if err != nil {
		panic(err)
	}
	token := id.Token() // give this to the client; never log it
	fmt.Println(created.Expires.Sub(created.Created))

	parsed, err := session.ParseID(token)
	if err != nil {
		panic(err)
	}
	s, err := store.Get(ctx, parsed) // records a use: sliding expiry
	if err != nil {
		panic(err)
	}
	fmt.Println(s.Subject, s.Scopes, s.Data["device"], s.Handle == id.Handle())

	if _, err := store.Destroy(ctx, parsed); err != nil {
		panic(err)
	}
	_, err = store.Get(ctx, parsed)
	fmt.Println(errors.Is(err, session.ErrNotFound))
	// Output:
	// 30m0s
	// alice [read] Firefox on Linux true
	// true
}

// An account page lists a user's sessions by handle and ends the others
// ("log out other devices").
func ExampleStore_DestroyOthers() {
	ctx := context.Background()
	rdb := newRedis()
	defer rdb.Close()
	store, err := session.NewStore(rdb, keys.Builder{}, session.Config{})
	if err != nil {
		panic(err)
	}
	var current session.ID
	for _, device := range []string{"laptop", "phone", "tablet"} {
		id, _, err := store.Create(ctx, "alice", session.CreateOptions{Data: map[string]string{"device": device}})
		if err != nil {
			panic(err)
		}
		current = id
	}
	all, err := store.List(ctx, "alice")
	if err != nil {
		panic(err)
	}
	fmt.Println(len(all), "sessions")

	ended, err := store.DestroyOthers(ctx, "alice", current.Handle())
	if err != nil {
		panic(err)
	}
	left, err := store.List(ctx, "alice")
	if err != nil {
		panic(err)
	}
	fmt.Println(ended, "ended;", len(left), "left:", left[0].Data["device"])
	// Output:
	// 3 sessions
	// 2 ended; 1 left: tablet
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
