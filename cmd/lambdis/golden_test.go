package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/queue"
	"github.com/lambdis/lambdis/shared/redistest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ (go test ./cmd/lambdis -run Golden -update)")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run with -update if the change is meant):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

var loopbackPortRE = regexp.MustCompile(`127\.0\.0\.1:[0-9]+`)

// bannerOf is the banner in serve's stderr (the log lines before it
// dropped), with loopback ports replaced by PORT.
func bannerOf(t *testing.T, stderr string) string {
	t.Helper()
	_, b, ok := strings.Cut(stderr, "lambdis serve: listening on")
	if !ok {
		t.Fatalf("no banner in:\n%s", stderr)
	}
	b, _, _ = strings.Cut(b, "Ctrl-C stops the server.\n")
	return loopbackPortRE.ReplaceAllString("lambdis serve: listening on"+b+"Ctrl-C stops the server.\n", "127.0.0.1:PORT")
}

// The serve banner: readable settings, each with where it came from — the
// default run (embedded miniredis, development secret, default limits), and
// one configured through the environment.
func TestServeBannerGolden(t *testing.T) {
	banner, logs, stop := serveInProcess(t, nil, "--addr", "127.0.0.1:0")
	if code := stop(); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	golden(t, "banner-default.golden", bannerOf(t, banner))
	if strings.Contains(logs.String(), `"level":"WARN"`) {
		t.Errorf("the default run logged a warning:\n%s", logs.String())
	}

	srv := redistest.StartServer(t)
	banner, _, stop = serveInProcess(t, map[string]string{
		"REDIS_URL": "redis://" + srv.Addr, "REDIS_POOL_SIZE": "8", "RATE_LIMITS": "per_minute=5/1m",
		"JWT_SECRET": "a-secret-of-the-test-at-least-32-bytes", "WORKER_QUEUES": "default,orders",
		"WEBHOOK_ALLOWED_URLS": "https://hooks.example.com/lambdis/", "WEBHOOK_SECRET": "a-webhook-secret-of-the-test-32-bytes",
	}, "--addr", "127.0.0.1:0", "--worker-interval", "5s")
	if code := stop(); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	golden(t, "banner-configured.golden", bannerOf(t, banner))
}

// A second serve on a taken address says what to do.
func TestServeAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	code, out, errOut := runCLI(t, nil, "serve", "--addr", ln.Addr().String())
	if code != exitError || out != "" || !strings.Contains(errOut, "address already in use") ||
		!strings.Contains(errOut, "another program listens on "+ln.Addr().String()+", perhaps another lambdis serve: stop it") || !strings.Contains(errOut, "--addr") {
		t.Errorf("serve on a taken address: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// doctor names where a bad value came from: --url or REDIS_URL.
func TestDoctorNamesTheSource(t *testing.T) {
	_, out, _ := runCLI(t, nil, "doctor", "--url", "http://x")
	if !strings.Contains(out, `--url: scheme "http"`) || strings.Contains(out, "REDIS_URL: scheme") {
		t.Errorf("doctor --url http://x:\n%s", out)
	}
	_, out, _ = runCLI(t, map[string]string{"REDIS_URL": "http://x"}, "doctor")
	if !strings.Contains(out, `REDIS_URL: scheme "http"`) || strings.Contains(out, "--url") {
		t.Errorf("REDIS_URL=http://x doctor:\n%s", out)
	}
	if !strings.Contains(out, "1 check:") {
		t.Errorf("doctor with one check: %q, want the singular", out)
	}
}

var (
	jobIDRE   = regexp.MustCompile(`(billing|solo):[0-9a-f]{32}`)
	entryIDRE = regexp.MustCompile(`\b[0-9]{13}-[0-9]+\b`)
	msTimeRE  = regexp.MustCompile(`"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z"`)
)

// normalizeQueueJSON replaces what differs between runs: job ids and entry
// ids by numbered placeholders in order of appearance, times in the one
// format (RFC 3339, milliseconds, UTC) by "<time>". A time in another format
// stays, and fails the comparison.
func normalizeQueueJSON(s string) string {
	number := func(re *regexp.Regexp, s, name string) string {
		seen := map[string]string{}
		return re.ReplaceAllStringFunc(s, func(m string) string {
			if _, ok := seen[m]; !ok {
				seen[m] = fmt.Sprintf("<%s-%d>", name, len(seen)+1)
			}
			return seen[m]
		})
	}
	s = number(jobIDRE, s, "job")
	s = number(entryIDRE, s, "entry")
	return msTimeRE.ReplaceAllString(s, `"<time>"`)
}

// The JSON of `lambdis queue`: one time format, no escaped slashes.
func TestQueueJSONGolden(t *testing.T) {
	f := newQueueFixture(t, "")
	// One dead job on a queue of its own: billing's three die in an order
	// the worker's concurrency decides.
	ctx := context.Background()
	solo, err := f.qc.Enqueue(ctx, queue.Job{Queue: "solo", Type: "fail", Payload: json.RawMessage(`{"invoice":7}`)})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; f.state(t, solo.ID) != queue.StateDead; i++ {
		if i == 20 {
			t.Fatalf("the solo job is %s after %d drains", f.state(t, solo.ID), i)
		}
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := f.w.Drain(dctx, []string{"solo"}, 0)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		file string
		args []string
	}{
		{"queue-dead.json.golden", []string{"dead", "solo", "--json"}},
		{"queue-status-dead.json.golden", []string{"status", solo.ID}},
		{"queue-status-succeeded.json.golden", []string{"status", f.ok}},
	} {
		code, out, errOut := f.run(t, c.args...)
		if code != exitOK {
			t.Fatalf("queue %v: exit %d, stderr %q", c.args, code, errOut)
		}
		if strings.Contains(out, `\/`) || strings.Contains(out, "_ms") {
			t.Errorf("queue %v: an escaped slash or a unix-millisecond member:\n%s", c.args, out)
		}
		golden(t, c.file, normalizeQueueJSON(out))
	}
}

// bench -h describes the enqueue as it is: an entry and a record, no
// counter (the books count jobs by their records).
func TestBenchHelpEnqueue(t *testing.T) {
	code, out, _ := runCLI(t, nil, "bench", "-h")
	line := ""
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "enqueue ") {
			line = l
		}
	}
	if code != exitOK || line == "" || strings.Contains(line, "counters") || !strings.Contains(line, "no counter") {
		t.Errorf("bench -h: exit %d, enqueue line %q", code, line)
	}
}
