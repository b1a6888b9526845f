package leaderboard

import (
	"bufio"
	"context"
	_ "embed"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

// submitV1Lua is the submit script before board settings (three windows,
// earliest first, a TIME call per write), kept to measure today's cost
// against in the same run.
//
//go:embed testdata/submit_v1.lua
var submitV1Lua string

// BenchmarkSubmitCost measures, on one real redis-server and in one run,
// with 50 concurrent callers incrementing random players of a board of
// 10,000, what a submit costs the server (redis-µs/op: INFO commandstats
// usec per EVALSHA, the whole script) and its throughput against raw
// ZINCRBY measured first (x-zincrby):
//
//	zincrby                   raw ZINCRBY (the baseline)
//	floor_zincrby_zrevrank    a script with one ZINCRBY and a ZREVRANK: one
//	                          window and a rank, nothing else
//	v1_3windows_earliest      the submit script before settings
//	windows=N/ties=T          Store.Submit on a board declared with N
//	                          windows (1: all; 3: all, day, week) and ties T
//
// Every row runs once per round (submitCostRounds), the rows of a round one
// after the other. Read the figures as ratios within one round (see the
// README).
func BenchmarkSubmitCost(b *testing.B) {
	const callers, players = 50, 10_000
	srv := redistest.StartServer(b)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, PoolSize: 64})
	b.Cleanup(func() { _ = rdb.Close() })
	ctx := context.Background()
	s := newStore(b, rdb, Config{Now: time.Now})
	names := make([]string, players)
	for i := range names {
		names[i] = fmt.Sprintf("player-%05d", i)
	}
	fill := func(op func(ctx context.Context, player string, score int64) error) {
		var wg sync.WaitGroup
		sem := make(chan struct{}, callers)
		for _, n := range names {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				if err := op(ctx, n, int64(rand.IntN(1_000_000))); err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	var baseline float64 // raw ZINCRBY ops/s of this run
	measure := func(b *testing.B, cmd string, op func(ctx context.Context) error) {
		before := cmdUsec(b, rdb, cmd)
		start := time.Now()
		redistest.RunCallers(b, callers, op)
		rate := float64(b.N) / time.Since(start).Seconds()
		after := cmdUsec(b, rdb, cmd)
		if calls := after.calls - before.calls; calls > 0 {
			b.ReportMetric(float64(after.usec-before.usec)/float64(calls), "redis-µs/op")
		}
		if cmd == "zincrby" {
			baseline = rate
		} else if baseline > 0 {
			b.ReportMetric(rate/baseline, "x-zincrby")
		}
	}

	type row struct {
		name, cmd string
		op        func(ctx context.Context) error
	}
	var rows []row
	raw := "bench:raw"
	fill(func(ctx context.Context, p string, sc int64) error {
		return rdb.ZAdd(ctx, raw, redis.Z{Score: float64(sc), Member: p}).Err()
	})
	rows = append(rows, row{"zincrby", "zincrby", func(ctx context.Context) error { return rdb.ZIncrBy(ctx, raw, 1, names[rand.IntN(players)]).Err() }})

	floor := redis.NewScript(`redis.call('ZINCRBY', KEYS[1], 1, ARGV[1])
return redis.call('ZREVRANK', KEYS[1], ARGV[1])`)
	floorKey := "{bench}:floor"
	fill(func(ctx context.Context, p string, sc int64) error {
		return rdb.ZAdd(ctx, floorKey, redis.Z{Score: float64(sc), Member: p}).Err()
	})
	rows = append(rows, row{"floor_zincrby_zrevrank", "evalsha", func(ctx context.Context) error {
		return floor.Run(ctx, rdb, []string{floorKey}, names[rand.IntN(players)]).Err()
	}})

	v1 := redis.NewScript(libLua + "\n" + readLua + "\n" + submitV1Lua)
	v1Run := func(ctx context.Context, p string, mode Mode, sc int64) error {
		now := time.Now()
		var ks []string
		args := []any{p, string(mode), sc, MaxScore}
		for _, per := range Periods {
			z, h, err := s.windowKeys("v1", WindowAt(per, now))
			if err != nil {
				return err
			}
			ks = append(ks, z, h)
		}
		for _, per := range Periods {
			var ms int64
			if exp := WindowAt(per, now).ExpireAt(DefaultRetention); !exp.IsZero() {
				ms = exp.UnixMilli()
			}
			args = append(args, ms)
		}
		return v1.Run(ctx, rdb, ks, args...).Err()
	}
	fill(func(ctx context.Context, p string, sc int64) error { return v1Run(ctx, p, ModeSet, sc) })
	rows = append(rows, row{"v1_3windows_earliest", "evalsha", func(ctx context.Context) error { return v1Run(ctx, names[rand.IntN(players)], ModeIncrement, 1) }})

	for _, c := range []struct {
		windows []Period
		ties    Ties
	}{
		{[]Period{PeriodAll}, TiesNone},
		{Periods, TiesNone},
		{Periods, TiesEarliest},
	} {
		board := fmt.Sprintf("w%d-%s", len(c.windows), c.ties)
		if _, err := s.SetSettings(ctx, board, Settings{Order: OrderDesc, Ties: c.ties, Windows: c.windows, Modes: []Mode{ModeIncrement, ModeSet}}, time.Time{}); err != nil {
			b.Fatal(err)
		}
		fill(func(ctx context.Context, p string, sc int64) error {
			_, err := s.Submit(ctx, Submission{Board: board, Player: p, Score: sc, Mode: ModeSet})
			return err
		})
		rows = append(rows, row{fmt.Sprintf("windows=%d/ties=%s", len(c.windows), c.ties), "evalsha", func(ctx context.Context) error {
			_, err := s.Submit(ctx, Submission{Board: board, Player: names[rand.IntN(players)], Score: 1, Mode: ModeIncrement})
			return err
		}})
	}
	// Rounds, each running every row, so that a slower moment of the
	// machine weighs on every row alike.
	for round := 1; round <= submitCostRounds; round++ {
		for _, r := range rows {
			b.Run(fmt.Sprintf("round=%d/%s", round, r.name), func(b *testing.B) { measure(b, r.cmd, r.op) })
		}
	}
}

// submitCostRounds is how many times BenchmarkSubmitCost runs every row.
const submitCostRounds = 3

type usec struct{ calls, usec int64 }

// cmdUsec reads one command's calls and usec from INFO commandstats.
func cmdUsec(b *testing.B, rdb *redis.Client, cmd string) usec {
	b.Helper()
	info, err := rdb.Info(context.Background(), "commandstats").Result()
	if err != nil {
		b.Fatal(err)
	}
	var out usec
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "cmdstat_"+cmd+":")
		if !ok {
			continue
		}
		for _, f := range strings.Split(rest, ",") {
			k, v, _ := strings.Cut(f, "=")
			n, _ := strconv.ParseInt(v, 10, 64)
			switch k {
			case "calls":
				out.calls = n
			case "usec":
				out.usec = n
			}
		}
	}
	return out
}
