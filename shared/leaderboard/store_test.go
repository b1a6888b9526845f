package leaderboard

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

func TestSubmitModes(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		s := newStore(t, rdb, Config{})
		check := func(r Result, score, rank, prev int64) {
			t.Helper()
			if r.Score != score || r.Rank != rank || r.PreviousRank != prev {
				t.Fatalf("got score %d rank %d previous %d, want %d %d %d", r.Score, r.Rank, r.PreviousRank, score, rank, prev)
			}
		}
		check(submit(t, s, "g", "ann", 50, ModeBest, lastMilli), 50, 1, 0)
		check(submit(t, s, "g", "bob", 70, ModeBest, lastMilli), 70, 1, 0)
		check(submit(t, s, "g", "ann", 40, ModeBest, lastMilli), 50, 2, 2)       // best keeps the higher
		check(submit(t, s, "g", "ann", 80, ModeBest, lastMilli), 80, 1, 2)       // and takes a better one
		check(submit(t, s, "g", "bob", 15, ModeIncrement, lastMilli), 85, 1, 2)  // increment adds
		check(submit(t, s, "g", "bob", -30, ModeIncrement, lastMilli), 55, 2, 1) // negative increments subtract
		check(submit(t, s, "g", "ann", 10, ModeSet, lastMilli), 10, 2, 1)        // set replaces, even downwards
		check(submit(t, s, "g", "cat", 0, ModeIncrement, lastMilli), 0, 3, 0)    // a zero score is on the board
		check(submit(t, s, "g", "dan", -5, ModeSet, lastMilli), -5, 4, 0)        // and so is a negative one

		// Every window got the same writes.
		for _, p := range Periods {
			got := entriesString(walk(t, s, "g", WindowAt(p, lastMilli), 10))
			if want := "1:bob=55 2:ann=10 3:cat=0 4:dan=-5 "; got != want {
				t.Errorf("%s window: %s, want %s", p, got, want)
			}
		}
		// Each window applies the mode on its own: the next day starts afresh.
		check(submit(t, s, "g", "ann", 5, ModeIncrement, newYear), 15, 2, 2)
		if got := entriesString(walk(t, s, "g", WindowAt(PeriodDay, newYear), 10)); got != "1:ann=5 " {
			t.Errorf("new day: %s", got)
		}
		if got := entriesString(walk(t, s, "g", WindowAt(PeriodWeek, newYear), 10)); got != "1:bob=55 2:ann=15 3:cat=0 4:dan=-5 " {
			t.Errorf("same ISO week: %s", got)
		}
	})
}

// Equal scores share a rank, the earlier achiever is listed first, and the
// rank after a tie skips ("1, 2, 2, 4").
func TestTies(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		s := newStore(t, rdb, Config{})
		// Names sort against the order of achievement, so member bytes
		// alone would list them the other way round.
		submit(t, s, "t", "zed", 100, ModeBest, lastMilli)
		submit(t, s, "t", "yan", 90, ModeSet, lastMilli)
		submit(t, s, "t", "xia", 85, ModeBest, lastMilli)
		submit(t, s, "t", "xia", 5, ModeIncrement, lastMilli) // reaches 90 after yan
		submit(t, s, "t", "abe", 90, ModeBest, lastMilli)     // reaches 90 last
		submit(t, s, "t", "bea", 80, ModeBest, lastMilli)
		submit(t, s, "t", "yan", 90, ModeBest, lastMilli) // resubmitting keeps yan's earlier time
		submit(t, s, "t", "yan", 90, ModeSet, lastMilli)
		submit(t, s, "t", "yan", 0, ModeIncrement, lastMilli)
		want := "1:zed=100 2:yan=90 2:xia=90 2:abe=90 5:bea=80 "
		for _, p := range Periods {
			w := WindowAt(p, lastMilli)
			for _, limit := range []int{1, 2, 3, 10} {
				if got := entriesString(walk(t, s, "t", w, limit)); got != want {
					t.Errorf("%s, pages of %d: %s, want %s", p, limit, got, want)
				}
			}
			st, err := s.Around(context.Background(), "t", "xia", w, 1)
			if err != nil {
				t.Fatal(err)
			}
			if st.Rank != 2 || entriesString(st.Above) != "2:yan=90 " || entriesString(st.Below) != "2:abe=90 " {
				t.Errorf("%s: around xia: %+v", p, st)
			}
		}
		// The rank a submission reports is the competition rank too.
		if r := submit(t, s, "t", "cyd", 90, ModeBest, lastMilli); r.Rank != 2 {
			t.Errorf("a fourth 90: rank %d, want 2", r.Rank)
		}
		if r := submit(t, s, "t", "bea", 1, ModeIncrement, lastMilli); r.Rank != 6 || r.PreviousRank != 6 {
			t.Errorf("bea behind four 90s: rank %d previous %d, want 6 and 6", r.Rank, r.PreviousRank)
		}
		// Leaving a tie and coming back puts a player behind those who
		// stayed: it reached the score again, later.
		submit(t, s, "t", "yan", 1, ModeIncrement, lastMilli)
		submit(t, s, "t", "yan", -1, ModeIncrement, lastMilli)
		if got := entriesString(walk(t, s, "t", WindowAt(PeriodAll, lastMilli), 10)); got != "1:zed=100 2:xia=90 2:abe=90 2:cyd=90 2:yan=90 6:bea=81 " {
			t.Errorf("after yan left the tie and came back: %s", got)
		}
	})
}

