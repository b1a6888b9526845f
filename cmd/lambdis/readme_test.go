package main

import (
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/shelltest"
)

// readmeSections are the README sections whose examples run against
// `lambdis serve`, in order, in one shell (the walk's ### parts, a job and
// a leaderboard, included).
var readmeSections = []string{"## A walk through the local API"}

// readmeStep is one command of a README example and the output it shows.
type readmeStep struct {
	line int      // in README.md
	cmd  string   // as the shell gets it (continuation lines joined by the shell)
	want []string // the lines shown after it; none for a ```sh block
}

// readmeSteps extracts, in order, the commands of the ```sh blocks (each
// line a command, no output shown) and of the ```console blocks ("$ "
// lines, "\" continuations, and the output lines after them) of sections.
func readmeSteps(t *testing.T, sections []string) []readmeStep {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	var steps []readmeStep
	in, block := false, ""
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if strings.HasPrefix(l, "## ") {
			in = slices.Contains(sections, l)
			continue
		}
		if !in {
			continue
		}
		switch {
		case block == "" && (l == "```sh" || l == "```console"):
			block = strings.TrimPrefix(l, "```")
			continue
		case block != "" && l == "```":
			block = ""
			continue
		case block == "":
			continue
		}
		if block == "sh" {
			if c := strings.TrimSpace(l); c != "" && !strings.HasPrefix(c, "#") {
				steps = append(steps, readmeStep{line: i + 1, cmd: l})
			}
			continue
		}
		if cmd, ok := strings.CutPrefix(l, "$ "); ok {
			for strings.HasSuffix(cmd, "\\") && i+1 < len(lines) {
				i++
				cmd += "\n" + lines[i]
			}
			steps = append(steps, readmeStep{line: i + 1, cmd: cmd})
			continue
		}
		if len(steps) > 0 {
			steps[len(steps)-1].want = append(steps[len(steps)-1].want, l)
		}
	}
	if len(steps) == 0 {
		t.Fatalf("no examples in the README sections %v", sections)
	}
	return steps
}

// volatileMembers change from run to run (ids, times, what depends on the
// clock): only their presence is compared.
var volatileMembers = map[string]bool{"jti": true, "until": true, "not_before": true, "id": true, "status_url": true,
	"window": true, "created_at": true, "updated_at": true, "run_at": true, "retry_after": true, "reset": true, "detail": true,
	"job_id": true, "received_at": true}

var (
	headerLineRE = regexp.MustCompile(`^([A-Za-z][A-Za-z-]*): (.*)$`)
	statusLineRE = regexp.MustCompile(`^HTTP/[0-9.]+ ([0-9]{3})`)
)

// checkOutput compares a command's output with what the README shows: the
// same HTTP status, the headers shown (Content-Type and WWW-Authenticate
// with their values), JSON with the same members (values too, but for
// volatileMembers), and any other line as is.
func checkOutput(t *testing.T, st readmeStep, got string) {
	t.Helper()
	gotLines := strings.Split(got, "\n")
	find := func(pred func(string) bool) (string, bool) {
		for _, l := range gotLines {
			if pred(l) {
				return strings.TrimRight(l, "\r"), true
			}
		}
		return "", false
	}
	for _, w := range st.want {
		switch {
		case strings.TrimSpace(w) == "":
		case statusLineRE.MatchString(w):
			code := statusLineRE.FindStringSubmatch(w)[1]
			if _, ok := find(func(l string) bool { m := statusLineRE.FindStringSubmatch(l); return m != nil && m[1] == code }); !ok {
				t.Errorf("README.md:%d: %s\nwant status %s, got:\n%s", st.line, st.cmd, code, got)
			}
		case headerLineRE.MatchString(w) && !strings.HasPrefix(w, "{"):
			m := headerLineRE.FindStringSubmatch(w)
			l, ok := find(func(l string) bool { return strings.HasPrefix(strings.ToLower(l), strings.ToLower(m[1])+":") })
			exact := strings.EqualFold(m[1], "Content-Type") || strings.EqualFold(m[1], "Www-Authenticate")
			if !ok || exact && strings.TrimSpace(l[len(m[1])+1:]) != m[2] {
				t.Errorf("README.md:%d: %s\nwant header %q, got:\n%s", st.line, st.cmd, w, got)
			}
		case strings.HasPrefix(w, "{") || strings.HasPrefix(w, "["):
			var want, have any
			if err := json.Unmarshal([]byte(w), &want); err != nil {
				t.Errorf("README.md:%d: the answer shown is not JSON (%v): %s", st.line, err, w)
				continue
			}
			body, _ := find(func(l string) bool { return strings.HasPrefix(l, "{") || strings.HasPrefix(l, "[") })
			if err := json.Unmarshal([]byte(body), &have); err != nil {
				t.Errorf("README.md:%d: %s\nwant JSON like %s, got:\n%s", st.line, st.cmd, w, got)
				continue
			}
			if d := shelltest.DiffJSON("", want, have, volatileLeaf); len(d) > 0 {
				t.Errorf("README.md:%d: %s\n%s\ngot: %s", st.line, st.cmd, strings.Join(d, "\n"), body)
			}
		default:
			if _, ok := find(func(l string) bool { return strings.TrimSpace(l) == strings.TrimSpace(w) }); !ok {
				t.Errorf("README.md:%d: %s\nwant the line %q, got:\n%s", st.line, st.cmd, w, got)
			}
		}
	}
}

// volatileLeaf leaves out the members whose values depend on the time.
func volatileLeaf(path string, _, _ any) ([]string, bool) {
	return nil, volatileMembers[path[strings.LastIndex(path, ".")+1:]]
}

// TestREADMEExamples runs the README's local-API examples in order in one
// fresh bash, as a reader would, against a real `lambdis serve` (built from
// this tree and found on PATH as `lambdis`) on a free port, and checks each
// answer: status codes, the headers and JSON members shown.
func TestREADMEExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("builds lambdis and runs the README in a shell; skipped with -short")
	}
	for _, tool := range []string{"bash", "curl", "sed"} {
		if _, err := exec.LookPath(tool); err != nil {
			msg := "INTEGRATION TEST NOT RUN: README examples: " + tool + " is not on PATH"
			if os.Getenv("LAMBDIS_REQUIRE_INTEGRATION") == "1" {
				t.Fatal(msg + " (LAMBDIS_REQUIRE_INTEGRATION=1)")
			}
			t.Skip(msg + " (set LAMBDIS_REQUIRE_INTEGRATION=1 to make this a failure)")
		}
	}
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "lambdis"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	dir := t.TempDir()
	// The shell's stderr, logged if the test fails, is lambdis serve's log.
	s := shelltest.Start(t, dir, []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + dir, "LANG=C.UTF-8"})

	for _, st := range readmeSteps(t, readmeSections) {
		cmd := strings.ReplaceAll(st.cmd, "127.0.0.1:3000", addr)
		cmd = strings.ReplaceAll(cmd, "lambdis serve", "lambdis serve --addr "+addr)
		got, code := s.Run(t, cmd, time.Minute)
		if code != 0 {
			t.Fatalf("README.md:%d: %s\nexit %d:\n%s", st.line, st.cmd, code, got)
		}
		checkOutput(t, st, got)
	}
}
