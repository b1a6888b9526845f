package leaderboard

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Order says which score wins on a board.
type Order string

// The orders.
const (
	// OrderDesc: the highest score wins (the default).
	OrderDesc Order = "desc"
	// OrderAsc: the lowest score wins (lap times, speedruns, golf); best
	// keeps the lower score.
	OrderAsc Order = "asc"
)

// Ties says how equal scores are ordered.
type Ties string

// The tie rules.
const (
	// TiesEarliest: among equal scores, the player who reached the score
	// first is listed first (the default).
	TiesEarliest Ties = "earliest"
	// TiesNone: equal scores are listed by player id (descending byte
	// order, the order of a descending sorted-set walk); the sorted-set
	// member is the player id itself, never re-encoded, which makes a
	// submit cheaper.
	TiesNone Ties = "none"
)

// Settings are a board's declaration. A board never declared has
// DefaultSettings.
type Settings struct {
	Order Order
	// Windows are the periods a submission writes (at least one), in the
	// order of AllPeriods. The first is the one a submission answers with.
	Windows []Period
	Ties    Ties
	// Modes are the modes the board accepts (at least one).
	Modes []Mode
	// Declared reports whether the board was declared (Settings only);
	// an undeclared board has the defaults.
	Declared bool
}

// DefaultSettings are those of a board never declared: highest wins,
// all-time, day and week, earliest first, every mode.
func DefaultSettings() Settings {
	return Settings{Order: OrderDesc, Windows: slices.Clone(Periods), Ties: TiesEarliest, Modes: []Mode{ModeBest, ModeIncrement, ModeSet}}
}

// ErrConflict: the board's order or tie rule cannot change while it has
// players (their stored scores and members follow them); nothing was
// written.
var ErrConflict = errors.New("settings conflict with the board's scores")

// ParseOrder returns the Order named s.
func ParseOrder(s string) (Order, error) {
	switch o := Order(s); o {
	case OrderDesc, OrderAsc:
		return o, nil
	}
	return "", fmt.Errorf("leaderboard: order %q: %w: want desc or asc", s, ErrInvalid)
}

// ParseTies returns the Ties named s.
func ParseTies(s string) (Ties, error) {
	switch t := Ties(s); t {
	case TiesEarliest, TiesNone:
		return t, nil
	}
	return "", fmt.Errorf("leaderboard: ties %q: %w: want earliest or none", s, ErrInvalid)
}

// Normalize validates the settings and returns them with windows and modes
// in their canonical order, each once (a name given twice is invalid).
func (st Settings) Normalize() (Settings, error) {
	if _, err := ParseOrder(string(st.Order)); err != nil {
		return Settings{}, err
	}
	if _, err := ParseTies(string(st.Ties)); err != nil {
		return Settings{}, err
	}
	if len(st.Windows) == 0 {
		return Settings{}, fmt.Errorf("leaderboard: windows: %w: at least one of all, day, week, month", ErrInvalid)
	}
	if len(st.Modes) == 0 {
		return Settings{}, fmt.Errorf("leaderboard: modes: %w: at least one of best, increment, set", ErrInvalid)
	}
	out := Settings{Order: st.Order, Ties: st.Ties, Declared: st.Declared}
	for _, p := range AllPeriods {
		n := 0
		for _, w := range st.Windows {
			if _, err := ParsePeriod(string(w)); err != nil {
				return Settings{}, err
			}
			if w == p {
				n++
			}
		}
		if n > 1 {
			return Settings{}, fmt.Errorf("leaderboard: windows: %w: %s given twice", ErrInvalid, p)
		}
		if n == 1 {
			out.Windows = append(out.Windows, p)
		}
	}
	for _, m := range []Mode{ModeBest, ModeIncrement, ModeSet} {
		n := 0
		for _, x := range st.Modes {
			if _, err := ParseMode(string(x)); err != nil {
				return Settings{}, err
			}
			if x == m {
				n++
			}
		}
		if n > 1 {
			return Settings{}, fmt.Errorf("leaderboard: modes: %w: %s given twice", ErrInvalid, m)
		}
		if n == 1 {
			out.Modes = append(out.Modes, m)
		}
	}
	return out, nil
}

// Accepts reports whether the board takes submissions in mode m.
func (st Settings) Accepts(m Mode) bool { return slices.Contains(st.Modes, m) }

func joinNames[T ~string](xs []T) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = string(x)
	}
	return strings.Join(s, ",")
}

