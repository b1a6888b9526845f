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
func runCLI(t *testing.T, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, cli{stdout: &out, stderr: &errOut, getenv: env(vars)})
	return code, out.String(), errOut.String()
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"help"}, {"-h"}, {"--help"}, {"frobnicate"}} {
		code, out, errOut := runCLI(t, nil, args...)
		if code != exitUsage {
			t.Errorf("lambdis %v: exit %d, want %d", args, code, exitUsage)
		}
		if out != "" {
			t.Errorf("lambdis %v: stdout %q, want nothing", args, out)
		}
		for _, cmd := range []string{"serve", "token", "doctor", "queue", "bench"} {
			if !strings.Contains(errOut, "\n  "+cmd+" ") {
				t.Errorf("lambdis %v: usage does not list %s:\n%s", args, cmd, errOut)
			}
		}
		if strings.Contains(errOut, "not yet") {
			t.Errorf("lambdis %v: usage lists a command that does not exist:\n%s", args, errOut)
		}
	}
	_, _, errOut := runCLI(t, nil, "frobnicate")
	if !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Errorf("unknown command not named:\n%s", errOut)
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
		code, out, errOut := runCLI(t, nil, cmd.name, "-h")
		if code != exitOK || !strings.Contains(errOut, "usage: lambdis "+cmd.name) {
			t.Errorf("lambdis %s -h: exit %d, stderr %q", cmd.name, code, errOut)
		}
		if strings.Contains(out+errOut, "not implemented") {
			t.Errorf("lambdis %s -h says it is not implemented: %q", cmd.name, out+errOut)
		}
	}
}
