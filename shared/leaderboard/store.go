package leaderboard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
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
	HMGet(ctx context.Context, key string, fields ...string) *redis.SliceCmd
	Pipelined(ctx context.Context, fn func(redis.Pipeliner) error) ([]redis.Cmder, error)
}

// Store keeps leaderboards: every operation is one command (a script call,
// or for the first page of a walk one ZREVRANGE) over keys that share the
// board's hash tag.
type Store struct {
	rdb  client
	keys keys.Builder
	cfg  Config

	mu      sync.Mutex
	windows map[string]cachedWindows // see WindowsCacheTTL
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
	// At is the request's time; it picks the day, week and month windows.
	// Zero means the store's clock.
	At time.Time
	// Data, when not empty, replaces the player's data on the board: a JSON
	// object of at most MaxDataLen bytes (see ValidateData).
	Data json.RawMessage
}

// Result is the player's standing on the board's first declared window
// (all-time by default) after a Submit.
type Result struct {
	Player string
	Score  int64
	Rank   int64
	// PreviousRank is the rank before the submission, 0 when the player
	// was not on the board.
	PreviousRank int64
	// Window is the window Score and Rank are on: the first the board
	// declares.
	Window Window
	// Windows are the windows the submission applied to: those the board
	// declares (all-time, the day and the ISO week of At by default).
	Windows []Window
}

// Submit applies one score to every window the board declares (all-time,
// day and ISO week by default) atomically, in one script call that also
// reads the board's settings, and returns the standing on the first
// declared window. Each window applies the mode on its own. If any window's
// new score would be beyond MaxScore, nothing is written and the error wraps
// ErrScoreRange; a mode the board does not accept is ErrModeNotAccepted.
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
	data, err := CompactData(sub.Data)
	if err != nil {
		return Result{}, err
	}
	at := s.at(sub.At)
	windows := s.cachedWindows(sub.Board)
	for try := 0; ; try++ {
		r, actual, err := s.submit(ctx, sub, data, at, windows)
		if err != nil || actual == nil {
			return r, err
		}
		// the board's windows are not the cached ones: nothing was written;
		// again with the board's own (a change of windows races at most once
		// more)
		if try == 2 {
			return Result{}, fmt.Errorf("leaderboard: submit to %s: the board's windows keep changing", sub.Board)
		}
		windows = actual
		s.cacheWindows(sub.Board, windows)
	}
}

