package leaderboard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

// refBoard is the reference a test computes on its own: every submission
// applied in Go, the order sorted from the scores.
type refBoard struct {
	asc, none bool
	score     map[string]int64
	at        map[string]int // when the player reached its score (submission number)
	n         int
}

func newRef(st Settings) *refBoard {
	return &refBoard{asc: st.Order == OrderAsc, none: st.Ties == TiesNone, score: map[string]int64{}, at: map[string]int{}}
}

func (r *refBoard) submit(player string, score int64, mode Mode) {
	r.n++
	old, on := r.score[player]
	nw := score
	switch {
	case mode == ModeIncrement:
		nw = old + score
	case mode == ModeBest && on && (!r.asc && old >= score || r.asc && old <= score):
		nw = old
	}
	if !on || nw != old {
		r.score[player], r.at[player] = nw, r.n
	}
}

// better reports whether score a beats score b.
func (r *refBoard) better(a, b int64) bool {
	if r.asc {
		return a < b
	}
	return a > b
}

// entries lists the players best first, with competition ranks: equal
// scores by who reached them first (ties=earliest) or by descending
// player id (ties=none, the order of a descending sorted-set walk).
func (r *refBoard) entries() []Entry {
	ps := make([]string, 0, len(r.score))
	for p := range r.score {
		ps = append(ps, p)
	}
	sort.Slice(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if r.score[a] != r.score[b] {
			return r.better(r.score[a], r.score[b])
		}
		if r.none {
			return a > b
		}
		return r.at[a] < r.at[b]
	})
	out := make([]Entry, len(ps))
	for i, p := range ps {
		better := 0
		for _, q := range ps {
			if r.better(r.score[q], r.score[p]) {
				better++
			}
		}
		out[i] = Entry{Rank: int64(better) + 1, Player: p, Score: r.score[p]}
	}
	return out
}

func declare(t testing.TB, s *Store, board string, st Settings) Settings {
	t.Helper()
	got, err := s.SetSettings(context.Background(), board, st, lastMilli)
	if err != nil {
		t.Fatalf("declare %s %+v: %v", board, st, err)
	}
	return got
}

