package leaderboard_test

import (
	"context"
	"fmt"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/leaderboard"
	"github.com/redis/go-redis/v9"
)

// Submit writes a score to the board's all-time, daily and weekly windows
// in one script ("best" keeps a player's best); Top reads a window, best
// first.
func ExampleStore_Top() {
	ctx := context.Background()
	rdb := newRedis()
	defer rdb.Close()
	store, err := leaderboard.NewStore(rdb, keys.Builder{}, leaderboard.Config{})
	if err != nil {
		panic(err)
	}
	now := time.Now()
	for _, s := range []struct {
		player string
		score  int64
	}{{"alice", 300}, {"bob", 500}, {"carol", 400}, {"alice", 200}} {
		res, err := store.Submit(ctx, leaderboard.Submission{Board: "game1", Player: s.player, Score: s.score, Mode: leaderboard.ModeBest, At: now})
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s submits %d: score %d, rank %d\n", s.player, s.score, res.Score, res.Rank)
	}

	page, err := store.Top(ctx, "game1", leaderboard.WindowAt(leaderboard.PeriodWeek, now), 10, nil)
	if err != nil {
		panic(err)
	}
	for _, e := range page.Entries {
		fmt.Println(e.Rank, e.Player, e.Score)
	}
	// Output:
	// alice submits 300: score 300, rank 1
	// bob submits 500: score 500, rank 1
	// carol submits 400: score 400, rank 2
	// alice submits 200: score 300, rank 3
	// 1 bob 500
	// 2 carol 400
	// 3 alice 300
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