// submit runs the submit script once over windows, the windows the board
// is believed to declare; a non-nil actual means it declares others
// (nothing was written).
func (s *Store) submit(ctx context.Context, sub Submission, data string, at time.Time, windows []Period) (r Result, actual []Period, err error) {
	sk, err := s.settingsKey(sub.Board)
	if err != nil {
		return Result{}, nil, fmt.Errorf("leaderboard: submit: %w", err)
	}
	ks := make([]string, 0, 2+2*len(windows))
	ks = append(ks, sk)
	args := make([]any, 0, 5+len(windows))
	args = append(args, sub.Player, string(sub.Mode), sub.Score, joinNames(windows))
	ws := make([]Window, len(windows))
	for i, p := range windows {
		w := WindowAt(p, at)
		z, h, err := s.windowKeys(sub.Board, w)
		if err != nil {
			return Result{}, nil, fmt.Errorf("leaderboard: submit: %w", err)
		}
		ws[i] = w
		ks = append(ks, z, h)
		var ms int64 // 0: no expiry (the script sends no PEXPIREAT)
		if exp := w.ExpireAt(s.cfg.Retention); !exp.IsZero() {
			ms = max(exp.UnixMilli(), 1) // a window of a time before 1970 expires at once, as any past one
		}
		args = append(args, ms)
	}
	if data != "" {
		dk, err := s.dataKey(sub.Board)
		if err != nil {
			return Result{}, nil, fmt.Errorf("leaderboard: submit: %w", err)
		}
		ks = append(ks, dk)
		args = append(args, data)
	}
	reply, err := submitScript.Run(ctx, s.rdb, ks, args...).Slice()
	if err != nil {
		return Result{}, nil, fmt.Errorf("leaderboard: submit to %s: %w", sub.Board, err)
	}
	nums := make([]int64, len(reply))
	for i, v := range reply {
		nums[i], _ = v.(int64)
	}
	switch {
	case len(reply) == 2 && nums[0] == 3:
		str, _ := reply[1].(string)
		st, err := (Settings{Order: OrderDesc, Ties: TiesEarliest, Windows: splitPeriods(str), Modes: []Mode{ModeBest}}).Normalize()
		if err != nil || joinNames(st.Windows) != str {
			return Result{}, nil, fmt.Errorf("leaderboard: submit to %s: malformed windows %q", sub.Board, str)
		}
		return Result{}, st.Windows, nil
	case len(reply) == 2 && nums[0] == 1 && nums[1] >= 1 && int(nums[1]) <= len(ws):
		w := ws[nums[1]-1]
		return Result{}, nil, fmt.Errorf("leaderboard: submit to %s: the %s score (%s) would pass ±%d: %w", sub.Board, w.Period, w.ID, MaxScore, ErrScoreRange)
	case len(reply) == 1 && nums[0] == 2:
		return Result{}, nil, fmt.Errorf("leaderboard: submit to %s: mode %s: %w", sub.Board, sub.Mode, ErrModeNotAccepted)
	case len(reply) != 4 || nums[0] != 0:
		return Result{}, nil, fmt.Errorf("leaderboard: submit to %s: unexpected reply %v", sub.Board, reply)
	}
	r = Result{Player: sub.Player, Score: nums[1], Rank: nums[2], Window: ws[0], Windows: ws}
	if nums[3] > 0 {
		r.PreviousRank = nums[3]
	}
	return r, nil, nil
}

func splitPeriods(s string) []Period {
	var out []Period
	for _, p := range strings.Split(s, ",") {
		out = append(out, Period(p))
	}
	return out
}

// WindowsCacheTTL is how long a Store trusts the windows it last saw a
// board declare when it builds a submission's keys. The script checks them
// against the settings it reads in the same call and, when they differ,
// writes nothing and answers the board's own windows, which the store then
// uses (one more round trip): a stale cache costs a retry, never a wrong
// write.
const WindowsCacheTTL = 10 * time.Second

// maxCachedBoards bounds the windows cache; past it, it starts afresh.
const maxCachedBoards = 4096

type cachedWindows struct {
	windows []Period
	at      time.Time
}

func (s *Store) cachedWindows(board string) []Period {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.windows[board]; ok && time.Since(c.at) < WindowsCacheTTL {
		return c.windows
	}
	return Periods
}

func (s *Store) cacheWindows(board string, ws []Period) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.windows == nil || len(s.windows) >= maxCachedBoards {
		s.windows = map[string]cachedWindows{}
	}
	s.windows[board] = cachedWindows{windows: ws, at: time.Now()}
}

// Entry is one player's place on a window.
type Entry struct {
	// Rank is the competition rank ("1, 2, 2, 4"): one more than the number
	// of players with a better score. Among equal scores, the player who
	// reached the score first is listed first (ties=earliest) or the
	// players are listed by id (ties=none).
	Rank   int64
	Player string
	Score  int64
	// Data is the player's data when asked for (WithData) and stored.
	Data json.RawMessage
}

// Page is one page of a walk over a window, best first.
type Page struct {
	Window  Window
	Entries []Entry
	// Total is the number of players on the window, read with the page.
	Total int64
	// Next continues the walk; nil when there is nothing after Entries.
	Next *Cursor
}

// ReadOption changes what a read returns.
type ReadOption func(*readOptions)

type readOptions struct {
	withData bool
	fromRank int64
}

// WithData returns each entry's player data.
func WithData() ReadOption { return func(o *readOptions) { o.withData = true } }

// FromRank starts a page (without a cursor) at the n-th place, n from 1:
// the n-th player listed, whose rank is n or, tied with players above it,
// less.
func FromRank(n int64) ReadOption { return func(o *readOptions) { o.fromRank = n } }