// For every order and tie rule, 1,000 random submissions (every mode,
// scores in a narrow range so that ties abound) end with exactly the
// reference's order, ranks, totals, pages (by cursor and from a rank),
// neighbours, percentiles and friends' ranks, in every declared window.
func TestBoardsMatchTheReference(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		s := newStore(t, rdb, Config{})
		for _, order := range []Order{OrderAsc, OrderDesc} {
			for _, ties := range []Ties{TiesEarliest, TiesNone} {
				board := fmt.Sprintf("ref-%s-%s", order, ties)
				st := declare(t, s, board, Settings{Order: order, Ties: ties, Windows: []Period{PeriodAll, PeriodMonth}, Modes: []Mode{ModeBest, ModeIncrement, ModeSet}})
				ref := newRef(st)
				rng := rand.New(rand.NewPCG(uint64(len(board)), 15))
				modes := []Mode{ModeBest, ModeIncrement, ModeSet}
				for i := 0; i < 1000; i++ {
					p := fmt.Sprintf("p%03d", rng.IntN(120))
					sc := int64(rng.IntN(41) - 20)
					m := modes[rng.IntN(3)]
					ref.submit(p, sc, m)
					r := submit(t, s, board, p, sc, m, lastMilli)
					if r.Score != ref.score[p] || r.Window.Period != PeriodAll || len(r.Windows) != 2 {
						t.Fatalf("%s: submission %d (%s %d %s): %+v, reference score %d", board, i, p, sc, m, r, ref.score[p])
					}
				}
				want := ref.entries()
				wantStr := entriesString(want)
				total := int64(len(want))
				for _, p := range []Period{PeriodAll, PeriodMonth} {
					w := WindowAt(p, lastMilli)
					for _, limit := range []int{1, 7, 100} {
						if got := entriesString(walk(t, s, board, w, limit)); got != wantStr {
							t.Fatalf("%s %s, pages of %d:\n got %s\nwant %s", board, p, limit, got, wantStr)
						}
					}
					first, err := s.Top(ctx, board, w, 5, nil)
					if err != nil || first.Total != total {
						t.Fatalf("%s: total %d, want %d (%v)", board, first.Total, total, err)
					}
					for _, from := range []int64{1, 2, 50, total, total + 1} {
						pg, err := s.Top(ctx, board, w, 10, nil, FromRank(from))
						if err != nil {
							t.Fatal(err)
						}
						lo, hi := min(int(from)-1, len(want)), min(int(from)-1+10, len(want))
						if got, w := entriesString(pg.Entries), entriesString(want[lo:hi]); got != w || pg.Total != total || (pg.Next != nil) != (hi < len(want)) {
							t.Fatalf("%s: from rank %d: %s (next %v), want %s", board, from, got, pg.Next, w)
						}
						if pg.Next != nil {
							if got, w := entriesString(walkFrom(t, s, board, w, 13, pg.Next)), entriesString(want[hi:]); got != w {
								t.Fatalf("%s: the walk on from rank %d: %s, want %s", board, from, got, w)
							}
						}
					}
					for _, i := range []int{0, 1, len(want) / 2, len(want) - 1} {
						e := want[i]
						sd, err := s.Around(ctx, board, e.Player, w, 3)
						if err != nil {
							t.Fatal(err)
						}
						above, below := want[max(i-3, 0):i], want[i+1:min(i+4, len(want))]
						if sd.Entry.Rank != e.Rank || sd.Score != e.Score || entriesString(sd.Above) != entriesString(above) || entriesString(sd.Below) != entriesString(below) {
							t.Fatalf("%s: around %s: %+v, want %v above %s below %s", board, e.Player, sd, e, entriesString(above), entriesString(below))
						}
						// the share of players it ranks at or above: itself,
						// its ties and everyone below
						atOrBelow := 0
						for _, o := range want {
							if o.Rank >= e.Rank {
								atOrBelow++
							}
						}
						if wantP := float64(atOrBelow*10000/len(want)) / 100; sd.Percentile != wantP || sd.Total != total {
							t.Fatalf("%s: %s percentile %v of %d, want %v of %d", board, e.Player, sd.Percentile, sd.Total, wantP, total)
						}
					}
					// friends: every reference player, and two absent ones
					asked := []string{"nobody", want[len(want)-1].Player, want[0].Player, "p999"}
					rl, err := s.Ranks(ctx, board, w, asked)
					if err != nil || rl.Total != total || len(rl.Players) != len(asked) {
						t.Fatalf("%s: ranks %+v, %v", board, rl, err)
					}
					byPlayer := map[string]Entry{}
					for _, e := range want {
						byPlayer[e.Player] = e
					}
					for i, pr := range rl.Players {
						e, on := byPlayer[asked[i]]
						if pr.Player != asked[i] || pr.Found != on || on && (pr.Rank != e.Rank || pr.Score != e.Score || pr.Percentile != Percentile(e.Rank, total)) {
							t.Fatalf("%s: ranks[%d] %+v, want %v (on %v)", board, i, pr, e, on)
						}
					}
				}
			}
		}
	})
}