// settingsKey is the board hash, which holds the settings: the all-time
// window's players hash, <prefix>:lb:{<board>}:all:players, whose fields
// '#order', '#ties', '#windows' and '#modes' are the settings, beside
// '#seq', the board's write
// sequence, and the all-time players (player ids never contain '#'). A
// submit reads the settings, the sequence and the player's all-time value
// with one HMGET.
func (s *Store) settingsKey(board string) (string, error) {
	_, h, err := s.windowKeys(board, WindowAt(PeriodAll, time.Time{}))
	return h, err
}

// dataKey is the board's player data hash: <prefix>:lb:{<board>}:data.
func (s *Store) dataKey(board string) (string, error) {
	return s.keys.Key(Module, board, "data")
}

// Settings returns the board's settings (one HMGET): DefaultSettings with
// Declared false for a board never declared.
func (s *Store) Settings(ctx context.Context, board string) (Settings, error) {
	if err := ValidateBoard(board); err != nil {
		return Settings{}, err
	}
	k, err := s.settingsKey(board)
	if err != nil {
		return Settings{}, fmt.Errorf("leaderboard: settings: %w", err)
	}
	vals, err := s.rdb.HMGet(ctx, k, "#order", "#ties", "#windows", "#modes").Result()
	if err != nil {
		return Settings{}, fmt.Errorf("leaderboard: settings of %s: %w", board, err)
	}
	st := DefaultSettings()
	str := func(i int) (string, bool) { v, ok := vals[i].(string); return v, ok }
	if v, ok := str(0); ok {
		st.Declared = true
		st.Order = Order(v)
	}
	if v, ok := str(1); ok {
		st.Ties = Ties(v)
	}
	if v, ok := str(2); ok {
		st.Windows = nil
		for _, w := range strings.Split(v, ",") {
			st.Windows = append(st.Windows, Period(w))
		}
	}
	if v, ok := str(3); ok {
		st.Modes = nil
		for _, m := range strings.Split(v, ",") {
			st.Modes = append(st.Modes, Mode(m))
		}
	}
	out, err := st.Normalize()
	if err != nil {
		return Settings{}, fmt.Errorf("leaderboard: settings of %s are malformed: %v", board, err)
	}
	return out, nil
}

// SetSettings declares the board's settings in one script call. The order
// and the tie rule can change only while no window of the board that can
// still exist at at (zero: the store's clock) has a player: otherwise the
// error wraps ErrConflict and nothing is written. Windows and modes may
// change at any time; a window added later starts empty (its earlier keys,
// if any, are those of an earlier declaration). Submissions read the
// settings in their own script call, so they apply from the next one.
func (s *Store) SetSettings(ctx context.Context, board string, st Settings, at time.Time) (Settings, error) {
	if err := ValidateBoard(board); err != nil {
		return Settings{}, err
	}
	st, err := st.Normalize()
	if err != nil {
		return Settings{}, err
	}
	sk, err := s.settingsKey(board)
	if err != nil {
		return Settings{}, fmt.Errorf("leaderboard: settings: %w", err)
	}
	ws := deleteWindows(s.at(at))
	ks := make([]string, 0, 1+len(ws))
	ks = append(ks, sk)
	for _, w := range ws {
		z, _, err := s.windowKeys(board, w)
		if err != nil {
			return Settings{}, fmt.Errorf("leaderboard: settings: %w", err)
		}
		ks = append(ks, z)
	}
	reply, err := settingsScript.Run(ctx, s.rdb, ks, string(st.Order), string(st.Ties), joinNames(st.Windows), joinNames(st.Modes)).Int64Slice()
	if err != nil {
		return Settings{}, fmt.Errorf("leaderboard: settings of %s: %w", board, err)
	}
	switch {
	case len(reply) == 2 && reply[0] == 1 && reply[1] >= 2 && int(reply[1]) <= len(ks):
		w := ws[reply[1]-2]
		return Settings{}, fmt.Errorf("leaderboard: settings of %s: the %s window %s has players stored for another order or tie rule: %w", board, w.Period, w.ID, ErrConflict)
	case len(reply) != 1 || reply[0] != 0:
		return Settings{}, fmt.Errorf("leaderboard: settings of %s: unexpected reply %v", board, reply)
	}
	st.Declared = true
	s.cacheWindows(board, st.Windows)
	return st, nil
}