func readOpts(opts []ReadOption) readOptions {
	var o readOptions
	for _, f := range opts {
		f(&o)
	}
	return o
}

// Top returns up to limit (1 to MaxLimit) entries of the board's window w,
// best first, and the number of players on it: from the top when after is
// nil (one pipeline of ZREVRANGE and ZCARD; one script call WithData or
// FromRank), else right after the cursor (one script call), which must come
// from a page of the same board and window.
func (s *Store) Top(ctx context.Context, board string, w Window, limit int, after *Cursor, opts ...ReadOption) (Page, error) {
	o := readOpts(opts)
	if err := ValidateBoard(board); err != nil {
		return Page{}, err
	}
	if limit < 1 || limit > MaxLimit {
		return Page{}, fmt.Errorf("leaderboard: limit %d: %w: must be from 1 to %d", limit, ErrInvalid, MaxLimit)
	}
	if o.fromRank < 0 || o.fromRank > MaxFromRank || (o.fromRank > 0 && after != nil) {
		return Page{}, fmt.Errorf("leaderboard: from rank %d: %w: must be from 1 to %d, without a cursor", o.fromRank, ErrInvalid, MaxFromRank)
	}
	if after != nil && (after.Board != board || after.Window.Period != w.Period || after.Window.ID != w.ID) {
		return Page{}, fmt.Errorf("leaderboard: cursor: %w: it belongs to another board or window", ErrInvalid)
	}
	z, h, err := s.windowKeys(board, w)
	if err != nil {
		return Page{}, fmt.Errorf("leaderboard: top: %w", err)
	}
	dk, err := s.dataKey(board)
	if err != nil {
		return Page{}, fmt.Errorf("leaderboard: top: %w", err)
	}
	var (
		p    = Page{Window: w}
		last string // the sorted-set member of the last entry
		more bool
		walk int64
		lay  layout
	)
	switch {
	case after != nil:
		walk = after.Walk
		p.Entries, p.Total, last, more, lay, err = s.nextPage(ctx, z, h, dk, limit, after, o.withData)
	case o.fromRank > 0 || o.withData:
		from := max(o.fromRank, 1) - 1
		p.Entries, p.Total, last, more, walk, lay, err = s.rangePage(ctx, z, dk, from, limit, o.withData)
	default:
		p.Entries, p.Total, last, more, walk, lay, err = s.firstPage(ctx, z, limit)
	}
	if err != nil {
		return Page{}, fmt.Errorf("leaderboard: top of %s: %w", board, err)
	}
	if more && len(p.Entries) > 0 {
		p.Next = &Cursor{Board: board, Window: w, Walk: walk, Score: lay.stored(p.Entries[len(p.Entries)-1].Score), Member: last, NoTies: lay.none}
	}
	return p, nil
}

// layout is how a window stores its players, told by the name of its
// lowered member (see lib.lua): asc boards store the negated score, boards
// without a tie-break store the player id as the member.
type layout struct{ asc, none bool }

func parseLayout(name string) (layout, error) {
	switch name {
	case loweredMember:
		return layout{}, nil
	case loweredMember + ":asc":
		return layout{asc: true}, nil
	case loweredMember + ":none":
		return layout{none: true}, nil
	case loweredMember + ":asc:none":
		return layout{asc: true, none: true}, nil
	}
	return layout{}, fmt.Errorf("unknown layout %q", name)
}

// stored is the sorted-set score of a score.
func (l layout) stored(score int64) int64 {
	if l.asc {
		return -score
	}
	return score
}

// player returns the player of a sorted-set member.
func (l layout) player(m string) (string, bool) {
	if l.none {
		return m, m != ""
	}
	if len(m) <= prefixLen {
		return "", false
	}
	return m[prefixLen:], true
}

