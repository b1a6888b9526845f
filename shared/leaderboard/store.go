package leaderboard

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/lambdis/lambdis/shared/keys"
	"github.com/redis/go-redis/v9"
)

// Module is the key module of leaderboards: <prefix>:lb:{<board>}:<window>.
const Module = "lb"

// Retention bounds: how long a day or week window stays readable after it
// ends.
const (
	DefaultRetention = 14 * 24 * time.Hour
	// MinRetention keeps a window alive past its end for writes whose
	// request time is just before the end but which reach Redis after it.
	MinRetention = time.Hour
	MaxRetention = 90 * 24 * time.Hour
)

// Config tunes a Store; zero fields take their defaults.
type Config struct {
	// Retention is how long a day or week window stays readable after it
	// ends (DefaultRetention; MinRetention to MaxRetention). Its keys expire
	// then on their own: no sweeper is needed.
	Retention time.Duration
	// Now is the clock an operation uses when it is given no time
	// (time.Now). Only the choice of the day and week windows depends on
	// it; the tie-break order comes from Redis.
	Now func() time.Time
}

// client is what the store needs of a Redis client; redis.UniversalClient
// has it.
type client interface {
	redis.Scripter
	ZRevRangeWithScores(ctx context.Context, key string, start, stop int64) *redis.ZSliceCmd
}

// Store keeps leaderboards: every operation is one command (a script call,
// or for the first page of a walk one ZREVRANGE) over keys that share the
// board's hash tag.
type Store struct {
	rdb  client
	keys keys.Builder
	cfg  Config
}

