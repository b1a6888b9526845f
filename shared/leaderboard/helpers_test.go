package leaderboard

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/keys"
	"github.com/redis/go-redis/v9"
)

// Times of the tests are far in the future, so that the windows they write
// are not expired at once by Redis's real clock.
var (
	lastMilli = time.Date(2099, 12, 31, 23, 59, 59, 999e6, time.UTC) // Thursday of 2099-W53
	newYear   = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)          // Friday, still 2099-W53
)

func newStore(t testing.TB, rdb redis.UniversalClient, cfg Config) *Store {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return lastMilli }
	}
	s, err := NewStore(rdb, keys.Builder{}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func submit(t testing.TB, s *Store, board, player string, score int64, mode Mode, at time.Time) Result {
	t.Helper()
	r, err := s.Submit(context.Background(), Submission{Board: board, Player: player, Score: score, Mode: mode, At: at})
	if err != nil {
		t.Fatalf("submit %s %d %s: %v", player, score, mode, err)
	}
	return r
}

// walk reads every page of a window and returns the entries in order.
func walk(t testing.TB, s *Store, board string, w Window, limit int) []Entry {
	t.Helper()
	return walkFrom(t, s, board, w, limit, nil)
}

// walkFrom reads every page of a window after the cursor after (from the
// top when nil) and returns the entries in order.
func walkFrom(t testing.TB, s *Store, board string, w Window, limit int, after *Cursor) []Entry {
	t.Helper()
	var out []Entry
	for pages := 0; ; pages++ {
		if pages > 10000 {
			t.Fatal("walk does not end")
		}
		p, err := s.Top(context.Background(), board, w, limit, after)
		if err != nil {
			t.Fatalf("top: %v", err)
		}
		out = append(out, p.Entries...)
		if p.Next == nil {
			return out
		}
		c, err := ParseCursor(p.Next.String())
		if err != nil {
			t.Fatalf("cursor %q does not parse: %v", p.Next.String(), err)
		}
		after = &c
	}
}

func entriesString(es []Entry) string {
	s := ""
	for _, e := range es {
		s += fmt.Sprintf("%d:%s=%d ", e.Rank, e.Player, e.Score)
	}
	return s
}

// roundTrips counts the round trips (n) and the commands (cmds) a client
// sends.
type roundTrips struct{ n, cmds atomic.Int64 }

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		switch cmd.Name() {
		case "hello", "client", "cluster", "command", "ping":
		default:
			r.n.Add(1)
			r.cmds.Add(1)
		}
		return next(ctx, cmd)
	}
}

func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		r.n.Add(1) // one round trip
		r.cmds.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}
