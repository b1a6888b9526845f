package shelltest

import (
	"os"
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