func TestConcurrentIncrements(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		s := newStore(t, rdb, Config{})
		ctx := context.Background()
		const n = 1000
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.Submit(ctx, Submission{Board: "inc", Player: "p", Score: 1, Mode: ModeIncrement, At: lastMilli})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, p := range Periods {
			st, err := s.Around(ctx, "inc", "p", WindowAt(p, lastMilli), 0)
			if err != nil || st.Score != n || st.Rank != 1 {
				t.Errorf("%s: %+v %v, want score %d", p, st, err, n)
			}
		}
	})
}

func TestConcurrentBest(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		s := newStore(t, rdb, Config{})
		ctx := context.Background()
		const n = 500
		scores := rand.Perm(n)
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for _, sc := range scores {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.Submit(ctx, Submission{Board: "best", Player: "p", Score: int64(sc) * 1_000_000_007, Mode: ModeBest, At: lastMilli})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, p := range Periods {
			st, err := s.Around(ctx, "best", "p", WindowAt(p, lastMilli), 0)
			if want := int64(n-1) * 1_000_000_007; err != nil || st.Score != want {
				t.Errorf("%s: %+v %v, want the maximum %d", p, st, err, want)
			}
		}
	})
}

// A write at 23:59:59.999 UTC and one at 00:00:00.000 land in different
// days; weeks follow ISO 8601 across the year boundary.
func TestPeriodRollover(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		clock := lastMilli
		s := newStore(t, rdb, Config{Retention: 48 * time.Hour, Now: func() time.Time { return clock }})
		// The store's clock picks the windows when the submission has no time.
		sub := func(player string, at time.Time) {
			t.Helper()
			clock = at
			if _, err := s.Submit(ctx, Submission{Board: "r", Player: player, Score: 1, Mode: ModeIncrement}); err != nil {
				t.Fatal(err)
			}
		}
		sub("before", lastMilli)
		sub("after", newYear)
		sub("sunday", time.Date(2100, 1, 3, 23, 59, 59, 999e6, time.UTC))
		sub("monday", time.Date(2100, 1, 4, 0, 0, 0, 0, time.UTC))
		sub("wednesday", time.Date(2098, 12, 31, 12, 0, 0, 0, time.UTC)) // 2099-W01 starts on Monday 2098-12-29
		sub("sunday-before", time.Date(2098, 12, 28, 12, 0, 0, 0, time.UTC))

		players := func(p Period, id string) string {
			w, err := ParseWindowID(p, id)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range walk(t, s, "r", w, 100) {
				names = append(names, e.Player)
			}
			return strings.Join(names, ",")
		}
		for _, c := range []struct {
			p        Period
			id, want string
		}{
			{PeriodDay, "2099-12-31", "before"},
			{PeriodDay, "2100-01-01", "after"},
			{PeriodDay, "2100-01-03", "sunday"},
			{PeriodDay, "2100-01-04", "monday"},
			{PeriodWeek, "2099-W53", "before,after,sunday"},
			{PeriodWeek, "2100-W01", "monday"},
			{PeriodWeek, "2099-W01", "wednesday"},
			{PeriodWeek, "2098-W52", "sunday-before"},
			{PeriodAll, "all", "before,after,sunday,monday,wednesday,sunday-before"},
		} {
			if got := players(c.p, c.id); got != c.want {
				t.Errorf("%s %s: %s, want %s", c.p, c.id, got, c.want)
			}
		}

		// Each window expires at its end plus the retention; the all-time
		// board never does.
		expiry := func(key string) time.Time {
			t.Helper()
			ms, err := rdb.PExpireTime(ctx, key).Result()
			if err != nil {
				t.Fatal(err)
			}
			return time.UnixMilli(int64(ms / time.Millisecond)).UTC()
		}
		for key, want := range map[string]time.Time{
			"lambdis:lb:{r}:d:2099-12-31":         time.Date(2100, 1, 3, 0, 0, 0, 0, time.UTC), // ends 2100-01-01, + 48h
			"lambdis:lb:{r}:d:2099-12-31:players": time.Date(2100, 1, 3, 0, 0, 0, 0, time.UTC),
			"lambdis:lb:{r}:d:2100-01-01":         time.Date(2100, 1, 4, 0, 0, 0, 0, time.UTC),
			"lambdis:lb:{r}:w:2099-W53":           time.Date(2100, 1, 6, 0, 0, 0, 0, time.UTC), // ends Monday 2100-01-04
			"lambdis:lb:{r}:w:2099-W53:players":   time.Date(2100, 1, 6, 0, 0, 0, 0, time.UTC),
		} {
			// miniredis keeps a relative TTL, so allow it a second.
			if got := expiry(key); got.Sub(want).Abs() > time.Second {
				t.Errorf("%s expires at %v, want %v", key, got, want)
			}
		}
		for _, key := range []string{"lambdis:lb:{r}:all", "lambdis:lb:{r}:all:players"} {
			if ms, err := rdb.PExpireTime(ctx, key).Result(); err != nil || ms != -1 {
				t.Errorf("%s: PEXPIRETIME %v %v, want -1 (no expiry)", key, ms, err)
			}
		}
	})
}