// A board declared with only the month window writes only month keys, and
// a submission at the last millisecond of a month and one at the first of
// the next land in two months (UTC).
func TestMonthOnlyBoardAndRollover(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		s := newStore(t, rdb, Config{})
		declare(t, s, "mo", Settings{Order: OrderDesc, Ties: TiesNone, Windows: []Period{PeriodMonth}, Modes: []Mode{ModeIncrement}})
		end := time.Date(2099, 11, 30, 23, 59, 59, 999e6, time.UTC)
		next := end.Add(time.Millisecond)
		r := submit(t, s, "mo", "ann", 5, ModeIncrement, end)
		if r.Window.ID != "2099-11" || len(r.Windows) != 1 || r.Rank != 1 {
			t.Fatalf("%+v", r)
		}
		submit(t, s, "mo", "bob", 7, ModeIncrement, end)
		if r := submit(t, s, "mo", "ann", 1, ModeIncrement, next); r.Window.ID != "2099-12" || r.Score != 1 || r.Rank != 1 || r.PreviousRank != 0 {
			t.Fatalf("a new month starts afresh: %+v", r)
		}
		if got := entriesString(walk(t, s, "mo", WindowAt(PeriodMonth, end), 10)); got != "1:bob=7 2:ann=5 " {
			t.Errorf("November: %s", got)
		}
		if got := entriesString(walk(t, s, "mo", WindowAt(PeriodMonth, next), 10)); got != "1:ann=1 " {
			t.Errorf("December: %s", got)
		}
		var ks []string
		forEachNode(t, rdb, func(c *redis.Client) {
			ks = append(ks, c.Keys(ctx, "*").Val()...)
		})
		slices.Sort(ks)
		// (the board hash, the all-time players hash, holds the settings and
		// the board's sequence: no window of its own)
		want := []string{"lambdis:lb:{mo}:all:players", "lambdis:lb:{mo}:m:2099-11", "lambdis:lb:{mo}:m:2099-11:players", "lambdis:lb:{mo}:m:2099-12", "lambdis:lb:{mo}:m:2099-12:players"}
		if !slices.Equal(ks, want) {
			t.Errorf("keys %v, want %v", ks, want)
		}
		exp := rdb.PExpireTime(ctx, "lambdis:lb:{mo}:m:2099-11").Val()
		// (miniredis's PEXPIRETIME is off by its own clock's milliseconds)
		if wantExp := time.Date(2099, 12, 1, 0, 0, 0, 0, time.UTC).Add(DefaultRetention); exp != time.Duration(wantExp.UnixMilli())*time.Millisecond && !strings.HasSuffix(t.Name(), "/"+string(redistest.BackendMiniredis)) {
			t.Errorf("November expires at %v, want %v", exp, wantExp)
		}
		if _, err := s.Submit(ctx, Submission{Board: "mo", Player: "ann", Score: 1, Mode: ModeBest, At: end}); !errors.Is(err, ErrModeNotAccepted) {
			t.Errorf("best on an increment-only board: %v", err)
		}
		if got := entriesString(walk(t, s, "mo", WindowAt(PeriodMonth, end), 10)); got != "1:bob=7 2:ann=5 " {
			t.Errorf("a refused mode wrote: %s", got)
		}
	})
}

// forEachNode runs fn on the client of every master (the one client of a
// single server), one at a time (ForEachMaster calls in parallel).
func forEachNode(t testing.TB, rdb redis.UniversalClient, fn func(*redis.Client)) {
	t.Helper()
	if c, ok := rdb.(*redis.ClusterClient); ok {
		var mu sync.Mutex
		if err := c.ForEachMaster(context.Background(), func(_ context.Context, n *redis.Client) error {
			mu.Lock()
			defer mu.Unlock()
			fn(n)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return
	}
	fn(rdb.(*redis.Client))
}

// The order and the tie rule cannot change once the board has players
// (ErrConflict, nothing written); windows and modes can, and a window added
// later starts empty. Once every player is deleted the order may change.
func TestSettingsChanges(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		s := newStore(t, rdb, Config{})
		st, err := s.Settings(ctx, "c")
		if err != nil || st.Declared || st.Order != OrderDesc || st.Ties != TiesEarliest || !slices.Equal(st.Windows, Periods) || len(st.Modes) != 3 {
			t.Fatalf("undeclared: %+v, %v", st, err)
		}
		asc := Settings{Order: OrderAsc, Ties: TiesEarliest, Windows: []Period{PeriodAll}, Modes: []Mode{ModeBest}}
		declare(t, s, "c", asc)
		submit(t, s, "c", "ann", 30, ModeBest, lastMilli)
		submit(t, s, "c", "bob", 20, ModeBest, lastMilli)
		submit(t, s, "c", "ann", 40, ModeBest, lastMilli) // best keeps the lower
		for _, bad := range []Settings{
			{Order: OrderDesc, Ties: TiesEarliest, Windows: []Period{PeriodAll}, Modes: []Mode{ModeBest}},
			{Order: OrderAsc, Ties: TiesNone, Windows: []Period{PeriodAll}, Modes: []Mode{ModeBest}},
		} {
			if _, err := s.SetSettings(ctx, "c", bad, lastMilli); !errors.Is(err, ErrConflict) {
				t.Fatalf("%+v: %v, want ErrConflict", bad, err)
			}
		}
		if got, _ := s.Settings(ctx, "c"); got.Order != OrderAsc || got.Ties != TiesEarliest || !got.Declared {
			t.Fatalf("a refused change wrote: %+v", got)
		}
		// add the week: it starts empty, then takes new submissions
		declare(t, s, "c", Settings{Order: OrderAsc, Ties: TiesEarliest, Windows: []Period{PeriodWeek, PeriodAll}, Modes: []Mode{ModeBest, ModeSet}})
		wk := WindowAt(PeriodWeek, lastMilli)
		if got := entriesString(walk(t, s, "c", wk, 10)); got != "" {
			t.Errorf("a new window: %s", got)
		}
		submit(t, s, "c", "cat", 25, ModeSet, lastMilli)
		if got := entriesString(walk(t, s, "c", wk, 10)); got != "1:cat=25 " {
			t.Errorf("week: %s", got)
		}
		if got := entriesString(walk(t, s, "c", WindowAt(PeriodAll, lastMilli), 10)); got != "1:bob=20 2:cat=25 3:ann=30 " {
			t.Errorf("all: %s", got)
		}
		for _, p := range []string{"ann", "bob", "cat"} {
			if _, err := s.Delete(ctx, "c", p, lastMilli); err != nil {
				t.Fatal(err)
			}
		}
		declare(t, s, "c", Settings{Order: OrderDesc, Ties: TiesNone, Windows: []Period{PeriodAll}, Modes: []Mode{ModeBest}})
		submit(t, s, "c", "ann", 30, ModeBest, lastMilli)
		submit(t, s, "c", "bob", 20, ModeBest, lastMilli)
		if got := entriesString(walk(t, s, "c", WindowAt(PeriodAll, lastMilli), 10)); got != "1:ann=30 2:bob=20 " {
			t.Errorf("after the change: %s", got)
		}
		for _, bad := range []Settings{
			{Order: "up", Ties: TiesNone, Windows: []Period{PeriodAll}, Modes: []Mode{ModeBest}},
			{Order: OrderAsc, Ties: "first", Windows: []Period{PeriodAll}, Modes: []Mode{ModeBest}},
			{Order: OrderAsc, Ties: TiesNone, Windows: nil, Modes: []Mode{ModeBest}},
			{Order: OrderAsc, Ties: TiesNone, Windows: []Period{"year"}, Modes: []Mode{ModeBest}},
			{Order: OrderAsc, Ties: TiesNone, Windows: []Period{PeriodAll, PeriodAll}, Modes: []Mode{ModeBest}},
			{Order: OrderAsc, Ties: TiesNone, Windows: []Period{PeriodAll}, Modes: nil},
			{Order: OrderAsc, Ties: TiesNone, Windows: []Period{PeriodAll}, Modes: []Mode{"max"}},
		} {
			if _, err := s.SetSettings(ctx, "c", bad, lastMilli); !errors.Is(err, ErrInvalid) {
				t.Errorf("%+v: %v, want ErrInvalid", bad, err)
			}
		}
		if got, _ := s.Settings(ctx, "c"); got.Order != OrderDesc || got.Ties != TiesNone {
			t.Fatalf("invalid settings wrote: %+v", got)
		}
	})
}