// NewStore returns a Store that keeps its keys under kb's prefix.
func NewStore(rdb client, kb keys.Builder, cfg Config) (*Store, error) {
	if cfg.Retention == 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.Retention < MinRetention || cfg.Retention > MaxRetention {
		return nil, fmt.Errorf("leaderboard: retention %v: must be from %v to %v", cfg.Retention, MinRetention, MaxRetention)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Store{rdb: rdb, keys: kb, cfg: cfg}, nil
}

// Config returns the store's effective configuration.
func (s *Store) Config() Config { return s.cfg }

// windowKeys returns the sorted set and the players hash of a window:
// <prefix>:lb:{<board>}:all (or :d:<date>, :w:<week>) and that plus
// ":players".
func (s *Store) windowKeys(board string, w Window) (zset, players string, err error) {
	if zset, err = s.keys.Key(Module, board, w.suffix()); err != nil {
		return "", "", err
	}
	return zset, zset + ":players", nil
}

// loweredMember is the sorted-set member that records when a score on the
// window last went down: scored seq * 2^53, above every player (see
// lib.lua).
const loweredMember = "#lowered"

func (s *Store) at(t time.Time) time.Time {
	if t.IsZero() {
		return s.cfg.Now()
	}
	return t
}

// Submission is one score for one player of one board.
type Submission struct {
	Board, Player string
	Score         int64
	Mode          Mode
	// At is the request's time; it picks the day and week windows. Zero
	// means the store's clock.
	At time.Time
}

// Result is the player's standing on the all-time board after a Submit.
type Result struct {
	Player string
	Score  int64
	Rank   int64
	// PreviousRank is the rank before the submission, 0 when the player
	// was not on the board.
	PreviousRank int64
	// Windows are the windows the submission applied to: all-time, the
	// day and the ISO week of At.
	Windows []Window
}

// Submit applies one score to the all-time, daily and weekly windows of a
// board atomically, in one script call, and returns the all-time standing.
// Each window applies the mode on its own. If any window's new score would
// be beyond MaxScore, nothing is written and the error wraps ErrScoreRange.
func (s *Store) Submit(ctx context.Context, sub Submission) (Result, error) {
	if err := ValidateBoard(sub.Board); err != nil {
		return Result{}, err
	}
	if err := ValidatePlayer(sub.Player); err != nil {
		return Result{}, err
	}
	if err := ValidateScore(sub.Score); err != nil {
		return Result{}, err
	}
	if _, err := ParseMode(string(sub.Mode)); err != nil {
		return Result{}, err
	}
	at := s.at(sub.At)
	ks := make([]string, 0, 2*len(Periods))
	args := []any{sub.Player, string(sub.Mode), sub.Score, MaxScore}
	windows := make([]Window, len(Periods))
	for i, p := range Periods {
		w := WindowAt(p, at)
		z, h, err := s.windowKeys(sub.Board, w)
		if err != nil {
			return Result{}, fmt.Errorf("leaderboard: submit: %w", err)
		}
		windows[i] = w
		ks = append(ks, z, h)
	}
	for _, w := range windows {
		var ms int64
		if exp := w.ExpireAt(s.cfg.Retention); !exp.IsZero() {
			ms = exp.UnixMilli()
		}
		args = append(args, ms)
	}
	reply, err := submitScript.Run(ctx, s.rdb, ks, args...).Int64Slice()
	if err != nil {
		return Result{}, fmt.Errorf("leaderboard: submit to %s: %w", sub.Board, err)
	}
	switch {
	case len(reply) == 2 && reply[0] == 1 && reply[1] >= 1 && int(reply[1]) <= len(windows):
		w := windows[reply[1]-1]
		return Result{}, fmt.Errorf("leaderboard: submit to %s: the %s score (%s) would pass ±%d: %w", sub.Board, w.Period, w.ID, MaxScore, ErrScoreRange)
	case len(reply) != 4 || reply[0] != 0:
		return Result{}, fmt.Errorf("leaderboard: submit to %s: unexpected reply %v", sub.Board, reply)
	}
	r := Result{Player: sub.Player, Score: reply[1], Rank: reply[2], Windows: windows}
	if reply[3] > 0 {
		r.PreviousRank = reply[3]
	}
	return r, nil
}

// Entry is one player's place on a window.
type Entry struct {
	// Rank is the competition rank ("1, 2, 2, 4"): one more than the number
	// of players with a higher score. Among equal scores, the player who
	// reached the score first is listed first.
	Rank   int64
	Player string
	Score  int64
}

// Page is one page of a walk over a window, best first.
type Page struct {
	Window  Window
	Entries []Entry
	// Next continues the walk; nil when there is nothing after Entries.
	Next *Cursor
}

// Top returns up to limit (1 to MaxLimit) entries of the board's window w,
// best first: from the top when after is nil (one ZREVRANGE), else right
// after the cursor (one script call), which must come from a page of the
// same board and window.
func (s *Store) Top(ctx context.Context, board string, w Window, limit int, after *Cursor) (Page, error) {
	if err := ValidateBoard(board); err != nil {
		return Page{}, err
	}
	if limit < 1 || limit > MaxLimit {
		return Page{}, fmt.Errorf("leaderboard: limit %d: %w: must be from 1 to %d", limit, ErrInvalid, MaxLimit)
	}
	if after != nil && (after.Board != board || after.Window.Period != w.Period || after.Window.ID != w.ID) {
		return Page{}, fmt.Errorf("leaderboard: cursor: %w: it belongs to another board or window", ErrInvalid)
	}
	z, h, err := s.windowKeys(board, w)
	if err != nil {
		return Page{}, fmt.Errorf("leaderboard: top: %w", err)
	}
	var (
		p    = Page{Window: w}
		last string // the sorted-set member of the last entry
		more bool
		walk int64
	)
	if after == nil {
		p.Entries, last, more, walk, err = s.firstPage(ctx, z, limit)
	} else {
		walk = after.Walk
		p.Entries, last, more, err = s.nextPage(ctx, z, h, limit, after)
	}
	if err != nil {
		return Page{}, fmt.Errorf("leaderboard: top of %s: %w", board, err)
	}
	if more && len(p.Entries) > 0 {
		p.Next = &Cursor{Board: board, Window: w, Walk: walk, Score: p.Entries[len(p.Entries)-1].Score, Member: last}
	}
	return p, nil
}

// firstPage reads the top of the window with one ZREVRANGE: the window's
// latest lowering (loweredMember, when a score on it has gone down), then
// limit+1 players. The walk's seq is that lowering's, 0 without one: every
// lowering the page misses comes later, with a larger seq, and the walk's
// filter sees it. The ranks follow from the positions of the one atomic
// read.
func (s *Store) firstPage(ctx context.Context, z string, limit int) ([]Entry, string, bool, int64, error) {
	zs, err := s.rdb.ZRevRangeWithScores(ctx, z, 0, int64(limit)+1).Result()
	if err != nil {
		return nil, "", false, 0, err
	}
	var walk int64
	if len(zs) > 0 && zs[0].Member == loweredMember {
		seq := zs[0].Score / (1 << 53)
		if seq != math.Trunc(seq) || seq < 1 || seq > float64(MaxScore) {
			return nil, "", false, 0, fmt.Errorf("malformed %s score %v", loweredMember, zs[0].Score)
		}
		walk, zs = int64(seq), zs[1:]
	}
	more := len(zs) > limit
	zs = zs[:min(len(zs), limit)]
	entries := make([]Entry, len(zs))
	var m string
	for i, z := range zs {
		var ok bool
		m, ok = z.Member.(string)
		if !ok || len(m) <= prefixLen || z.Score != math.Trunc(z.Score) || math.Abs(z.Score) > float64(MaxScore) {
			return nil, "", false, 0, fmt.Errorf("malformed entry %v", z)
		}
		e := Entry{Rank: int64(i) + 1, Player: m[prefixLen:], Score: int64(z.Score)}
		if i > 0 && e.Score == entries[i-1].Score {
			e.Rank = entries[i-1].Rank
		}
		entries[i] = e
	}
	return entries, m, more, walk, nil
}

// nextPage runs the top script after the cursor.
func (s *Store) nextPage(ctx context.Context, z, h string, limit int, after *Cursor) ([]Entry, string, bool, error) {
	reply, err := topScript.RunRO(ctx, s.rdb, []string{z, h}, limit, after.Walk, after.Score, after.Member).Slice()
	if err != nil {
		return nil, "", false, err
	}
	if len(reply) < 1 || (len(reply)-1)%3 != 0 {
		return nil, "", false, fmt.Errorf("reply of %d values", len(reply))
	}
	more, ok := reply[0].(int64)
	if !ok {
		return nil, "", false, fmt.Errorf("unexpected reply %v", reply[0])
	}
	entries, last, err := parseEntries(reply[1:])
	return entries, last, more == 1, err
}

// Standing is a player's place on a window and its neighbours.
type Standing struct {
	Window Window
	Entry
	// Above are the players placed just above, best first; Below the
	// players just below, nearest first. Each has at most the neighbours
	// asked for: fewer at the edges of the board.
	Above, Below []Entry
}

// Around returns the player's standing on the board's window w with up to
// n (0 to MaxAround) neighbours on each side. A player not on the window is
// ErrNotFound.
func (s *Store) Around(ctx context.Context, board, player string, w Window, n int) (Standing, error) {
	if err := ValidateBoard(board); err != nil {
		return Standing{}, err
	}
	if err := ValidatePlayer(player); err != nil {
		return Standing{}, err
	}
	if n < 0 || n > MaxAround {
		return Standing{}, fmt.Errorf("leaderboard: around %d: %w: must be from 0 to %d", n, ErrInvalid, MaxAround)
	}
	z, h, err := s.windowKeys(board, w)
	if err != nil {
		return Standing{}, fmt.Errorf("leaderboard: around: %w", err)
	}
	reply, err := aroundScript.RunRO(ctx, s.rdb, []string{z, h}, player, n).Slice()
	if err != nil {
		return Standing{}, fmt.Errorf("leaderboard: around %s on %s: %w", player, board, err)
	}
	if len(reply) == 1 {
		if v, _ := reply[0].(int64); v == -1 {
			return Standing{}, fmt.Errorf("leaderboard: %s on %s (%s %s): %w", player, board, w.Period, w.ID, ErrNotFound)
		}
	}
	if len(reply) < 5 || (len(reply)-2)%3 != 0 {
		return Standing{}, fmt.Errorf("leaderboard: around %s on %s: reply of %d values", player, board, len(reply))
	}
	pos, ok1 := reply[0].(int64)
	lo, ok2 := reply[1].(int64)
	entries, _, err := parseEntries(reply[2:])
	if err != nil || !ok1 || !ok2 || pos < lo || pos-lo >= int64(len(entries)) {
		return Standing{}, fmt.Errorf("leaderboard: around %s on %s: unexpected reply %v (%v)", player, board, reply, err)
	}
	i := int(pos - lo)
	if entries[i].Player != player {
		return Standing{}, fmt.Errorf("leaderboard: around %s on %s: the reply names %s", player, board, entries[i].Player)
	}
	st := Standing{Window: w, Entry: entries[i], Above: entries[:i:i], Below: entries[i+1:]}
	if len(st.Below) == 0 {
		st.Below = nil
	}
	if len(st.Above) == 0 {
		st.Above = nil
	}
	return st, nil
}

// deleteWindows are the windows whose keys may still exist at t under any
// retention the store accepts: every day and week from MaxRetention before
// t to a day after it (request times and Redis may disagree a little).
func deleteWindows(t time.Time) []Window {
	ws := []Window{WindowAt(PeriodAll, t)}
	for d := WindowAt(PeriodDay, t.Add(-MaxRetention-24*time.Hour)); !d.Start.After(t.Add(24 * time.Hour)); d = WindowAt(PeriodDay, d.End) {
		ws = append(ws, d)
	}
	for wk := WindowAt(PeriodWeek, t.Add(-MaxRetention-7*24*time.Hour)); !wk.Start.After(t.Add(24 * time.Hour)); wk = WindowAt(PeriodWeek, wk.End) {
		ws = append(ws, wk)
	}
	return ws
}

// Delete removes the player from every window of the board that can still
// exist at at (the request's time; zero means the store's clock): all time
// and every day and week within MaxRetention, whatever the retention was
// when they were written. It returns the windows the player was on; a
// player on none is ErrNotFound.
func (s *Store) Delete(ctx context.Context, board, player string, at time.Time) ([]Window, error) {
	if err := ValidateBoard(board); err != nil {
		return nil, err
	}
	if err := ValidatePlayer(player); err != nil {
		return nil, err
	}
	ws := deleteWindows(s.at(at))
	ks := make([]string, 0, 2*len(ws))
	for _, w := range ws {
		z, h, err := s.windowKeys(board, w)
		if err != nil {
			return nil, fmt.Errorf("leaderboard: delete: %w", err)
		}
		ks = append(ks, z, h)
	}
	reply, err := deleteScript.Run(ctx, s.rdb, ks, player).Int64Slice()
	if err != nil {
		return nil, fmt.Errorf("leaderboard: delete %s from %s: %w", player, board, err)
	}
	if len(reply) == 0 {
		return nil, fmt.Errorf("leaderboard: %s on %s: %w", player, board, ErrNotFound)
	}
	out := make([]Window, 0, len(reply))
	for _, i := range reply {
		if i < 1 || int(i) > len(ws) {
			return nil, fmt.Errorf("leaderboard: delete %s from %s: unexpected reply %v", player, board, reply)
		}
		out = append(out, ws[i-1])
	}
	return out, nil
}

// parseEntries decodes member, score, rank triples; it also returns the
// last entry's member.
func parseEntries(vals []any) ([]Entry, string, error) {
	entries := make([]Entry, 0, len(vals)/3)
	var last string
	for i := 0; i+2 < len(vals); i += 3 {
		m, ok1 := vals[i].(string)
		sc, ok2 := vals[i+1].(string)
		rank, ok3 := vals[i+2].(int64)
		if !ok1 || !ok2 || !ok3 || len(m) <= prefixLen {
			return nil, "", fmt.Errorf("malformed entry %v %v %v", vals[i], vals[i+1], vals[i+2])
		}
		score, err := parseScore(sc)
		if err != nil {
			return nil, "", err
		}
		entries = append(entries, Entry{Rank: rank, Player: m[prefixLen:], Score: score})
		last = m
	}
	return entries, last, nil
}

// parseScore reads a sorted-set score reply ("42", or "1e+15" from servers
// that print the shortest form) back into the integer it is.
func parseScore(s string) (int64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > float64(MaxScore) {
		return 0, errors.New("score " + strconv.Quote(s) + " is not an integer within range")
	}
	return int64(f), nil
}