// A past window stays readable until it expires.
func TestPastWindowExpires(t *testing.T) {
	m, rdb := redistest.Miniredis(t)
	ctx := context.Background()
	s := newStore(t, rdb, Config{Retention: 2 * time.Hour})
	m.SetTime(lastMilli) // miniredis's clock: the write happens at its request time
	submit(t, s, "x", "p", 3, ModeSet, lastMilli)
	day := WindowAt(PeriodDay, lastMilli)
	m.FastForward(time.Hour + time.Millisecond) // 00:59:59.999 of the next day
	if st, err := s.Around(ctx, "x", "p", day, 0); err != nil || st.Score != 3 {
		t.Fatalf("the past day within the retention: %+v %v", st, err)
	}
	m.FastForward(time.Hour) // past the end of the day + 2h
	if _, err := s.Around(ctx, "x", "p", day, 0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the past day after the retention: %v, want ErrNotFound", err)
	}
	if st, err := s.Around(ctx, "x", "p", WindowAt(PeriodAll, lastMilli), 0); err != nil || st.Score != 3 {
		t.Fatalf("the all-time window: %+v %v", st, err)
	}
}

// Scores are exact up to ±(2^53-1); beyond is rejected, in every window,
// with nothing written.
func TestScoreRange(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		s := newStore(t, rdb, Config{})
		for _, sc := range []int64{MaxScore + 1, -MaxScore - 1, 1 << 62, -1 << 63} {
			if _, err := s.Submit(ctx, Submission{Board: "big", Player: "p", Score: sc, Mode: ModeSet, At: lastMilli}); !errors.Is(err, ErrInvalid) {
				t.Errorf("score %d: %v, want ErrInvalid", sc, err)
			}
		}
		if n := rdb.Exists(ctx, "lambdis:lb:{big}:all", "lambdis:lb:{big}:all:players").Val(); n != 0 {
			t.Fatalf("a rejected score wrote %d keys", n)
		}
		if r := submit(t, s, "big", "p", MaxScore-1, ModeSet, lastMilli); r.Score != MaxScore-1 {
			t.Fatalf("largest-but-one score: %+v", r)
		}
		if r := submit(t, s, "big", "q", MaxScore-2, ModeSet, lastMilli); r.Rank != 2 {
			t.Fatalf("a score one below: %+v", r)
		}
		// The next day, p starts afresh there, but its all-time total
		// would pass the limit: nothing is written anywhere.
		_, err := s.Submit(ctx, Submission{Board: "big", Player: "p", Score: 2, Mode: ModeIncrement, At: newYear})
		if !errors.Is(err, ErrScoreRange) {
			t.Fatalf("increment past the limit: %v, want ErrScoreRange", err)
		}
		if n := rdb.Exists(ctx, "lambdis:lb:{big}:d:2100-01-01").Val(); n != 0 {
			t.Fatal("the rejected increment wrote the new day's window")
		}
		if r := submit(t, s, "big", "p", 1, ModeIncrement, lastMilli); r.Score != MaxScore {
			t.Fatalf("increment to exactly the limit: %+v", r)
		}
		if r := submit(t, s, "big", "n", -MaxScore, ModeSet, lastMilli); r.Score != -MaxScore || r.Rank != 3 {
			t.Fatalf("the lowest score: %+v", r)
		}
		if _, err := s.Submit(ctx, Submission{Board: "big", Player: "n", Score: -1, Mode: ModeIncrement, At: lastMilli}); !errors.Is(err, ErrScoreRange) {
			t.Fatalf("increment below the limit: %v", err)
		}
		// The extremes are exact and keep their order: no rounding.
		for _, p := range Periods {
			got := entriesString(walk(t, s, "big", WindowAt(p, lastMilli), 10))
			want := fmt.Sprintf("1:p=%d 2:q=%d 3:n=%d ", MaxScore, MaxScore-2, -MaxScore)
			if got != want {
				t.Errorf("%s: %s, want %s", p, got, want)
			}
		}
	})
}

