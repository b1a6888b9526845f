package leaderboard

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

// BenchmarkLeaderboard compares, on one real redis-server and in one run,
// with 50 concurrent callers over a board of 10,000 players:
//
//	zincrby     raw ZINCRBY on a plain sorted set (the baseline of submit)
//	floor_3zincrby_rank
//	            a script with only three ZINCRBY and a ZREVRANK: the least
//	            any one-round-trip submit of three windows can cost
//	submit      Store.Submit, mode increment: the all-time, daily and weekly
//	            windows, rank and previous rank in one script call
//	zrevrange   raw ZREVRANGE 0 9 WITHSCORES (the baseline of top10)
//	floor_zrevrange_board
//	            raw ZREVRANGE 0 11 WITHSCORES of the board's all-time set:
//	            the one read a first page of 10 is, unparsed
//	top10       Store.Top, first page of 10, with competition ranks and a
//	            cursor
//
// Read the results as ratios against the baselines of the same run (see
// the README).
func BenchmarkLeaderboard(b *testing.B) {
	const callers, players = 50, 10_000
	srv := redistest.StartServer(b)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, PoolSize: 64})
	b.Cleanup(func() { _ = rdb.Close() })
	ctx := context.Background()
	s := newStore(b, rdb, Config{})
	names := make([]string, players)
	for i := range names {
		names[i] = fmt.Sprintf("player-%05d", i)
	}
	// The same board for both sides: every player on the raw set and on
	// the leaderboard's windows.
	raw := "bench:raw"
	var wg sync.WaitGroup
	sem := make(chan struct{}, callers)
	for i, n := range names {
		score := int64(rand.IntN(1_000_000))
		if err := rdb.ZAdd(ctx, raw, redis.Z{Score: float64(score), Member: n}).Err(); err != nil {
			b.Fatal(err)
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if _, err := s.Submit(ctx, Submission{Board: "bench", Player: names[i], Score: score, Mode: ModeSet}); err != nil {
				b.Error(err)
			}
		}()
	}
	wg.Wait()
	all := WindowAt(PeriodAll, lastMilli)

	b.Run(fmt.Sprintf("zincrby/callers=%d", callers), func(b *testing.B) {
		redistest.RunCallers(b, callers, func(ctx context.Context) error {
			return rdb.ZIncrBy(ctx, raw, 1, names[rand.IntN(players)]).Err()
		})
	})
	// The floor of "three windows and a rank in one round trip": a script
	// that does only that (three ZINCRBY, one ZREVRANK), without tie-breaks,
	// exact ranks or range checks. It shows what the script call itself costs.
	floor := redis.NewScript(`
redis.call('ZINCRBY', KEYS[1], 1, ARGV[1])
redis.call('ZINCRBY', KEYS[2], 1, ARGV[1])
redis.call('ZINCRBY', KEYS[3], 1, ARGV[1])
return redis.call('ZREVRANK', KEYS[1], ARGV[1])`)
	floorKeys := []string{"{bench}:floor:a", "{bench}:floor:b", "{bench}:floor:c"}
	b.Run(fmt.Sprintf("floor_3zincrby_rank/callers=%d", callers), func(b *testing.B) {
		redistest.RunCallers(b, callers, func(ctx context.Context) error {
			return floor.Run(ctx, rdb, floorKeys, names[rand.IntN(players)]).Err()
		})
	})
	b.Run(fmt.Sprintf("submit/callers=%d", callers), func(b *testing.B) {
		redistest.RunCallers(b, callers, func(ctx context.Context) error {
			_, err := s.Submit(ctx, Submission{Board: "bench", Player: names[rand.IntN(players)], Score: 1, Mode: ModeIncrement})
			return err
		})
	})
	b.Run(fmt.Sprintf("zrevrange/callers=%d", callers), func(b *testing.B) {
		redistest.RunCallers(b, callers, func(ctx context.Context) error {
			zs, err := rdb.ZRevRangeWithScores(ctx, raw, 0, 9).Result()
			if err == nil && len(zs) != 10 {
				err = fmt.Errorf("%d entries", len(zs))
			}
			return err
		})
	})
	// The floor of the first page as it is: its one ZREVRANGE ("#lowered",
	// if there, then 11 players), unparsed.
	allKey, _, err := s.windowKeys("bench", all)
	if err != nil {
		b.Fatal(err)
	}
	b.Run(fmt.Sprintf("floor_zrevrange_board/callers=%d", callers), func(b *testing.B) {
		redistest.RunCallers(b, callers, func(ctx context.Context) error {
			return rdb.ZRevRangeWithScores(ctx, allKey, 0, 11).Err()
		})
	})
	b.Run(fmt.Sprintf("top10/callers=%d", callers), func(b *testing.B) {
		redistest.RunCallers(b, callers, func(ctx context.Context) error {
			p, err := s.Top(ctx, "bench", all, 10, nil)
			if err == nil && (len(p.Entries) != 10 || p.Next == nil) {
				err = fmt.Errorf("%d entries", len(p.Entries))
			}
			return err
		})
	})
}
