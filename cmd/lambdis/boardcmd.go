package main

import (
	"context"
	"errors"
	"flag"
	"github.com/lambdis/lambdis/functions/leaderboard/boards"
	"strings"
	"time"

	"github.com/lambdis/lambdis/shared/leaderboard"
)

// runBoard is `lambdis board <board> [--order] [--windows] [--ties]
// [--modes]`: without a setting flag it prints the board's settings; with
// any, it declares the board (leaderboard.Store.SetSettings), each flag not
// given keeping the board's current value.
func runBoard(ctx context.Context, c cli, args []string) int {
	f := newQueueFlags(c, "lambdis board", "<board> [--order desc|asc] [--windows all,day,week,month] [--ties earliest|none] [--modes best,increment,set]",
		"Prints a leaderboard's settings as JSON, as GET /leaderboards/{board}/settings answers\n"+
			"them; with any setting flag, declares the board as PUT /leaderboards/{board} does (a flag\n"+
			"not given keeps the current value). Changing the order or the tie rule of a board\n"+
			"with players fails (exit status 1) and writes nothing.")
	order := f.String("order", "", "desc (highest wins) or asc (lowest wins)")
	windows := f.String("windows", "", "comma-separated windows: all, day, week, month (at least one)")
	ties := f.String("ties", "", "earliest (earliest achiever first) or none (equal scores listed by player id)")
	modes := f.String("modes", "", "comma-separated modes the board accepts: best, increment, set")
	pos, code, ok := f.parse(args, 1, "board name")
	if !ok {
		return code
	}
	board := pos[0]
	if err := leaderboard.ValidateBoard(board); err != nil {
		return f.bad("board %q: %v", board, err)
	}
	set := map[string]bool{}
	f.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	getenv := withURL(c.getenv, *f.url)
	t, err := loadTarget(getenv)
	if err != nil {
		return f.fail(err)
	}
	rdb, err := t.connect(ctx)
	if err != nil {
		return f.fail(err)
	}
	defer func() { _ = rdb.Close() }()
	store, err := leaderboard.NewStore(rdb, t.keys, leaderboard.Config{})
	if err != nil {
		return f.fail(err)
	}
	st, err := store.Settings(ctx, board)
	if err != nil {
		return f.fail(err)
	}
	if set["order"] || set["windows"] || set["ties"] || set["modes"] {
		if set["order"] {
			st.Order = leaderboard.Order(*order)
		}
		if set["ties"] {
			st.Ties = leaderboard.Ties(*ties)
		}
		if set["windows"] {
			st.Windows = nil
			for _, w := range splitList(*windows) {
				st.Windows = append(st.Windows, leaderboard.Period(w))
			}
		}
		if set["modes"] {
			st.Modes = nil
			for _, m := range splitList(*modes) {
				st.Modes = append(st.Modes, leaderboard.Mode(m))
			}
		}
		if _, err := st.Normalize(); err != nil {
			return f.bad("%v", err)
		}
		st, err = store.SetSettings(ctx, board, st, time.Now())
		if errors.Is(err, leaderboard.ErrConflict) {
			return f.fail(errors.New("the board has players under its current order and tie rule, which therefore cannot change (windows and modes can); nothing was written"))
		}
		if err != nil {
			return f.fail(err)
		}
	}
	writeJSON(c.stdout, boards.NewSettingsResponse(board, st)) // as the API answers
	return exitOK
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