func TestAround(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		s := newStore(t, rdb, Config{})
		for i := 1; i <= 9; i++ { // p1 = 10 ... p9 = 90
			submit(t, s, "a", fmt.Sprintf("p%d", i), int64(i*10), ModeBest, lastMilli)
		}
		submit(t, s, "a", "q5", 50, ModeBest, lastMilli) // ties with p5, later
		w := WindowAt(PeriodAll, lastMilli)
		for _, c := range []struct {
			player, above, self, below string
			n                          int
		}{
			{"p9", "", "1:p9=90 ", "2:p8=80 3:p7=70 ", 2},
			{"p1", "8:p3=30 9:p2=20 ", "10:p1=10 ", "", 2},
			{"p5", "3:p7=70 4:p6=60 ", "5:p5=50 ", "5:q5=50 7:p4=40 ", 2},
			{"q5", "", "5:q5=50 ", "", 0},
			{"p8", "1:p9=90 ", "2:p8=80 ", "3:p7=70 4:p6=60 5:p5=50 ", 3},
		} {
			st, err := s.Around(ctx, "a", c.player, w, c.n)
			if err != nil {
				t.Fatal(err)
			}
			if got := entriesString(st.Above); got != c.above {
				t.Errorf("%s above: %s, want %s", c.player, got, c.above)
			}
			if got := entriesString([]Entry{st.Entry}); got != c.self {
				t.Errorf("%s: %s, want %s", c.player, got, c.self)
			}
			if got := entriesString(st.Below); got != c.below {
				t.Errorf("%s below: %s, want %s", c.player, got, c.below)
			}
		}
		if _, err := s.Around(ctx, "a", "nobody", w, 3); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown player: %v", err)
		}
		if _, err := s.Around(ctx, "empty", "p1", w, 3); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown board: %v", err)
		}
		if _, err := s.Around(ctx, "a", "p1", WindowAt(PeriodDay, newYear), 3); !errors.Is(err, ErrNotFound) {
			t.Errorf("another day: %v", err)
		}
	})
}

