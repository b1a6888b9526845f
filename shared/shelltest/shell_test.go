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
