package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// env is a getenv over a map: tests never touch the process environment.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// runCLI runs the command line in-process and returns its exit code and
// output.
func runCLI(t testing.TB, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, cli{stdout: &out, stderr: &errOut, getenv: env(vars)})
	return code, out.String(), errOut.String()
}

// Help asked for (lambdis, -h, --help, help) goes to stdout with exit 0, so
// that `lambdis --help | less` shows it; a wrong command line is an error
// on stderr with exit 2, with a suggestion when a command is close.
func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"help"}, {"-h"}, {"--help"}} {
		code, out, errOut := runCLI(t, nil, args...)
		if code != exitOK {
			t.Errorf("lambdis %v: exit %d, want %d", args, code, exitOK)
		}
		if errOut != "" {
			t.Errorf("lambdis %v: stderr %q, want nothing", args, errOut)
		}
		for _, cmd := range []string{"serve", "token", "doctor", "queue", "bench"} {
			if !strings.Contains(out, "\n  "+cmd+" ") {
				t.Errorf("lambdis %v: usage does not list %s:\n%s", args, cmd, out)
			}
		}
		if strings.Contains(out, "not yet") {
			t.Errorf("lambdis %v: usage lists a command that does not exist:\n%s", args, out)
		}
	}
	for _, tc := range []struct{ arg, suggestion string }{
		{"frobnicate", ""}, {"serv", "serve"}, {"srve", "serve"}, {"sever", "serve"}, {"tokn", "token"},
		{"doc", "doctor"}, {"qeueu", "queue"}, {"benh", "bench"}, {"x", ""},
	} {
		code, out, errOut := runCLI(t, nil, tc.arg)
		if code != exitUsage || out != "" || !strings.Contains(errOut, `unknown command "`+tc.arg+`"`) || !strings.Contains(errOut, "lambdis help") {
			t.Errorf("lambdis %s: exit %d, stdout %q, stderr %q; want 2 and the error on stderr", tc.arg, code, out, errOut)
		}
		got := ""
		if _, s, ok := strings.Cut(errOut, "did you mean "); ok {
			got, _, _ = strings.Cut(s, "?")
		}
		if got != tc.suggestion {
			t.Errorf("lambdis %s: suggests %q, want %q", tc.arg, got, tc.suggestion)
		}
	}
}

// TestEveryCommandIsBuilt: every listed command runs (its -h answers with
// its own usage) and none is a stub.
func TestEveryCommandIsBuilt(t *testing.T) {
	for _, cmd := range commands {
		if cmd.run == nil {
			t.Errorf("command %s has no implementation", cmd.name)
			continue
		}
		for _, h := range []string{"-h", "--help"} {
			code, out, errOut := runCLI(t, nil, cmd.name, h)
			if code != exitOK || errOut != "" || !strings.Contains(out, "usage: lambdis "+cmd.name) {
				t.Errorf("lambdis %s %s: exit %d, stdout %q, stderr %q; want the usage on stdout", cmd.name, h, code, out, errOut)
			}
		}
		code, out, errOut := runCLI(t, nil, cmd.name, "--no-such-flag")
		if code != exitUsage || out != "" || !strings.Contains(errOut, "usage: lambdis "+cmd.name) {
			t.Errorf("lambdis %s --no-such-flag: exit %d, stdout %q, stderr %q; want the usage on stderr", cmd.name, code, out, errOut)
		}
		if strings.Contains(out+errOut, "not implemented") {
			t.Errorf("lambdis %s -h says it is not implemented: %q", cmd.name, out+errOut)
		}
	}
}