func TestDelete(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		s := newStore(t, rdb, Config{Retention: MaxRetention})
		long := lastMilli.Add(-80 * 24 * time.Hour) // a window of 80 days ago, kept by the retention
		submit(t, s, "d", "gone", 7, ModeBest, long)
		submit(t, s, "d", "gone", 9, ModeBest, lastMilli)
		submit(t, s, "d", "stay", 8, ModeBest, long)
		submit(t, s, "d", "stay", 8, ModeBest, lastMilli)
		removed, err := s.Delete(ctx, "d", "gone", lastMilli)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, w := range removed {
			names = append(names, string(w.Period)+" "+w.ID)
		}
		if got, want := strings.Join(names, ", "), "all all, day 2099-10-12, day 2099-12-31, week 2099-W42, week 2099-W53"; got != want {
			t.Errorf("removed from %s, want %s", got, want)
		}
		for _, w := range []Window{WindowAt(PeriodAll, lastMilli), WindowAt(PeriodDay, long), WindowAt(PeriodWeek, long), WindowAt(PeriodDay, lastMilli), WindowAt(PeriodWeek, lastMilli)} {
			if _, err := s.Around(ctx, "d", "gone", w, 0); !errors.Is(err, ErrNotFound) {
				t.Errorf("%s %s: %v, want ErrNotFound", w.Period, w.ID, err)
			}
			if got := entriesString(walk(t, s, "d", w, 10)); got != "1:stay=8 " {
				t.Errorf("%s %s after the delete: %s", w.Period, w.ID, got)
			}
		}
		if _, err := s.Delete(ctx, "d", "gone", lastMilli); !errors.Is(err, ErrNotFound) {
			t.Errorf("second delete: %v, want ErrNotFound", err)
		}
		// The player can come back, and its windows keep their expiry.
		if r := submit(t, s, "d", "gone", 1, ModeBest, lastMilli); r.Rank != 2 || r.PreviousRank != 0 {
			t.Errorf("back after the delete: %+v", r)
		}
		if ms := rdb.PExpireTime(ctx, "lambdis:lb:{d}:d:2099-12-31").Val(); ms <= 0 {
			t.Errorf("day window has no expiry after delete and resubmit: %v", ms)
		}
	})
}

// A window with a single player keeps its expiry through updates (the new
// member is added before the old one is removed).
func TestSinglePlayerKeepsExpiry(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		s := newStore(t, rdb, Config{})
		for i := 0; i < 3; i++ {
			submit(t, s, "solo", "p", 1, ModeIncrement, lastMilli)
			for _, k := range []string{"lambdis:lb:{solo}:d:2099-12-31", "lambdis:lb:{solo}:w:2099-W53:players"} {
				if ms := rdb.PExpireTime(ctx, k).Val(); ms <= 0 {
					t.Fatalf("after update %d, %s has PEXPIRETIME %v", i, k, ms)
				}
			}
		}
	})
}

