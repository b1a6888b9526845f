package main

import (
	"context"
	"encoding/json"
	"github.com/lambdis/lambdis/functions/leaderboard/boards"
	"strings"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/leaderboard"
	"github.com/lambdis/lambdis/shared/redistest"
)

// `lambdis board` prints and declares a board's settings through the
// library: a flag not given keeps its value, a change of order on a board
// with players fails and writes nothing, bad flags are usage errors.
func TestBoardCommand(t *testing.T) {
	srv := redistest.StartServer(t)
	vars := map[string]string{"REDIS_URL": "redis://" + srv.Addr}
	show := func(args ...string) (int, boards.SettingsResponse, string) {
		t.Helper()
		code, out, errOut := runCLI(t, vars, append([]string{"board"}, args...)...)
		var v boards.SettingsResponse
		if code == exitOK {
			if err := json.Unmarshal([]byte(out), &v); err != nil {
				t.Fatalf("output %q: %v", out, err)
			}
		}
		return code, v, errOut
	}
	if code, v, _ := show("lap"); code != exitOK || v.Declared || v.Order != "desc" || strings.Join(v.Windows, ",") != "all,day,week" {
		t.Fatalf("undeclared: %d %+v", code, v)
	}
	if code, v, e := show("lap", "--order", "asc", "--windows", "month,all"); code != exitOK || !v.Declared || v.Order != "asc" || strings.Join(v.Windows, ",") != "all,month" || v.Ties != "earliest" || len(v.Modes) != 3 {
		t.Fatalf("declare: %d %+v %s", code, v, e)
	}
	if code, v, _ := show("--ties", "none", "lap"); code != exitOK || v.Order != "asc" || v.Ties != "none" || strings.Join(v.Windows, ",") != "all,month" {
		t.Fatalf("the order kept: %d %+v", code, v)
	}
	s, err := leaderboard.NewStore(srv.Client(t), keys.Builder{}, leaderboard.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Submit(context.Background(), leaderboard.Submission{Board: "lap", Player: "ann", Score: 61, Mode: leaderboard.ModeBest, At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if code, _, e := show("lap", "--order", "desc"); code != exitError || !strings.Contains(e, "cannot change") {
		t.Errorf("order change with players: %d %s", code, e)
	}
	if code, v, _ := show("lap", "--modes", "best"); code != exitOK || v.Order != "asc" || strings.Join(v.Modes, ",") != "best" {
		t.Errorf("modes change with players: %d %+v", code, v)
	}
	for _, bad := range [][]string{{}, {"a:b"}, {"lap", "--order", "up"}, {"lap", "--windows", ""}, {"lap", "--modes", "max"}, {"lap", "extra"}} {
		if code, _, _ := show(bad...); code != exitUsage {
			t.Errorf("%q: exit %d, want %d", bad, code, exitUsage)
		}
	}
}