// firstPage reads the top of the window with one pipeline: ZREVRANGE of
// the window's latest lowering (loweredMember, when a score on it has gone
// down; its name tells the layout) then limit+1 players, and ZCARD. The
// walk's seq is that lowering's, 0 without one: every lowering the page
// misses comes later, with a larger seq, and the walk's filter sees it.
// The ranks follow from the positions of the one atomic read.
func (s *Store) firstPage(ctx context.Context, z string, limit int) ([]Entry, int64, string, bool, int64, layout, error) {
	var rng *redis.ZSliceCmd
	var card *redis.IntCmd
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		rng = p.ZRevRangeWithScores(ctx, z, 0, int64(limit)+1)
		card = p.ZCard(ctx, z)
		return nil
	}); err != nil {
		return nil, 0, "", false, 0, layout{}, err
	}
	zs := rng.Val()
	var (
		walk int64
		lay  layout
		off  int64
	)
	if len(zs) > 0 {
		if name, _ := zs[0].Member.(string); strings.HasPrefix(name, loweredMember) {
			seq := zs[0].Score / (1 << 53)
			if seq != math.Trunc(seq) || seq < 1 || seq > float64(MaxScore) {
				return nil, 0, "", false, 0, layout{}, fmt.Errorf("malformed %s score %v", name, zs[0].Score)
			}
			var err error
			if lay, err = parseLayout(name); err != nil {
				return nil, 0, "", false, 0, layout{}, err
			}
			walk, zs, off = int64(seq), zs[1:], 1
		}
	}
	more := len(zs) > limit
	zs = zs[:min(len(zs), limit)]
	entries := make([]Entry, len(zs))
	var m string
	for i, z := range zs {
		var ok bool
		m, ok = z.Member.(string)
		player, ok2 := lay.player(m)
		if !ok || !ok2 || z.Score != math.Trunc(z.Score) || math.Abs(z.Score) > float64(MaxScore) {
			return nil, 0, "", false, 0, layout{}, fmt.Errorf("malformed entry %v", z)
		}
		e := Entry{Rank: int64(i) + 1, Player: player, Score: lay.stored(int64(z.Score))}
		if i > 0 && e.Score == entries[i-1].Score {
			e.Rank = entries[i-1].Rank
		}
		entries[i] = e
	}
	return entries, max(card.Val()-off, 0), m, more, walk, lay, nil
}

// rangePage runs the range script: a page from the 0-based place from.
func (s *Store) rangePage(ctx context.Context, z, dk string, from int64, limit int, withData bool) ([]Entry, int64, string, bool, int64, layout, error) {
	reply, err := rangeScript.RunRO(ctx, s.rdb, []string{z, dk}, from, limit, flag(withData)).Slice()
	if err != nil {
		return nil, 0, "", false, 0, layout{}, err
	}
	if len(reply) < 4 || (len(reply)-4)%4 != 0 {
		return nil, 0, "", false, 0, layout{}, fmt.Errorf("reply of %d values", len(reply))
	}
	more, ok1 := reply[0].(int64)
	name, ok2 := reply[1].(string)
	walkText, ok3 := reply[2].(string)
	total, ok4 := reply[3].(int64)
	walk, err := strconv.ParseInt(walkText, 10, 64)
	if !ok1 || !ok2 || !ok3 || !ok4 || err != nil {
		return nil, 0, "", false, 0, layout{}, fmt.Errorf("unexpected reply %v", reply[:4])
	}
	lay, err := parseLayout(name)
	if err != nil {
		return nil, 0, "", false, 0, layout{}, err
	}
	entries, last, err := parseEntries(reply[4:], lay)
	return entries, total, last, more == 1, walk, lay, err
}

