package events_test

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lambdis/lambdis/functions/worker/drainer"
	"github.com/lambdis/lambdis/shared/redisconn"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/lambdis/lambdis/shared/rietest"
	"github.com/lambdis/lambdis/shared/shelltest"
	"github.com/lambdis/lambdis/shared/telemetry"
)

// samSection is where events/README.md's sam commands start; the blocks
// before it (`go test ... -update`) are not for this test.
const samSection = "## Running them with sam"

// samShim is the `sam` the README's commands find on PATH: it hands
// `sam local invoke <LogicalId> -e <event> --env-vars <env.json>` to the
// test (SAM_SHIM_URL), which runs the function's bootstrap under the
// emulator, and prints the answer on a line, as sam prints it last.
const samShim = `#!/bin/bash
if [ "$1 $2" != "local invoke" ] || [ -z "$3" ]; then
  echo "sam (test shim): only 'sam local invoke <LogicalId> ...'" >&2; exit 2
fi
id=$3; shift 3
while [ $# -gt 0 ]; do
  case $1 in
    -e|--event) event=$2; shift 2 ;;
    -n|--env-vars) env=$2; shift 2 ;;
    -t|--template|--add-host) shift 2 ;;
    *) echo "sam (test shim): unknown argument $1" >&2; exit 2 ;;
  esac
done
curl -sS --fail-with-body --data-binary @"$event" -H "Sam-Env-Vars: $(realpath "$env")" "$SAM_SHIM_URL/$id" || exit 1
echo
`

// redisCLIShim points the README's redis-cli at the test's server.
const redisCLIShim = `#!/bin/bash
exec "$REDIS_CLI" -p "$REDIS_PORT" "$@"
`

// samBlock is one ```sh block of events/README.md and the answer shown
// after it ("" when none is shown as JSON).
type samBlock struct {
	line   int
	script string
	answer string
	each   bool // the prose says "Each:": every invocation answers it
}

func samBlocks(t *testing.T) []samBlock {
	t.Helper()
	doc := readme(t)
	start := strings.Index(doc, "\n"+samSection+"\n")
	if start < 0 {
		t.Fatalf("events/README.md has no %q", samSection)
	}
	idx := shBlockRE.FindAllStringSubmatchIndex(doc, -1)
	var out []samBlock
	for i, b := range idx {
		if b[0] < start {
			continue
		}
		next := len(doc)
		if i+1 < len(idx) {
			next = idx[i+1][0]
		}
		after := doc[b[1]:next]
		blk := samBlock{line: strings.Count(doc[:b[0]], "\n") + 1, script: doc[b[2]:b[3]]}
		if m := jsonBlockRE.FindStringSubmatch(after); m != nil {
			blk.answer = m[1]
		} else {
			// An inline value that is not JSON (`{"ended":n}`) describes
			// the answer; it cannot be compared.
			for _, m := range inlineValueRE.FindAllStringSubmatch(after, -1) {
				if json.Valid([]byte(m[1])) {
					blk.answer = m[1]
					break
				}
			}
		}
		blk.each = strings.HasPrefix(strings.TrimSpace(after), "Each:")
		out = append(out, blk)
	}
	return out
}

// samLoose are the members of a function's answer whose values depend on
// the time, as events/README.md says: the Deny's retry_after, and how much
// a worker run did while the webhook's first retry (due within 1 s, full
// jitter) may come due.
var samLoose = map[string][]string{
	ratelimitFunction: {"retry_after"},
	workerFunction:    {"polls", "idle_ms", "processed", "promoted", "retried"},
}

// samInvoke is one `sam local invoke` the shim handed over.
type samInvoke struct {
	id, envFile string
	event       []byte
	reply       chan []byte
}

