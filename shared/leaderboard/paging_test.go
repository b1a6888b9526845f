package leaderboard

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

// A walk over an unchanging board lists every player once, in order, with
// ranks that agree with one read of the whole board.
func TestWalkIsComplete(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		s := newStore(t, rdb, Config{})
		const n = 137
		for i := 0; i < n; i++ {
			submit(t, s, "w", fmt.Sprintf("p%03d", i), int64(i%10), ModeSet, lastMilli) // 10 scores, many ties
		}
		w := WindowAt(PeriodAll, lastMilli)
		whole := walk(t, s, "w", w, MaxLimit)
		if len(whole) != n {
			t.Fatalf("%d entries, want %d", len(whole), n)
		}
		for i, e := range whole {
			// competition rank: one more than the players scored higher
			higher := int64(0)
			for _, o := range whole {
				if o.Score > e.Score {
					higher++
				}
			}
			if e.Rank != higher+1 {
				t.Fatalf("entry %d %+v: rank %d, want %d", i, e, e.Rank, higher+1)
			}
			if i > 0 && whole[i-1].Score < e.Score {
				t.Fatalf("entries %d and %d out of order", i-1, i)
			}
		}
		for _, limit := range []int{1, 3, 7, 10, 68, 69, 99} {
			if got := walk(t, s, "w", w, limit); entriesString(got) != entriesString(whole) {
				t.Errorf("pages of %d differ from one read:\n%s\n%s", limit, entriesString(got), entriesString(whole))
			}
		}
		if p, err := s.Top(context.Background(), "w", w, 37, nil); err != nil || p.Next == nil || len(p.Entries) != 37 {
			t.Errorf("first page of 37: %d entries, next %v, %v", len(p.Entries), p.Next, err)
		}
		if p, err := s.Top(context.Background(), "empty", w, 10, nil); err != nil || len(p.Entries) != 0 || p.Next != nil {
			t.Errorf("an empty board: %+v %v", p, err)
		}
	})
}

// The next page starts right after the cursor's place even when the
// cursor's player has moved, up or down, between pages.
func TestCursorAfterItsPlayerMoved(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		s := newStore(t, rdb, Config{})
		w := WindowAt(PeriodAll, lastMilli)
		// t00..t19 all score 5, in order of achievement; then a few above
		// and below.
		for i := 0; i < 20; i++ {
			submit(t, s, "m", fmt.Sprintf("t%02d", i), 5, ModeSet, lastMilli)
		}
		submit(t, s, "m", "hi", 9, ModeSet, lastMilli)
		submit(t, s, "m", "lo", 1, ModeSet, lastMilli)
		for _, move := range []struct {
			name  string
			score int64
		}{{"up", 50}, {"down", 2}, {"sideways", 5}} {
			p, err := s.Top(ctx, "m", w, 8, nil) // hi, t00 .. t06
			if err != nil || p.Next == nil || p.Next.Player() != "t06" {
				t.Fatalf("%s: first page %+v %v", move.name, p, err)
			}
			// t06 leaves (and for "sideways" leaves and rejoins the tie: it
			// is now the latest at 5).
			submit(t, s, "m", "t06", move.score, ModeSet, lastMilli)
			if move.name == "sideways" {
				submit(t, s, "m", "t06", 6, ModeSet, lastMilli)
				submit(t, s, "m", "t06", 5, ModeSet, lastMilli)
			}
			next, err := s.Top(ctx, "m", w, 3, p.Next)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range next.Entries {
				got = append(got, e.Player)
			}
			if fmt.Sprint(got) != "[t07 t08 t09]" {
				t.Errorf("%s: page after t06 moved: %v, want t07, t08, t09", move.name, got)
			}
			// reset
			submit(t, s, "m", "t06", 5, ModeSet, lastMilli)
			for i := 7; i < 20; i++ { // put the tie back in name order
				submit(t, s, "m", fmt.Sprintf("t%02d", i), 6, ModeSet, lastMilli)
				submit(t, s, "m", fmt.Sprintf("t%02d", i), 5, ModeSet, lastMilli)
			}
		}
	})
}

