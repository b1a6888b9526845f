package shelltest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// exitGrace is how long a test's end waits for the shell to exit before it
// kills the shell's process group.
var exitGrace = 10 * time.Second

// endMark ends each command's output: printf '\n<endMark> <status>\n'.
const endMark = "__LAMBDIS_SHELLTEST_END__"

// Shell is one bash process.
type Shell struct {
	in     io.WriteCloser
	out    *bufio.Reader
	stderr string // the file the shell's stderr goes to
}

// Result is what one command printed on stdout (without the last newline)
// and its exit status; Err is set if the shell ended first.
type Result struct {
	Out  string
	Code int
	Err  error
}

// Start starts bash in dir with exactly env. When the test ends, it kills
// the shell's background jobs, closes its input and waits for it (killing
// its process group if a command still runs 10 s later), and logs its
// stderr if the test failed.
func Start(t testing.TB, dir string, env []string) *Shell {
	t.Helper()
	sh := exec.Command("bash", "--noprofile", "--norc")
	sh.Dir, sh.Env = dir, env
	// Its own process group, so that a command still running when the test
	// ends (one that timed out) can be killed with the shell.
	sh.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// A file, not a buffer: background jobs write to it at any time.
	stderr, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close() // the shell has its own descriptor
	sh.Stderr = stderr
	in, err := sh.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := sh.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sh.Start(); err != nil {
		t.Fatal(err)
	}
	s := &Shell{in: in, out: bufio.NewReader(out), stderr: stderr.Name()}
	t.Cleanup(func() {
		fmt.Fprintln(in, "kill $(jobs -p) 2>/dev/null; wait; exit")
		in.Close()
		exited := make(chan struct{})
		go func() { _ = sh.Wait(); close(exited) }()
		select {
		case <-exited:
		case <-time.After(exitGrace): // a foreground command still runs: the exit line is never read
			_ = syscall.Kill(-sh.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		if t.Failed() {
			t.Logf("the shell's stderr:\n%s", s.Stderr())
		}
	})
	return s
}

// Go runs cmd and returns at once; the result arrives on the channel. One
// command at a time: wait for its result before the next Go or Run.
func (s *Shell) Go(cmd string) <-chan Result {
	fmt.Fprintf(s.in, "%s\nprintf '\\n%s %%d\\n' $?\n", cmd, endMark)
	done := make(chan Result, 1)
	go func() {
		var b strings.Builder
		for {
			l, err := s.out.ReadString('\n')
			if err != nil {
				done <- Result{Out: b.String(), Code: -1, Err: err}
				return
			}
			if rest, ok := strings.CutPrefix(l, endMark+" "); ok {
				code, _ := strconv.Atoi(strings.TrimSpace(rest))
				// The mark's own newline, then the output's last one.
				out := strings.TrimSuffix(strings.TrimSuffix(b.String(), "\n"), "\n")
				done <- Result{Out: out, Code: code}
				return
			}
			b.WriteString(l)
		}
	}()
	return done
}

// Run runs cmd and returns its output and exit status; the test fails if
// the shell ends or cmd takes longer than timeout.
func (s *Shell) Run(t testing.TB, cmd string, timeout time.Duration) (string, int) {
	t.Helper()
	select {
	case r := <-s.Go(cmd):
		if r.Err != nil {
			t.Fatalf("the shell ended: %v; output %q", r.Err, r.Out)
		}
		return r.Out, r.Code
	case <-time.After(timeout):
		t.Fatalf("%q did not finish within %v", cmd, timeout)
	}
	return "", 0
}

// Stderr is what the shell and its commands wrote on stderr so far.
func (s *Shell) Stderr() string {
	b, _ := os.ReadFile(s.stderr)
	return string(b)
}