// TestREADMEScript runs events/README.md's ```sh blocks from "Running them
// with sam" on, in order, in one bash, from the repository root, with a
// `sam` on PATH that runs each `sam local invoke` as sam does: the
// function's bootstrap (built once) in a fresh emulator, with the event and
// the variables of the --env-vars file (Parameters, then the function's
// entry), REDIS_URL pointing at the test's redis-server (redis-cli too).
// Each block must succeed, and the answer the README shows after it must
// be the block's last answer (every answer, where it says "Each:").
func TestREADMEScript(t *testing.T) {
	if testing.Short() {
		t.Skip("runs events/README.md's sam commands under the emulator; skipped with -short")
	}
	for _, tool := range []string{"bash", "curl", "jq", "realpath"} {
		if _, err := exec.LookPath(tool); err != nil {
			redistest.SkipOrFail(t, "events/README.md script: "+tool+" is not on PATH")
		}
	}
	redisCLI, err := exec.LookPath("redis-cli")
	if err != nil {
		redistest.SkipOrFail(t, "events/README.md script: redis-cli is not on PATH")
	}
	srv := redistest.StartServer(t)
	_, port, _ := strings.Cut(srv.Addr, ":")

	bootstraps := map[string]string{}
	for _, fn := range []string{"ratelimit", "revoke", "enqueue", "worker", "leaderboard", "session"} {
		bootstraps[strings.ToUpper(fn[:1])+fn[1:]+"Function"] = rietest.Build(t, fn)
	}

	invokes := make(chan samInvoke)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		event, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		inv := samInvoke{id: strings.TrimPrefix(r.URL.Path, "/"), envFile: r.Header.Get("Sam-Env-Vars"), event: event, reply: make(chan []byte, 1)}
		select {
		case invokes <- inv:
		case <-r.Context().Done():
			return
		}
		if answer, ok := <-inv.reply; ok {
			_, _ = w.Write(answer)
		} else {
			http.Error(w, "the test could not run the invocation", http.StatusBadGateway)
		}
	}))
	defer api.Close()

	bin, tmp := t.TempDir(), t.TempDir()
	for name, script := range map[string]string{"sam": samShim, "redis-cli": redisCLIShim} {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	sh := shelltest.Start(t, root, []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + tmp, "LANG=C.UTF-8",
		"SAM_SHIM_URL=" + api.URL, "REDIS_CLI=" + redisCLI, "REDIS_PORT=" + port})

	for _, blk := range samBlocks(t) {
		// The README's scratch files go to the test's directory.
		script := strings.ReplaceAll(blk.script, "/tmp/", tmp+"/")
		done := sh.Go(script)
		type answer struct {
			id   string
			body []byte
		}
		var answers []answer
		var res shelltest.Result
	block:
		for {
			select {
			case inv := <-invokes:
				body := runSamInvoke(t, bootstraps, srv.Addr, inv)
				answers = append(answers, answer{inv.id, body})
				inv.reply <- body
			case res = <-done:
				break block
			case <-time.After(3 * time.Minute):
				t.Fatalf("events/README.md:%d: the block did not finish:\n%s", blk.line, blk.script)
			}
		}
		if res.Err != nil {
			t.Fatalf("events/README.md:%d: the shell ended: %v\n%s", blk.line, res.Err, res.Out)
		}
		if res.Code != 0 {
			t.Fatalf("events/README.md:%d: exit %d:\n%s\noutput:\n%s", blk.line, res.Code, blk.script, res.Out)
		}
		if blk.answer == "" {
			var last []byte
			if len(answers) > 0 {
				last = answers[len(answers)-1].body
			}
			t.Logf("events/README.md:%d: %d answers, none shown as JSON to compare; the last: %s", blk.line, len(answers), last)
			continue
		}
		if len(answers) == 0 {
			t.Errorf("events/README.md:%d: the block shows an answer but invokes nothing", blk.line)
			continue
		}
		check := answers[len(answers)-1:]
		if blk.each {
			check = answers
		}
		for _, a := range check {
			matchAnswer(t, fmt.Sprintf("the block at line %d", blk.line), blk.answer, a.body, samLoose[a.id]...)
		}
	}
}

// runSamInvoke runs one invocation as `sam local invoke` does: a fresh
// execution environment with the env file's variables for the function.
func runSamInvoke(t *testing.T, bootstraps map[string]string, redisAddr string, inv samInvoke) []byte {
	t.Helper()
	bootstrap, ok := bootstraps[inv.id]
	if !ok {
		close(inv.reply)
		t.Fatalf("sam local invoke %s: not a function of events/README.md", inv.id)
	}
	raw, err := os.ReadFile(inv.envFile)
	if err != nil {
		close(inv.reply)
		t.Fatalf("sam local invoke %s --env-vars %s: %v", inv.id, inv.envFile, err)
	}
	var all map[string]map[string]string
	if err := json.Unmarshal(raw, &all); err != nil {
		close(inv.reply)
		t.Fatalf("--env-vars %s: %v", inv.envFile, err)
	}
	vars := maps.Clone(all[samParameters])
	if vars == nil {
		vars = map[string]string{}
	}
	maps.Copy(vars, all[inv.id])
	vars[redisconn.EnvURL] = "redis://" + redisAddr
	vars[telemetry.EnvLogLevel] = "debug"
	if inv.id == workerFunction {
		// The template sets it to the function's timeout (env.json must
		// not: see events/README.md).
		vars[drainer.EnvFunctionTimeout] = fmt.Sprintf("%ds", rietest.DefaultTimeout)
	}
	var env []string
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		env = append(env, k+"="+vars[k])
	}
	e := rietest.Start(t, bootstrap, env)
	defer e.Kill()
	_, body := e.Invoke(t, inv.event)
	return body
}