// A player lowered after the walk began is left out of the rest of the
// walk, so it is not listed twice; one raised past the cursor is not
// listed again either; everyone who did not move is listed exactly once.
func TestWalkLeavesOutLoweredPlayers(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		s := newStore(t, rdb, Config{})
		w := WindowAt(PeriodAll, lastMilli)
		for i := 0; i < 10; i++ {
			submit(t, s, "l", fmt.Sprintf("p%d", i), int64(100-i), ModeSet, lastMilli) // p0=100 .. p9=91
		}
		submit(t, s, "l", "old", 10, ModeSet, lastMilli)
		submit(t, s, "l", "old", 5, ModeSet, lastMilli) // lowered before the walk: listed
		p, err := s.Top(ctx, "l", w, 3, nil)            // p0 p1 p2
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		for _, e := range p.Entries {
			seen[e.Player]++
		}
		submit(t, s, "l", "p1", 1, ModeSet, lastMilli)        // listed, now falls to the bottom
		submit(t, s, "l", "p8", 200, ModeBest, lastMilli)     // not yet listed, rises to the top
		submit(t, s, "l", "p5", -3, ModeIncrement, lastMilli) // not yet listed, lowered
		for after := p.Next; after != nil; {
			p, err = s.Top(ctx, "l", w, 3, after)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range p.Entries {
				seen[e.Player]++
			}
			after = p.Next
		}
		want := map[string]int{"p0": 1, "p1": 1, "p2": 1, "p3": 1, "p4": 1, "p6": 1, "p7": 1, "p9": 1, "old": 1}
		if fmt.Sprint(seen) != fmt.Sprint(want) {
			t.Errorf("listed %v, want %v", seen, want)
		}
		// A new walk sees everyone.
		if got := len(walk(t, s, "l", w, 3)); got != 11 {
			t.Errorf("a new walk lists %d players, want 11", got)
		}
	})
}

// A player deleted during a walk, after it was listed, and back with a
// lower score is not listed again; players that join during a walk are left
// out of it, players that did not change are listed once.
func TestWalkLeavesOutDeletedAndBackPlayers(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		s := newStore(t, rdb, Config{})
		for _, p := range Periods {
			board := "del" + string(p)
			w := WindowAt(p, lastMilli)
			for i := 0; i < 6; i++ {
				submit(t, s, board, fmt.Sprintf("p%d", i), int64(100-i), ModeSet, lastMilli) // p0=100 .. p5=95
			}
			first, err := s.Top(ctx, board, w, 2, nil) // p0 p1
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Delete(ctx, board, "p0", lastMilli); err != nil {
				t.Fatal(err)
			}
			submit(t, s, board, "p0", 50, ModeSet, lastMilli)  // back, below the cursor
			submit(t, s, board, "late", 2, ModeSet, lastMilli) // joins after the delete
			seen := map[string]int{}
			for _, e := range append(first.Entries, walkFrom(t, s, board, w, 2, first.Next)...) {
				seen[e.Player]++
			}
			want := map[string]int{"p0": 1, "p1": 1, "p2": 1, "p3": 1, "p4": 1, "p5": 1}
			if fmt.Sprint(seen) != fmt.Sprint(want) {
				t.Errorf("%s: listed %v, want %v", p, seen, want)
			}
			first, err = s.Top(ctx, board, w, 2, nil) // p1 p2
			if err != nil {
				t.Fatal(err)
			}
			submit(t, s, board, "new", 1, ModeSet, lastMilli) // joins during the walk: left out
			rest := entriesString(walkFrom(t, s, board, w, 2, first.Next))
			if want := "3:p3=97 4:p4=96 5:p5=95 6:p0=50 7:late=2 "; rest != want {
				t.Fatalf("%s: rest of a walk with a join: %s, want %s", p, rest, want)
			}
			if got := entriesString(walk(t, s, board, w, 3)); got != "1:p1=99 2:p2=98 3:p3=97 4:p4=96 5:p5=95 6:p0=50 7:late=2 8:new=1 " {
				t.Errorf("%s: a new walk lists %s", p, got)
			}
		}
	})
}