// Every operation is one command: one EVALSHA (EVALSHA_RO for reads), or
// for the first page of a walk one ZREVRANGE.
func TestOneRoundTrip(t *testing.T) {
	srv := redistest.StartServer(t)
	rdb := srv.Client(t)
	ctx := context.Background()
	s := newStore(t, rdb, Config{})
	// load the scripts once (a cold server answers NOSCRIPT first)
	submit(t, s, "rt", "p", 1, ModeBest, lastMilli)
	submit(t, s, "rt", "q", 1, ModeBest, lastMilli)
	walk(t, s, "rt", WindowAt(PeriodAll, lastMilli), 1)
	if _, err := s.Around(ctx, "rt", "p", WindowAt(PeriodAll, lastMilli), 1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Delete(ctx, "rt", "q", lastMilli); err != nil {
		t.Fatal(err)
	}

	var rt roundTrips
	rdb.AddHook(&rt)
	before, err := srv.Calls(ctx)
	if err != nil {
		t.Fatal(err)
	}
	submit(t, s, "rt", "p", 2, ModeIncrement, lastMilli)
	submit(t, s, "rt", "q", 2, ModeIncrement, lastMilli)
	p, err := s.Top(ctx, "rt", WindowAt(PeriodAll, lastMilli), 1, nil)
	if err != nil || p.Next == nil {
		t.Fatal(p, err)
	}
	if _, err := s.Top(ctx, "rt", WindowAt(PeriodAll, lastMilli), 1, p.Next); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Around(ctx, "rt", "p", WindowAt(PeriodWeek, lastMilli), 5); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Delete(ctx, "rt", "q", lastMilli); err != nil {
		t.Fatal(err)
	}
	after, err := srv.Calls(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// (the first page is one pipeline: ZREVRANGE and ZCARD, for its total)
	if n, cmds := rt.n.Load(), rt.cmds.Load(); n != 6 || cmds != 7 {
		t.Errorf("%d round trips and %d commands for 6 operations, want 6 and 7", n, cmds)
	}
	d := redistest.CallsDelta(before, after)
	// (commandstats also counts the commands the scripts run)
	if d["evalsha"] != 3 || d["evalsha_ro"] != 2 || d["eval"] != 0 || d["eval_ro"] != 0 {
		t.Errorf("commandstats deltas %v: want 3 EVALSHA (2 submits, 1 delete) and 2 EVALSHA_RO (second page, around)", d)
	}
}

func TestInvalidArgumentsWriteNothing(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		s := newStore(t, rdb, Config{})
		w := WindowAt(PeriodAll, lastMilli)
		long := strings.Repeat("a", MaxPlayerLen+1)
		for _, sub := range []Submission{
			{Board: "", Player: "p", Score: 1, Mode: ModeBest},
			{Board: "a{b}", Player: "p", Score: 1, Mode: ModeBest},
			{Board: "a:b", Player: "p", Score: 1, Mode: ModeBest},
			{Board: strings.Repeat("b", MaxBoardLen+1), Player: "p", Score: 1, Mode: ModeBest},
			{Board: "g", Player: "", Score: 1, Mode: ModeBest},
			{Board: "g", Player: long, Score: 1, Mode: ModeBest},
			{Board: "g", Player: "a b", Score: 1, Mode: ModeBest},
			{Board: "g", Player: "..", Score: 1, Mode: ModeBest},
			{Board: "g", Player: "é", Score: 1, Mode: ModeBest},
			{Board: "g", Player: "p", Score: 1, Mode: "max"},
			{Board: "g", Player: "p", Score: 1, Mode: ""},
			{Board: "g", Player: "p", Score: MaxScore + 1, Mode: ModeBest},
		} {
			if _, err := s.Submit(ctx, sub); !errors.Is(err, ErrInvalid) {
				t.Errorf("%+v: %v, want ErrInvalid", sub, err)
			}
		}
		for _, limit := range []int{0, -1, MaxLimit + 1} {
			if _, err := s.Top(ctx, "g", w, limit, nil); !errors.Is(err, ErrInvalid) {
				t.Errorf("limit %d: %v", limit, err)
			}
		}
		other := &Cursor{Board: "h", Window: w, Member: "0000000000000000p"}
		if _, err := s.Top(ctx, "g", w, 5, other); !errors.Is(err, ErrInvalid) {
			t.Errorf("cursor of another board: %v", err)
		}
		day := &Cursor{Board: "g", Window: WindowAt(PeriodDay, lastMilli), Member: "0000000000000000p"}
		if _, err := s.Top(ctx, "g", w, 5, day); !errors.Is(err, ErrInvalid) {
			t.Errorf("cursor of another window: %v", err)
		}
		for _, n := range []int{-1, MaxAround + 1} {
			if _, err := s.Around(ctx, "g", "p", w, n); !errors.Is(err, ErrInvalid) {
				t.Errorf("around %d: %v", n, err)
			}
		}
		if _, err := s.Delete(ctx, "g", "a/b", lastMilli); !errors.Is(err, ErrInvalid) {
			t.Errorf("delete of a bad player: %v", err)
		}
		if n := dbSize(t, rdb); n != 0 {
			t.Fatalf("invalid arguments wrote %d keys", n)
		}
	})
}

// dbSize counts keys on every node.
func dbSize(t testing.TB, rdb redis.UniversalClient) int64 {
	t.Helper()
	ctx := context.Background()
	if c, ok := rdb.(*redis.ClusterClient); ok {
		var mu sync.Mutex
		var n int64
		err := c.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
			k, err := m.DBSize(ctx).Result()
			mu.Lock()
			n += k
			mu.Unlock()
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	return rdb.DBSize(ctx).Val()
}

func TestNewStoreConfig(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	for _, r := range []time.Duration{time.Minute, MaxRetention + time.Hour, -time.Hour} {
		if _, err := NewStore(rdb, keys.Builder{}, Config{Retention: r}); err == nil {
			t.Errorf("retention %v accepted", r)
		}
	}
	s, err := NewStore(rdb, keys.Builder{}, Config{})
	if err != nil || s.Config().Retention != DefaultRetention || s.Config().Now == nil {
		t.Fatalf("defaults: %+v %v", s, err)
	}
}