// nextPage runs the top script after the cursor.
func (s *Store) nextPage(ctx context.Context, z, h, dk string, limit int, after *Cursor, withData bool) ([]Entry, int64, string, bool, layout, error) {
	reply, err := topScript.RunRO(ctx, s.rdb, []string{z, h, dk}, limit, after.Walk, after.Score, after.Member, flag(withData)).Slice()
	if err != nil {
		return nil, 0, "", false, layout{}, err
	}
	if len(reply) < 3 || (len(reply)-3)%4 != 0 {
		return nil, 0, "", false, layout{}, fmt.Errorf("reply of %d values", len(reply))
	}
	more, ok1 := reply[0].(int64)
	name, ok2 := reply[1].(string)
	total, ok3 := reply[2].(int64)
	if !ok1 || !ok2 || !ok3 {
		return nil, 0, "", false, layout{}, fmt.Errorf("unexpected reply %v", reply[:3])
	}
	lay, err := parseLayout(name)
	if err != nil {
		return nil, 0, "", false, layout{}, err
	}
	if len(reply) > 3 && lay.none != after.NoTies {
		return nil, 0, "", false, layout{}, fmt.Errorf("the cursor was made for another tie rule: %w", ErrInvalid)
	}
	entries, last, err := parseEntries(reply[3:], lay)
	return entries, total, last, more == 1, lay, err
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// Standing is a player's place on a window and its neighbours.
type Standing struct {
	Window Window
	Entry
	// Total is the number of players on the window and Percentile the
	// player's percentile among them (see Percentile).
	Total      int64
	Percentile float64
	// Above are the players placed just above, best first; Below the
	// players just below, nearest first. Each has at most the neighbours
	// asked for: fewer at the edges of the board.
	Above, Below []Entry
}

// Percentile is the share of a window's players that a player of rank
// rank ranks at or above, in percent: 100 × (total − rank + 1) / total,
// rounded down to two decimals. The players it ranks at or above are
// itself, the players tied with it and every player below it: the first
// is at 100, a last player alone at 100 / total (rounded down), and players
// sharing a rank share a percentile. Zero when total is 0.
func Percentile(rank, total int64) float64 {
	if total <= 0 || rank < 1 || rank > total {
		return 0
	}
	return float64((total-rank+1)*10000/total) / 100
}

// Around returns the player's standing on the board's window w with up to
// n (0 to MaxAround) neighbours on each side. A player not on the window is
// ErrNotFound.
func (s *Store) Around(ctx context.Context, board, player string, w Window, n int, opts ...ReadOption) (Standing, error) {
	o := readOpts(opts)
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
	dk, err := s.dataKey(board)
	if err != nil {
		return Standing{}, fmt.Errorf("leaderboard: around: %w", err)
	}
	reply, err := aroundScript.RunRO(ctx, s.rdb, []string{z, h, dk}, player, n, flag(o.withData)).Slice()
	if err != nil {
		return Standing{}, fmt.Errorf("leaderboard: around %s on %s: %w", player, board, err)
	}
	if len(reply) == 1 {
		if v, _ := reply[0].(int64); v == -1 {
			return Standing{}, fmt.Errorf("leaderboard: %s on %s (%s %s): %w", player, board, w.Period, w.ID, ErrNotFound)
		}
	}
	if len(reply) < 8 || (len(reply)-4)%4 != 0 {
		return Standing{}, fmt.Errorf("leaderboard: around %s on %s: reply of %d values", player, board, len(reply))
	}
	pos, ok1 := reply[0].(int64)
	lo, ok2 := reply[1].(int64)
	name, ok3 := reply[2].(string)
	total, ok4 := reply[3].(int64)
	lay, lerr := parseLayout(name)
	if lerr != nil || !ok3 || !ok4 {
		return Standing{}, fmt.Errorf("leaderboard: around %s on %s: unexpected reply %v (%v)", player, board, reply[:4], lerr)
	}
	entries, _, err := parseEntries(reply[4:], lay)
	if err != nil || !ok1 || !ok2 || pos < lo || pos-lo >= int64(len(entries)) {
		return Standing{}, fmt.Errorf("leaderboard: around %s on %s: unexpected reply %v (%v)", player, board, reply, err)
	}
	i := int(pos - lo)
	if entries[i].Player != player {
		return Standing{}, fmt.Errorf("leaderboard: around %s on %s: the reply names %s", player, board, entries[i].Player)
	}
	st := Standing{Window: w, Entry: entries[i], Total: total, Above: entries[:i:i], Below: entries[i+1:]}
	st.Percentile = Percentile(st.Rank, total)
	if len(st.Below) == 0 {
		st.Below = nil
	}
	if len(st.Above) == 0 {
		st.Above = nil
	}
	return st, nil
}

// PlayerRank is one player's answer in Ranks.
type PlayerRank struct {
	Player string
	// Found reports whether the player is on the window; Entry (but for
	// Player and Data) and Percentile are zero when it is not.
	Found bool
	Entry
	Percentile float64
}

// RankList answers Ranks.
type RankList struct {
	Window Window
	// Total is the number of players on the window.
	Total int64
	// Players are the players asked for, each once, in the order first
	// asked.
	Players []PlayerRank
}

// Ranks returns the rank and score of up to MaxRanks players (friends) on
// the board's window w in one script call, in the order asked; a player
// asked twice is answered once, at its first place.
func (s *Store) Ranks(ctx context.Context, board string, w Window, players []string, opts ...ReadOption) (RankList, error) {
	o := readOpts(opts)
	if err := ValidateBoard(board); err != nil {
		return RankList{}, err
	}
	if len(players) == 0 || len(players) > MaxRanks {
		return RankList{}, fmt.Errorf("leaderboard: ranks: %w: from 1 to %d players, not %d", ErrInvalid, MaxRanks, len(players))
	}
	var distinct []string
	seen := make(map[string]bool, len(players))
	for _, p := range players {
		if err := ValidatePlayer(p); err != nil {
			return RankList{}, err
		}
		if !seen[p] {
			seen[p] = true
			distinct = append(distinct, p)
		}
	}
	z, h, err := s.windowKeys(board, w)
	if err != nil {
		return RankList{}, fmt.Errorf("leaderboard: ranks: %w", err)
	}
	dk, err := s.dataKey(board)
	if err != nil {
		return RankList{}, fmt.Errorf("leaderboard: ranks: %w", err)
	}
	args := make([]any, 0, 1+len(distinct))
	args = append(args, flag(o.withData))
	for _, p := range distinct {
		args = append(args, p)
	}
	reply, err := ranksScript.RunRO(ctx, s.rdb, []string{z, h, dk}, args...).Slice()
	if err != nil {
		return RankList{}, fmt.Errorf("leaderboard: ranks on %s: %w", board, err)
	}
	if len(reply) != 2+3*len(distinct) {
		return RankList{}, fmt.Errorf("leaderboard: ranks on %s: reply of %d values", board, len(reply))
	}
	name, ok1 := reply[0].(string)
	total, ok2 := reply[1].(int64)
	lay, lerr := parseLayout(name)
	if !ok1 || !ok2 || lerr != nil {
		return RankList{}, fmt.Errorf("leaderboard: ranks on %s: unexpected reply %v (%v)", board, reply[:2], lerr)
	}
	out := RankList{Window: w, Total: total, Players: make([]PlayerRank, len(distinct))}
	for i, p := range distinct {
		v := reply[2+3*i : 5+3*i]
		pr := PlayerRank{Player: p, Entry: Entry{Player: p}}
		if d, ok := v[2].(string); ok {
			pr.Data = json.RawMessage(d)
		}
		if sc, ok := v[0].(string); ok {
			score, err := parseScore(sc)
			rank, ok := v[1].(int64)
			if err != nil || !ok {
				return RankList{}, fmt.Errorf("leaderboard: ranks on %s: malformed entry %v", board, v)
			}
			pr.Found, pr.Score, pr.Rank = true, lay.stored(score), rank
			pr.Percentile = Percentile(rank, total)
		}
		out.Players[i] = pr
	}
	return out, nil
}

// deleteWindows are the windows whose keys may still exist at t under any
// retention the store accepts: every day, week and month from MaxRetention
// before t to a day after it (request times and Redis may disagree a
// little).
func deleteWindows(t time.Time) []Window {
	ws := []Window{WindowAt(PeriodAll, t)}
	for d := WindowAt(PeriodDay, t.Add(-MaxRetention-24*time.Hour)); !d.Start.After(t.Add(24 * time.Hour)); d = WindowAt(PeriodDay, d.End) {
		ws = append(ws, d)
	}
	for wk := WindowAt(PeriodWeek, t.Add(-MaxRetention-7*24*time.Hour)); !wk.Start.After(t.Add(24 * time.Hour)); wk = WindowAt(PeriodWeek, wk.End) {
		ws = append(ws, wk)
	}
	for m := WindowAt(PeriodMonth, t.Add(-MaxRetention-31*24*time.Hour)); !m.Start.After(t.Add(24 * time.Hour)); m = WindowAt(PeriodMonth, m.End) {
		ws = append(ws, m)
	}
	return ws
}

// DeleteResult says what Delete removed.
type DeleteResult struct {
	// Windows are the windows the player was on.
	Windows []Window
	// Data reports whether the player had data on the board.
	Data bool
}

// Delete removes the player, and its data, from every window of the board
// that can still exist at at (the request's time; zero means the store's
// clock): all time and every day, week and month within MaxRetention,
// whatever the retention was when they were written. It returns the
// windows the player was on; a player on none, without data, is
// ErrNotFound.
func (s *Store) Delete(ctx context.Context, board, player string, at time.Time) ([]Window, error) {
	r, err := s.DeletePlayer(ctx, board, player, at)
	return r.Windows, err
}

// DeletePlayer is Delete, also reporting whether data was removed.
func (s *Store) DeletePlayer(ctx context.Context, board, player string, at time.Time) (DeleteResult, error) {
	if err := ValidateBoard(board); err != nil {
		return DeleteResult{}, err
	}
	if err := ValidatePlayer(player); err != nil {
		return DeleteResult{}, err
	}
	sk, err := s.settingsKey(board)
	if err != nil {
		return DeleteResult{}, fmt.Errorf("leaderboard: delete: %w", err)
	}
	dk, err := s.dataKey(board)
	if err != nil {
		return DeleteResult{}, fmt.Errorf("leaderboard: delete: %w", err)
	}
	ws := deleteWindows(s.at(at))
	ks := make([]string, 0, 2+2*len(ws))
	ks = append(ks, sk, dk)
	for _, w := range ws {
		z, h, err := s.windowKeys(board, w)
		if err != nil {
			return DeleteResult{}, fmt.Errorf("leaderboard: delete: %w", err)
		}
		ks = append(ks, z, h)
	}
	reply, err := deleteScript.Run(ctx, s.rdb, ks, player).Int64Slice()
	if err != nil {
		return DeleteResult{}, fmt.Errorf("leaderboard: delete %s from %s: %w", player, board, err)
	}
	if len(reply) < 1 {
		return DeleteResult{}, fmt.Errorf("leaderboard: delete %s from %s: unexpected reply %v", player, board, reply)
	}
	out := DeleteResult{Data: reply[0] == 1}
	for _, i := range reply[1:] {
		if i < 1 || int(i) > len(ws) {
			return DeleteResult{}, fmt.Errorf("leaderboard: delete %s from %s: unexpected reply %v", player, board, reply)
		}
		out.Windows = append(out.Windows, ws[i-1])
	}
	if len(out.Windows) == 0 && !out.Data {
		return DeleteResult{}, fmt.Errorf("leaderboard: %s on %s: %w", player, board, ErrNotFound)
	}
	return out, nil
}

// parseEntries decodes member, score, rank, data quadruples of a window
// with layout lay; it also returns the last entry's member.
func parseEntries(vals []any, lay layout) ([]Entry, string, error) {
	entries := make([]Entry, 0, len(vals)/4)
	var last string
	for i := 0; i+3 < len(vals); i += 4 {
		m, ok1 := vals[i].(string)
		sc, ok2 := vals[i+1].(string)
		rank, ok3 := vals[i+2].(int64)
		player, ok4 := lay.player(m)
		if !ok1 || !ok2 || !ok3 || !ok4 {
			return nil, "", fmt.Errorf("malformed entry %v %v %v", vals[i], vals[i+1], vals[i+2])
		}
		score, err := parseScore(sc)
		if err != nil {
			return nil, "", err
		}
		e := Entry{Rank: rank, Player: player, Score: lay.stored(score)}
		if d, ok := vals[i+3].(string); ok {
			e.Data = json.RawMessage(d)
		}
		entries = append(entries, e)
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