// Once a score has gone down, each window's sorted set records when
// (loweredMember, scored seq * 2^53, above every player): it is never
// listed, never counted in a rank or a position, and a new walk starts from
// exactly its seq.
func TestLoweredMemberIsNoPlayer(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		s := newStore(t, rdb, Config{})
		for i, sc := range []int64{90, 80, 80, 70, 60} { // a .. e
			submit(t, s, "x", string(rune('a'+i)), sc, ModeSet, lastMilli)
		}
		if r := submit(t, s, "x", "a", 50, ModeSet, lastMilli); r.Rank != 5 || r.PreviousRank != 1 {
			t.Fatalf("a lowered: %+v", r)
		}
		_, allPlayers, _ := s.windowKeys("x", WindowAt(PeriodAll, lastMilli))
		seq, err := rdb.HGet(ctx, allPlayers, "#seq").Int64()
		if err != nil {
			t.Fatal(err)
		}
		if r := submit(t, s, "x", "e", 1, ModeIncrement, lastMilli); r.Rank != 4 || r.PreviousRank != 4 {
			t.Fatalf("e raised: %+v", r)
		}
		const want = "1:b=80 1:c=80 3:d=70 4:e=61 5:a=50 "
		for _, p := range Periods {
			w := WindowAt(p, lastMilli)
			z, _, _ := s.windowKeys("x", w)
			if got := rdb.ZScore(ctx, z, loweredMember).Val(); got != float64(seq)*(1<<53) {
				t.Errorf("%s: %s scored %v, want the lowering's seq %d * 2^53", p, loweredMember, got, seq)
			}
			first, err := s.Top(ctx, "x", w, 2, nil)
			if err != nil || first.Next == nil || first.Next.Walk != seq || entriesString(first.Entries) != "1:b=80 1:c=80 " {
				t.Fatalf("%s: first page %s, next %+v, %v", p, entriesString(first.Entries), first.Next, err)
			}
			for _, limit := range []int{1, 2, 3, 4, 5, 10} {
				if got := entriesString(walk(t, s, "x", w, limit)); got != want {
					t.Errorf("%s: pages of %d: %s, want %s", p, limit, got, want)
				}
			}
			for _, c := range []struct {
				player, above, below string
				n                    int
			}{
				{"b", "", "1:c=80 3:d=70 ", 2},
				{"c", "1:b=80 ", "3:d=70 ", 1},
				{"a", "3:d=70 4:e=61 ", "", 2},
			} {
				st, err := s.Around(ctx, "x", c.player, w, c.n)
				if err != nil {
					t.Fatal(err)
				}
				if got := entriesString(st.Above) + "|" + entriesString(st.Below); got != c.above+"|"+c.below {
					t.Errorf("%s: around %s: %s, want %s|%s", p, c.player, got, c.above, c.below)
				}
			}
		}
	})
}

// Walking every page while other clients change scores (up and down, every
// mode) never lists a player twice on one walk, lists every player that
// did not change during the walk, and keeps each page in order.
func TestWalkUnderConcurrentChanges(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		s := newStore(t, rdb, Config{})
		w := WindowAt(PeriodAll, lastMilli)
		const players = 300
		name := func(i int) string { return fmt.Sprintf("u%03d", i) }
		for i := 0; i < players; i++ {
			submit(t, s, "c", name(i), int64(rand.IntN(50)), ModeSet, lastMilli)
		}
		var (
			stop     atomic.Bool
			mu       sync.Mutex
			touched  map[string]bool    // players a writer changed during the current walk
			inflight = map[string]int{} // players being written now
			writes   atomic.Int64
			wg       sync.WaitGroup
			failed   atomic.Value
		)
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for !stop.Load() {
					p := name(rand.IntN(players))
					mu.Lock()
					if touched != nil {
						touched[p] = true // before the write, so a walk never misses it
					}
					inflight[p]++
					mu.Unlock()
					sub := Submission{Board: "c", Player: p, At: lastMilli}
					switch rand.IntN(4) {
					case 0:
						sub.Mode, sub.Score = ModeIncrement, int64(rand.IntN(20)-10)
					case 1:
						sub.Mode, sub.Score = ModeSet, int64(rand.IntN(60))
					case 2:
						sub.Mode, sub.Score = ModeBest, int64(rand.IntN(60))
					default:
						sub.Mode, sub.Score = ModeIncrement, 1
					}
					_, err := s.Submit(ctx, sub)
					mu.Lock()
					inflight[p]--
					mu.Unlock()
					if err != nil {
						failed.CompareAndSwap(nil, err)
						return
					}
					writes.Add(1)
				}
			}()
		}
		defer func() {
			stop.Store(true)
			wg.Wait()
		}()
		for round := 0; round < 20; round++ {
			mu.Lock()
			touched = map[string]bool{}
			for p, n := range inflight { // writes begun before the walk may land during it
				if n > 0 {
					touched[p] = true
				}
			}
			mu.Unlock()
			seen := map[string]int{}
			var after *Cursor
			for {
				limit := 1 + rand.IntN(15)
				p, err := s.Top(ctx, "c", w, limit, after)
				if err != nil {
					t.Fatal(err)
				}
				for i, e := range p.Entries {
					seen[e.Player]++
					if seen[e.Player] > 1 {
						t.Fatalf("round %d: %s listed twice on one walk", round, e.Player)
					}
					if i > 0 && (p.Entries[i-1].Score < e.Score || p.Entries[i-1].Rank > e.Rank) {
						t.Fatalf("round %d: page out of order: %s", round, entriesString(p.Entries))
					}
				}
				if p.Next == nil {
					break
				}
				after = p.Next
			}
			mu.Lock()
			for i := 0; i < players; i++ {
				if !touched[name(i)] && seen[name(i)] != 1 {
					t.Errorf("round %d: %s did not change during the walk but was listed %d times", round, name(i), seen[name(i)])
				}
			}
			mu.Unlock()
		}
		if err, _ := failed.Load().(error); err != nil {
			t.Fatal(err)
		}
		if writes.Load() == 0 {
			t.Fatal("no writes happened during the walks")
		}
		t.Logf("%d writes during 20 walks", writes.Load())
	})
}
