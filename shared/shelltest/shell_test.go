package shelltest

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// Commands run in one shell, in order: state carries over, each gets its
// own output and status, and stderr is kept apart.
func TestShell(t *testing.T) {
	s := Start(t, t.TempDir(), []string{"PATH=" + os.Getenv("PATH")})
	if out, code := s.Run(t, "X=1; echo first", time.Minute); out != "first" || code != 0 {
		t.Fatalf("first: %q %d", out, code)
	}
	if out, code := s.Run(t, "echo \"x is $X\"\necho oops >&2\nfalse", time.Minute); out != "x is 1" || code != 1 {
		t.Fatalf("second: %q %d", out, code)
	}
	if r := <-s.Go("printf 'no newline'"); r.Out != "no newline" || r.Code != 0 || r.Err != nil {
		t.Fatalf("third: %+v", r)
	}
	if !strings.Contains(s.Stderr(), "oops") {
		t.Fatalf("stderr %q", s.Stderr())
	}
}

// TestEndKillsARunningCommand: a command still running when the test ends
// (one a Run gave up on) is killed with the shell, so the test ends (a hang
// here is go test's timeout).
func TestEndKillsARunningCommand(t *testing.T) {
	defer func(g time.Duration) { exitGrace = g }(exitGrace)
	exitGrace = 100 * time.Millisecond
	done := make(chan Result, 1)
	t.Run("shell", func(t *testing.T) {
		sh := Start(t, t.TempDir(), []string{"PATH=" + os.Getenv("PATH")})
		ch := sh.Go("sleep 600") // written before the end's exit line, so run first
		go func() { done <- <-ch }()
	})
	if r := <-done; r.Err == nil {
		t.Errorf("the command finished (%+v); want the shell killed under it", r)
	}
}

// DiffJSON names members shown but not answered, answered but not shown,
// unequal values and arrays of another length; a leaf decides its paths.
func TestDiffJSON(t *testing.T) {
	want := map[string]any{"a": 1.0, "b": []any{"x"}, "c": "shown", "t": 5.0}
	got := map[string]any{"a": 2.0, "b": []any{"x", "y"}, "d": true, "t": 9.0}
	d := DiffJSON("", want, got, func(path string, _, _ any) ([]string, bool) { return nil, path == ".t" })
	wantDiffs := []string{".a = 2, want 1", ".b = [x y], want [x]", ".c is shown, but not in the answer", ".d is in the answer (true), but not shown"}
	if !slices.Equal(d, wantDiffs) {
		t.Errorf("DiffJSON = %q, want %q", d, wantDiffs)
	}
	if d := DiffJSON("", want, want, nil); d != nil {
		t.Errorf("DiffJSON of equal values = %q", d)
	}
}