// Friends' ranks: one EVALSHA_RO whatever the number of players, absent
// players answered as such, a duplicate answered once, 101 players refused.
func TestRanksOneRoundTrip(t *testing.T) {
	srv := redistest.StartServer(t)
	rdb := srv.Client(t)
	ctx := context.Background()
	s := newStore(t, rdb, Config{})
	w := WindowAt(PeriodAll, lastMilli)
	for i := 0; i < 150; i++ {
		submit(t, s, "fr", fmt.Sprintf("f%03d", i), int64(i%40), ModeSet, lastMilli)
	}
	asked := make([]string, 0, MaxRanks)
	for i := 0; len(asked) < MaxRanks-2; i += 2 {
		asked = append(asked, fmt.Sprintf("f%03d", i))
	}
	asked = append(asked, "ghost", "f000")                      // an absent player, a duplicate
	if _, err := s.Ranks(ctx, "fr", w, asked[:1]); err != nil { // load the script
		t.Fatal(err)
	}
	var rt roundTrips
	rdb.AddHook(&rt)
	before, _ := srv.Calls(ctx)
	rl, err := s.Ranks(ctx, "fr", w, asked)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := srv.Calls(ctx)
	if d := redistest.CallsDelta(before, after); d["evalsha_ro"] != 1 || d["evalsha"] != 0 || rt.n.Load() != 1 {
		t.Errorf("%d round trips, commandstats %v: want one EVALSHA_RO", rt.n.Load(), d)
	}
	if len(rl.Players) != MaxRanks-1 || rl.Total != 150 {
		t.Fatalf("%d players answered of %d, total %d", len(rl.Players), MaxRanks-1, rl.Total)
	}
	ref := walk(t, s, "fr", w, 100)
	rank := map[string]int64{}
	for _, e := range ref {
		rank[e.Player] = e.Rank
	}
	for i, pr := range rl.Players {
		if pr.Player != asked[i] || pr.Found != (rank[pr.Player] > 0) || pr.Found && pr.Rank != rank[pr.Player] {
			t.Errorf("%d: %+v, want %s rank %d", i, pr, asked[i], rank[asked[i]])
		}
	}
	if _, err := s.Ranks(ctx, "fr", w, append(asked, "x", "y")); !errors.Is(err, ErrInvalid) {
		t.Errorf("101 players: %v", err)
	}
	for _, bad := range [][]string{nil, {"a b"}, {"ok", ""}} {
		if _, err := s.Ranks(ctx, "fr", w, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// Player data: stored beside the player, returned with entries when asked
// (every read), limited to a 1 KiB JSON object, gone after a delete.
func TestPlayerData(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		s := newStore(t, rdb, Config{})
		declare(t, s, "pd", Settings{Order: OrderAsc, Ties: TiesNone, Windows: []Period{PeriodAll, PeriodDay}, Modes: []Mode{ModeBest}})
		sub := func(p string, sc int64, data string) error {
			_, err := s.Submit(ctx, Submission{Board: "pd", Player: p, Score: sc, Mode: ModeBest, At: lastMilli, Data: json.RawMessage(data)})
			return err
		}
		if err := sub("ann", 10, `{ "name": "Ann",  "avatar": 3 }`); err != nil {
			t.Fatal(err)
		}
		if err := sub("bob", 20, ""); err != nil {
			t.Fatal(err)
		}
		if err := sub("cat", 30, `{"name":"Cat"}`); err != nil {
			t.Fatal(err)
		}
		if err := sub("cat", 35, `{"name":"Kat"}`); err != nil { // not better, the data still changes
			t.Fatal(err)
		}
		data := func(es []Entry) string {
			var b strings.Builder
			for _, e := range es {
				fmt.Fprintf(&b, "%s=%s ", e.Player, e.Data)
			}
			return b.String()
		}
		const want = `ann={"name":"Ann","avatar":3} bob= cat={"name":"Kat"} `
		w := WindowAt(PeriodDay, lastMilli)
		p, err := s.Top(ctx, "pd", w, 2, nil, WithData())
		if err != nil {
			t.Fatal(err)
		}
		p2, err := s.Top(ctx, "pd", w, 2, p.Next, WithData())
		if err != nil {
			t.Fatal(err)
		}
		if got := data(append(p.Entries, p2.Entries...)); got != want {
			t.Errorf("pages: %s, want %s", got, want)
		}
		if plain, _ := s.Top(ctx, "pd", w, 3, nil); data(plain.Entries) != "ann= bob= cat= " {
			t.Errorf("data without asking: %s", data(plain.Entries))
		}
		st, err := s.Around(ctx, "pd", "bob", w, 1, WithData())
		if err != nil || data(append(append(st.Above, st.Entry), st.Below...)) != want {
			t.Errorf("around: %+v, %v", st, err)
		}
		rl, err := s.Ranks(ctx, "pd", w, []string{"cat", "ann"}, WithData())
		if err != nil || string(rl.Players[0].Data) != `{"name":"Kat"}` || string(rl.Players[1].Data) != `{"name":"Ann","avatar":3}` {
			t.Errorf("ranks: %+v, %v", rl, err)
		}
		before := dbSize(t, rdb)
		for _, bad := range []string{`{"a":`, `[1,2]`, `"name"`, `null`, `{"a":"` + strings.Repeat("x", MaxDataLen-7) + `"}`} {
			if err := sub("dan", 1, bad); !errors.Is(err, ErrInvalid) {
				t.Errorf("data %.20q: %v, want ErrInvalid", bad, err)
			}
		}
		if err := sub("dan", 1, `{"a":"`+strings.Repeat("x", MaxDataLen-8)+`"}`); err != nil {
			t.Errorf("data of exactly %d bytes: %v", MaxDataLen, err)
		}
		if n := dbSize(t, rdb); n != before {
			t.Errorf("keys %d, then %d", before, n)
		}
		if _, err := s.Delete(ctx, "pd", "ann", lastMilli); err != nil {
			t.Fatal(err)
		}
		if rl, _ := s.Ranks(ctx, "pd", w, []string{"ann"}, WithData()); rl.Players[0].Found || rl.Players[0].Data != nil {
			t.Errorf("after delete: %+v", rl.Players[0])
		}
		if _, err := s.Delete(ctx, "pd", "ann", lastMilli); !errors.Is(err, ErrNotFound) {
			t.Errorf("deleted twice: %v", err)
		}
	})
}

// A window dropped and added back, and a late request of the day before
// one of the next day, each apply to the right windows.
func TestWindowsChangeAndLateRequests(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		s := newStore(t, rdb, Config{})
		day := WindowAt(PeriodDay, lastMilli)
		submit(t, s, "r", "ann", 10, ModeIncrement, lastMilli)
		declare(t, s, "r", Settings{Order: OrderDesc, Ties: TiesEarliest, Windows: []Period{PeriodDay}, Modes: []Mode{ModeIncrement}})
		submit(t, s, "r", "ann", 5, ModeIncrement, lastMilli) // the day only: 15
		declare(t, s, "r", Settings{Order: OrderDesc, Ties: TiesEarliest, Windows: []Period{PeriodAll, PeriodDay}, Modes: []Mode{ModeIncrement}})
		if r := submit(t, s, "r", "ann", 1, ModeIncrement, lastMilli); r.Score != 11 {
			t.Errorf("all-time %d, want 11", r.Score)
		}
		if got := entriesString(walk(t, s, "r", day, 10)); got != "1:ann=16 " {
			t.Errorf("day after the windows changed: %s, want 16", got)
		}
		// a request of the next day, then a late one of the day before
		submit(t, s, "r", "ann", 100, ModeIncrement, newYear)
		submit(t, s, "r", "ann", 2, ModeIncrement, lastMilli)
		submit(t, s, "r", "ann", 1000, ModeIncrement, newYear)
		if got := entriesString(walk(t, s, "r", day, 10)); got != "1:ann=18 " {
			t.Errorf("the day before: %s, want 18", got)
		}
		if got := entriesString(walk(t, s, "r", WindowAt(PeriodDay, newYear), 10)); got != "1:ann=1100 " {
			t.Errorf("the next day: %s, want 1100", got)
		}
		if got := entriesString(walk(t, s, "r", WindowAt(PeriodAll, newYear), 10)); got != "1:ann=1113 " {
			t.Errorf("all time: %s, want 1113", got)
		}
		rl, err := s.Ranks(ctx, "r", WindowAt(PeriodAll, newYear), []string{"ann"})
		if err != nil || rl.Players[0].Score != 1113 {
			t.Errorf("ranks: %+v %v", rl, err)
		}
	})
}

