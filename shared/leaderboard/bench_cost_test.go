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
// 10,000, what a submit costs the server and its throughput against raw
// ZINCRBY measured first (x-zincrby). From INFO commandstats:
//
//	redis-µs/op   the server's time per operation: a script row's EVALSHA
//	              (the whole script), a raw row's commands summed
//	calls/op      commands per operation (inside the script for a script)
//	cmds-µs/op    a script row's commands' own time; the rest of
//	              redis-µs/op is the script: its call, redis.call, its Lua
//
// The rows:
//
//	zincrby                   raw ZINCRBY (the throughput baseline)
//	raw_Nwindows              N pipelined ZINCRBY + ZREVRANK, one per window
//	                          (one round trip): what a client without
//	                          Lambdis sends, without its guarantees
//	floor_zincrby_zrevrank    a script with one ZINCRBY and a ZREVRANK: the
//	                          cost of a script call
//	floor_exact_1window       a script with the commands an exact one-window
//	                          ties=none submit needs and no logic (below)
//	v1_3windows_earliest      the submit script before settings, built
//	                          with today's lib.lua and read.lua
//	windows=N/ties=T          Store.Submit on a board declared with N
//	                          windows (1: all; 3: all, day, week) and ties T
//
// An exact submit answers the competition rank and the previous one (a
// ZREVRANK is a position, not a rank, once scores tie) and applies the
// board's settings read in the same call, so one window is at least the
// settings read, the old score, two ZCOUNT and the ZADD (see
// docs/leaderboards.md).
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
	measure := func(b *testing.B, base, script bool, op func(ctx context.Context) error) {
		before := commandStats(b, rdb)
		start := time.Now()
		redistest.RunCallers(b, callers, op)
		rate := float64(b.N) / time.Since(start).Seconds()
		after := commandStats(b, rdb)
		var cmds usec // the data commands', inside the script or not
		for name, a := range after {
			if name == "evalsha" || ignoredStat[name] {
				continue
			}
			cmds.calls += a.calls - before[name].calls
			cmds.usec += a.usec - before[name].usec
		}
		ops := float64(b.N)
		if script {
			ev := after["evalsha"]
			ops = float64(ev.calls - before["evalsha"].calls)
			b.ReportMetric(float64(ev.usec-before["evalsha"].usec)/ops, "redis-µs/op")
			b.ReportMetric(float64(cmds.usec)/ops, "cmds-µs/op")
		} else {
			b.ReportMetric(float64(cmds.usec)/ops, "redis-µs/op")
		}
		b.ReportMetric(float64(cmds.calls)/ops, "calls/op")
		if base {
			baseline = rate
		} else if baseline > 0 {
			b.ReportMetric(rate/baseline, "x-zincrby")
		}
	}

	type row struct {
		name   string
		script bool
		op     func(ctx context.Context) error
	}
	var rows []row
	raw := "bench:raw"
	fill(func(ctx context.Context, p string, sc int64) error {
		return rdb.ZAdd(ctx, raw, redis.Z{Score: float64(sc), Member: p}).Err()
	})
	rows = append(rows, row{"zincrby", false, func(ctx context.Context) error { return rdb.ZIncrBy(ctx, raw, 1, names[rand.IntN(players)]).Err() }})

	// raw_Nwindows: one round trip of ZINCRBY + ZREVRANK per window
	rawKeys := []string{raw, "bench:raw:day", "bench:raw:week"}
	for _, k := range rawKeys[1:] {
		fill(func(ctx context.Context, p string, sc int64) error {
			return rdb.ZAdd(ctx, k, redis.Z{Score: float64(sc), Member: p}).Err()
		})
	}
	for _, n := range []int{1, 3} {
		rows = append(rows, row{fmt.Sprintf("raw_%dwindows", n), false, func(ctx context.Context) error {
			p := names[rand.IntN(players)]
			_, err := rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
				for _, k := range rawKeys[:n] {
					pipe.ZIncrBy(ctx, k, 1, p)
					pipe.ZRevRank(ctx, k, p)
				}
				return nil
			})
			return err
		}})
	}

	floor := redis.NewScript(`redis.call('ZINCRBY', KEYS[1], 1, ARGV[1])
return redis.call('ZREVRANK', KEYS[1], ARGV[1])`)
	floorKey := "{bench}:floor"
	fill(func(ctx context.Context, p string, sc int64) error {
		return rdb.ZAdd(ctx, floorKey, redis.Z{Score: float64(sc), Member: p}).Err()
	})
	rows = append(rows, row{"floor_zincrby_zrevrank", true, func(ctx context.Context) error {
		return floor.Run(ctx, rdb, []string{floorKey}, names[rand.IntN(players)]).Err()
	}})
	// The commands of an exact one-window ties=none increment, no checks:
	// settings read, old score, previous rank, write, rank.
	exact := redis.NewScript(`local p = ARGV[1]
local cfg = redis.call('HMGET', KEYS[1], '#order', '#ties', '#windows', '#modes', '#seq', p)
local old = tonumber(redis.call('ZSCORE', KEYS[2], p))
local prev = redis.call('ZCOUNT', KEYS[2], old + 1, '9007199254740991') + 1
redis.call('ZADD', KEYS[2], old + 1, p)
return {0, old + 1, redis.call('ZCOUNT', KEYS[2], old + 2, '9007199254740991') + 1, prev}`)
	exactKeys := []string{"{bench}:exact:players", floorKey}
	fill(func(ctx context.Context, p string, sc int64) error {
		return rdb.HSet(ctx, exactKeys[0], p, fmt.Sprintf("%016d", sc)).Err()
	})
	for _, sc := range []*redis.Script{floor, exact} {
		if err := sc.Load(ctx, rdb).Err(); err != nil {
			b.Fatal(err)
		}
	}
	rows = append(rows, row{"floor_exact_1window", true, func(ctx context.Context) error {
		return exact.Run(ctx, rdb, exactKeys, names[rand.IntN(players)]).Err()
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
	rows = append(rows, row{"v1_3windows_earliest", true, func(ctx context.Context) error { return v1Run(ctx, names[rand.IntN(players)], ModeIncrement, 1) }})

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
		rows = append(rows, row{fmt.Sprintf("windows=%d/ties=%s", len(c.windows), c.ties), true, func(ctx context.Context) error {
			_, err := s.Submit(ctx, Submission{Board: board, Player: names[rand.IntN(players)], Score: 1, Mode: ModeIncrement})
			return err
		}})
	}
	// Rounds, each running every row, so that a slower moment of the
	// machine weighs on every row alike.
	for round := 1; round <= submitCostRounds; round++ {
		for _, r := range rows {
			b.Run(fmt.Sprintf("round=%d/%s", round, r.name), func(b *testing.B) { measure(b, r.name == "zincrby", r.script, r.op) })
		}
	}
}

// submitCostRounds is how many times BenchmarkSubmitCost runs every row.
const submitCostRounds = 3

type usec struct{ calls, usec int64 }

// ignoredStat are the commands of INFO commandstats that are no part of a
// row: the benchmark's own and the client's.
var ignoredStat = map[string]bool{"info": true, "hello": true, "client|setinfo": true, "ping": true, "script|load": true, "eval": true}

// commandStats reads every command's calls and usec from INFO commandstats
// (commands a script runs are counted there too).
func commandStats(b *testing.B, rdb *redis.Client) map[string]usec {
	b.Helper()
	info, err := rdb.Info(context.Background(), "commandstats").Result()
	if err != nil {
		b.Fatal(err)
	}
	out := map[string]usec{}
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		name, rest, ok := strings.Cut(strings.TrimPrefix(strings.TrimSpace(sc.Text()), "cmdstat_"), ":")
		if !ok || strings.HasPrefix(name, "#") {
			continue
		}
		var u usec
		for _, f := range strings.Split(rest, ",") {
			k, v, _ := strings.Cut(f, "=")
			n, _ := strconv.ParseInt(v, 10, 64)
			switch k {
			case "calls":
				u.calls = n
			case "usec":
				u.usec = n
			}
		}
		out[name] = u
	}
	return out
}