// The new reads and the declaration are one command each: a page from a
// rank or with data one EVALSHA_RO, friends with data one EVALSHA_RO, a
// declaration one EVALSHA, a submit to a declared board one EVALSHA.
func TestNewOperationsOneRoundTrip(t *testing.T) {
	srv := redistest.StartServer(t)
	rdb := srv.Client(t)
	ctx := context.Background()
	s := newStore(t, rdb, Config{})
	w := WindowAt(PeriodMonth, lastMilli)
	st := Settings{Order: OrderAsc, Ties: TiesNone, Windows: []Period{PeriodMonth}, Modes: []Mode{ModeSet}}
	run := func() {
		t.Helper()
		declare(t, s, "one", st)
		if _, err := s.Submit(ctx, Submission{Board: "one", Player: "ann", Score: 3, Mode: ModeSet, At: lastMilli, Data: json.RawMessage(`{"a":1}`)}); err != nil {
			t.Fatal(err)
		}
		if p, err := s.Top(ctx, "one", w, 5, nil, FromRank(1), WithData()); err != nil || len(p.Entries) != 1 || string(p.Entries[0].Data) != `{"a":1}` {
			t.Fatalf("%+v %v", p, err)
		}
		if _, err := s.Ranks(ctx, "one", w, []string{"ann", "bob"}, WithData()); err != nil {
			t.Fatal(err)
		}
	}
	run() // load the scripts
	var rt roundTrips
	rdb.AddHook(&rt)
	before, _ := srv.Calls(ctx)
	run()
	after, _ := srv.Calls(ctx)
	d := redistest.CallsDelta(before, after)
	if n, cmds := rt.n.Load(), rt.cmds.Load(); n != 4 || cmds != 4 || d["evalsha"] != 2 || d["evalsha_ro"] != 2 {
		t.Errorf("%d round trips, %d commands, commandstats %v: want 4, 4, 2 EVALSHA and 2 EVALSHA_RO", n, cmds, d)
	}
}
