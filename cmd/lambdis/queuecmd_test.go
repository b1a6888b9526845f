package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/queue"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

// queueFixture is a real redis-server with jobs on queue "billing": three
// dead ("fail", a permanent error) and one succeeded ("ok").
type queueFixture struct {
	rdb  *redis.Client
	qc   *queue.Client
	w    *queue.Worker
	vars map[string]string
	dead []string // the dead jobs' ids, in enqueue order
	ok   string   // the succeeded job's id
}

const failError = "boom: card declined by https://pay.example.com/charge\n\tsecond line"

func newQueueFixture(t *testing.T, prefix string) *queueFixture {
	t.Helper()
	srv := redistest.StartServer(t)
	f := &queueFixture{rdb: srv.Client(t), vars: map[string]string{"REDIS_URL": "redis://" + srv.Addr}}
	kb, err := keys.New(prefix)
	if err != nil {
		t.Fatal(err)
	}
	if prefix != "" {
		f.vars["LAMBDIS_KEY_PREFIX"] = prefix
	}
	f.qc = queue.NewClient(f.rdb, kb, 0)
	reg := queue.NewRegistry()
	reg.Register("fail", func(context.Context, queue.Delivery) error { return queue.Permanent(errors.New(failError)) }, nil)
	reg.Register("ok", func(context.Context, queue.Delivery) error { return nil }, nil)
	f.w = queue.NewWorker(f.qc, reg, queue.WorkerConfig{JobTimeout: time.Second, MaxBlock: 20 * time.Millisecond}, nil)

	ctx := context.Background()
	for i := range 3 {
		e, err := f.qc.Enqueue(ctx, queue.Job{Queue: "billing", Type: "fail", Payload: json.RawMessage(fmt.Sprintf(`{"invoice":%d}`, i))})
		if err != nil {
			t.Fatal(err)
		}
		f.dead = append(f.dead, e.ID)
	}
	e, err := f.qc.Enqueue(ctx, queue.Job{Queue: "billing", Type: "ok", Payload: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	f.ok = e.ID
	f.drain(t, func(b queue.Books) bool { return b.Dead == 3 && b.Succeeded == 1 })
	return f
}

// drain runs the worker over billing until done says the books are right.
func (f *queueFixture) drain(t *testing.T, done func(queue.Books) bool) {
	t.Helper()
	ctx := context.Background()
	for i := 0; ; i++ {
		b := f.books(t)
		if done(b) {
			return
		}
		if i == 20 {
			t.Fatalf("books after %d drains: %+v", i, b)
		}
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := f.w.Drain(dctx, []string{"billing"}, 0)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
	}
}

func (f *queueFixture) books(t *testing.T) queue.Books {
	t.Helper()
	b, err := f.qc.Books(context.Background(), "billing")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (f *queueFixture) deadLetters(t *testing.T) []queue.DeadLetter {
	t.Helper()
	dl, err := f.qc.DeadLetters(context.Background(), "billing", 100, "")
	if err != nil {
		t.Fatal(err)
	}
	return dl
}

func (f *queueFixture) state(t *testing.T, id string) string {
	t.Helper()
	rec, err := f.qc.Status(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return rec.State
}

// run runs `lambdis queue args...` against the fixture's server.
func (f *queueFixture) run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runCLI(t, f.vars, append([]string{"queue"}, args...)...)
}

// wantBooks checks the counters that matter and that the books balance.
func wantBooks(t *testing.T, b queue.Books, dead, deadLetters, redriven int64) {
	t.Helper()
	if b.Dead != dead || b.DeadLetters != deadLetters || b.Redriven != redriven || b.Drift() != 0 {
		t.Errorf("books %+v (drift %d), want dead %d, dead letters %d, redriven %d, drift 0", b, b.Drift(), dead, deadLetters, redriven)
	}
}

func TestQueueBooks(t *testing.T) {
	f := newQueueFixture(t, "")

	code, out, errOut := f.run(t, "books", "billing")
	if code != exitOK || errOut != "" {
		t.Fatalf("books: exit %d, stderr %q", code, errOut)
	}
	for _, want := range [][2]string{{"enqueued", "4"}, {"succeeded", "1"}, {"dead", "3"}, {"dead letters", "3"}, {"stream", "0"}, {"backlog", "0"}, {"drift", "0"}} {
		if !regexp.MustCompile(`(?m)^  ` + want[0] + ` +` + want[1] + `\b`).MatchString(out) {
			t.Errorf("books output lacks %s %s:\n%s", want[0], want[1], out)
		}
	}
	if !strings.HasPrefix(out, "queue billing\n") {
		t.Errorf("books output does not name the queue:\n%s", out)
	}
	if _, statsOut, _ := f.run(t, "stats", "billing"); statsOut != out {
		t.Errorf("stats differs from books:\n%s\nvs\n%s", statsOut, out)
	}

	code, out, _ = f.run(t, "books", "--json", "billing")
	var v booksView
	if err := json.Unmarshal([]byte(out), &v); code != exitOK || err != nil {
		t.Fatalf("books --json: exit %d, %v:\n%s", code, err, out)
	}
	want := booksView{Queue: "billing", Enqueued: 4, Succeeded: 1, Dead: 3, DeadLetters: 3}
	if v != want {
		t.Errorf("books --json = %+v, want %+v", v, want)
	}
	if !strings.Contains(out, `"dead_letters": 3`) || !strings.Contains(out, `"drift": 0`) {
		t.Errorf("books --json keys:\n%s", out)
	}

	// A counter bumped by hand: the books no longer balance, and books says so.
	if err := f.rdb.HIncrBy(context.Background(), "lambdis:q:{billing}:stats", "redriven", 2).Err(); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = f.run(t, "books", "billing")
	if code != exitOK || !regexp.MustCompile(`(?m)^  drift +2\b`).MatchString(out) || !strings.Contains(errOut, "off by 2") {
		t.Errorf("books with drift: exit %d, stderr %q:\n%s", code, errOut, out)
	}
}

func TestQueueDeadAndStatus(t *testing.T) {
	f := newQueueFixture(t, "")
	dl := f.deadLetters(t)
	// The jobs die in the order the worker's concurrency decides: order is
	// theirs on the dead-letter stream, invoice the payload of each.
	order, invoice := make([]string, len(dl)), map[string]int{}
	for i, d := range dl {
		order[i] = d.JobID
	}
	for i, id := range f.dead {
		invoice[id] = i
	}
	if sorted, want := slices.Sorted(slices.Values(order)), slices.Sorted(slices.Values(f.dead)); !slices.Equal(sorted, want) {
		t.Fatalf("dead letters %v, want the dead jobs %v", order, f.dead)
	}

	code, out, errOut := f.run(t, "dead", "billing")
	if code != exitOK || errOut != "" {
		t.Fatalf("dead: exit %d, stderr %q", code, errOut)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 4 || !regexp.MustCompile(`^ENTRY +JOB +TYPE +ATTEMPTS +DIED +LAST ERROR$`).MatchString(lines[0]) {
		t.Fatalf("dead: want a header and 3 rows:\n%s", out)
	}
	for i, d := range dl {
		row := regexp.MustCompile(`^` + regexp.QuoteMeta(d.EntryID) + ` +` + regexp.QuoteMeta(order[i]) +
			` +fail +1 +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ +boom: card declined by https://pay\.example\.com/charge second line$`)
		if !row.MatchString(lines[i+1]) {
			t.Errorf("dead row %d = %q, want entry, job %s, type, attempts, time, one-line error", i, lines[i+1], order[i])
		}
	}

	// Paging: --limit, then --after the last entry shown.
	code, out, errOut = f.run(t, "dead", "billing", "--limit", "2")
	if code != exitOK || strings.Count(out, "\n") != 3 || !strings.Contains(errOut, "--after "+dl[1].EntryID) {
		t.Errorf("dead --limit 2: exit %d, stderr %q:\n%s", code, errOut, out)
	}
	code, out, errOut = f.run(t, "dead", "--after", dl[1].EntryID, "billing")
	if code != exitOK || strings.Count(out, "\n") != 2 || !strings.Contains(out, order[2]) || errOut != "" {
		t.Errorf("dead --after: exit %d, stderr %q:\n%s", code, errOut, out)
	}

	code, out, _ = f.run(t, "dead", "billing", "--json")
	var got []struct {
		JobID    string          `json:"job_id"`
		Payload  json.RawMessage `json:"payload"`
		Error    string          `json:"error"`
		Attempts int             `json:"attempts"`
		DiedAt   time.Time       `json:"died_at"`
	}
	if err := json.Unmarshal([]byte(out), &got); code != exitOK || err != nil || len(got) != 3 {
		t.Fatalf("dead --json: exit %d, %v:\n%s", code, err, out)
	}
	for i, d := range got {
		var payload bytes.Buffer
		if err := json.Compact(&payload, d.Payload); err != nil {
			t.Fatal(err)
		}
		if d.JobID != order[i] || payload.String() != fmt.Sprintf(`{"invoice":%d}`, invoice[d.JobID]) || d.Error != failError || d.Attempts != 1 || d.DiedAt.IsZero() {
			t.Errorf("dead --json [%d] = %+v", i, d)
		}
	}

	if code, out, _ := f.run(t, "dead", "empty"); code != exitOK || out != "no dead letters in empty\n" {
		t.Errorf("dead of an empty queue: exit %d, %q", code, out)
	}
	if code, out, _ := f.run(t, "dead", "empty", "--json"); code != exitOK || out != "[]\n" {
		t.Errorf("dead --json of an empty queue: exit %d, %q", code, out)
	}

	// status: the record, as the API shows it.
	code, out, _ = f.run(t, "status", f.dead[0])
	var rec queue.Record
	if err := json.Unmarshal([]byte(out), &rec); code != exitOK || err != nil {
		t.Fatalf("status: exit %d, %v:\n%s", code, err, out)
	}
	if rec.ID != f.dead[0] || rec.Queue != "billing" || rec.State != queue.StateDead || rec.LastError != failError || len(rec.Errors) != 1 {
		t.Errorf("status of a dead job = %+v", rec)
	}
	code, out, _ = f.run(t, "status", f.ok)
	if err := json.Unmarshal([]byte(out), &rec); code != exitOK || err != nil || rec.State != queue.StateSucceeded {
		t.Errorf("status of the succeeded job: exit %d, %+v, %v", code, rec, err)
	}
	unknown := "billing:" + strings.Repeat("0", 32)
	if code, out, errOut := f.run(t, "status", unknown); code != exitError || out != "" || !strings.Contains(errOut, "job "+unknown+" not found") {
		t.Errorf("status of an unknown job: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestQueueRedriveAndPurge(t *testing.T) {
	f := newQueueFixture(t, "")
	dl := f.deadLetters(t)

	// By job id.
	code, out, errOut := f.run(t, "redrive", "billing", "--id", f.dead[0])
	if code != exitOK || out != f.dead[0]+"\n" || !strings.Contains(errOut, "1 dead letter of billing redriven") {
		t.Fatalf("redrive --id JOB: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if s := f.state(t, f.dead[0]); s != queue.StateQueued {
		t.Errorf("redriven job is %s, want queued", s)
	}
	wantBooks(t, f.books(t), 3, 2, 1)

	// By entry id, flags first, with an id that is no dead letter: the
	// others are redriven, the exit status says something was not.
	// (Jobs settle as they finish: the dead letters' order is not the
	// enqueue order.)
	i := slices.IndexFunc(dl, func(d queue.DeadLetter) bool { return d.JobID == f.dead[1] })
	code, out, errOut = f.run(t, "redrive", "--id", dl[i].EntryID, "--id", "1-0", "--id", f.ok, "billing")
	if code != exitError || out != f.dead[1]+"\n" || !strings.Contains(errOut, "not dead letters of billing: 1-0, "+f.ok) {
		t.Fatalf("redrive with unknown ids: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	wantBooks(t, f.books(t), 3, 1, 2)

	// purge-dead --all needs --yes; nothing is deleted without it.
	code, _, errOut = f.run(t, "purge-dead", "billing", "--all")
	if code != exitUsage || !strings.Contains(errOut, "add --yes") {
		t.Errorf("purge-dead --all without --yes: exit %d, stderr %q", code, errOut)
	}
	wantBooks(t, f.books(t), 3, 1, 2)

	// purge-dead by job id.
	code, out, _ = f.run(t, "purge-dead", "billing", "--id", f.dead[2])
	if code != exitOK || out != "1 dead letter of billing deleted\n" {
		t.Errorf("purge-dead --id: exit %d, %q", code, out)
	}
	if n := len(f.deadLetters(t)); n != 0 {
		t.Errorf("%d dead letters after purging the last, want 0", n)
	}

	// The two redriven jobs run again and die again; --all redrives both,
	// they die a third time; purge-dead --all --yes deletes them.
	f.drain(t, func(b queue.Books) bool { return b.Dead == 5 })
	wantBooks(t, f.books(t), 5, 2, 2)
	code, out, _ = f.run(t, "redrive", "billing", "--all")
	redriven := strings.Fields(out)
	sort.Strings(redriven)
	want := []string{f.dead[0], f.dead[1]}
	sort.Strings(want)
	if code != exitOK || strings.Join(redriven, " ") != strings.Join(want, " ") {
		t.Errorf("redrive --all: exit %d, redriven %v, want %v", code, redriven, want)
	}
	f.drain(t, func(b queue.Books) bool { return b.Dead == 7 })
	code, out, _ = f.run(t, "purge-dead", "billing", "--all", "--yes")
	if code != exitOK || out != "2 dead letters of billing deleted\n" {
		t.Errorf("purge-dead --all --yes: exit %d, %q", code, out)
	}
	wantBooks(t, f.books(t), 7, 0, 4)

	// Nothing left: --all does nothing and succeeds; an id is not found.
	if code, out, errOut := f.run(t, "redrive", "billing", "--all"); code != exitOK || out != "" || !strings.Contains(errOut, "0 dead letters") {
		t.Errorf("redrive --all of nothing: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if code, out, _ := f.run(t, "purge-dead", "billing", "--id", f.dead[0]); code != exitError || out != "0 dead letters of billing deleted\n" {
		t.Errorf("purge-dead of a redriven job: exit %d, %q", code, out)
	}
}

// TestQueueKeyPrefix: the commands find the queue under LAMBDIS_KEY_PREFIX,
// as the functions do.
func TestQueueKeyPrefix(t *testing.T) {
	f := newQueueFixture(t, "acme")
	code, out, _ := f.run(t, "books", "billing", "--json")
	var v booksView
	if err := json.Unmarshal([]byte(out), &v); code != exitOK || err != nil || v.Dead != 3 {
		t.Errorf("books under prefix acme: exit %d, %+v, %v", code, v, err)
	}
	delete(f.vars, "LAMBDIS_KEY_PREFIX")
	code, out, errOut := f.run(t, "books", "billing", "--json")
	if code != exitError || out != "" || !strings.Contains(errOut, `queue "billing" has never been used`) {
		t.Errorf("books under the default prefix: exit %d, stdout %q, stderr %q; want a queue never used", code, out, errOut)
	}
}

// TestQueueCommandLine: wrong command lines exit 2 before any connection
// (no Redis is configured here: a connection attempt would exit 1).
func TestQueueCommandLine(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "usage: lambdis queue <subcommand>"},
		{[]string{"frobnicate"}, `unknown subcommand "frobnicate"`},
		{[]string{"books"}, "missing queue name"},
		{[]string{"books", "a", "b"}, `unexpected argument "b"`},
		{[]string{"books", "bad{queue}"}, "invalid queue name"},
		{[]string{"books", "--frobnicate", "q"}, "flag provided but not defined"},
		{[]string{"dead", "q", "--limit", "0"}, "--limit 0"},
		{[]string{"dead", "q", "--after", "yesterday"}, "not a stream entry id"},
		{[]string{"redrive", "q"}, "give --id ID (repeatable) or --all"},
		{[]string{"redrive", "q", "--all", "--id", "1-0"}, "not both"},
		{[]string{"redrive", "q", "--id", "nonsense"}, "neither an entry id"},
		{[]string{"purge-dead", "q", "--id", "1700000000000"}, "neither an entry id"},
		{[]string{"purge-dead", "q", "--all"}, "add --yes"},
		{[]string{"status"}, "missing job id"},
		{[]string{"status", "nonsense"}, "is not a job id"},
	} {
		code, out, errOut := runCLI(t, nil, append([]string{"queue"}, tc.args...)...)
		if code != exitUsage || out != "" || !strings.Contains(errOut, tc.want) {
			t.Errorf("lambdis queue %v: exit %d, stdout %q, stderr %q; want 2 and %q", tc.args, code, out, errOut, tc.want)
		}
	}
	// Asked-for help goes to stdout (lambdis queue -h | less), and exits 0.
	for _, args := range [][]string{{"-h"}, {"help"}, {"books", "-h"}, {"purge-dead", "--help"}} {
		if code, out, errOut := runCLI(t, nil, append([]string{"queue"}, args...)...); code != exitOK || errOut != "" || !strings.Contains(out, "usage: lambdis queue") {
			t.Errorf("lambdis queue %v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
	if _, _, errOut := runCLI(t, nil, "queue", "boks", "q"); !strings.Contains(errOut, "did you mean books?") {
		t.Errorf("lambdis queue boks: stderr %q, want a suggestion", errOut)
	}
}

// TestQueueUnreachable: no Redis configured, or none listening, exits 1 with
// the reason.
func TestQueueUnreachable(t *testing.T) {
	code, out, errOut := runCLI(t, nil, "queue", "books", "billing")
	if code != exitError || out != "" || !strings.Contains(errOut, "neither REDIS_URL nor REDIS_ADDRS is set") {
		t.Errorf("unconfigured: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	addr := closedAddr(t)
	code, out, errOut = runCLI(t, nil, "queue", "dead", "billing", "--url", "redis://"+addr)
	if code != exitError || out != "" || !strings.Contains(errOut, "lambdis queue dead: redisconn: PING standalone "+addr) {
		t.Errorf("refused: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// queue list shows every queue in use (registered by its first enqueue),
// with its backlog and the age of its oldest due job.
func TestQueueList(t *testing.T) {
	f := newQueueFixture(t, "")
	ctx := context.Background()
	for range 2 {
		if _, err := f.qc.Enqueue(ctx, queue.Job{Queue: "orders", Type: "ok", Payload: json.RawMessage(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(20 * time.Millisecond)
	code, out, errOut := f.run(t, "list", "--json")
	if code != exitOK {
		t.Fatalf("list --json: exit %d: %s", code, errOut)
	}
	var got []listView
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(got) != 2 || got[0].Queue != "billing" || got[1].Queue != "orders" {
		t.Fatalf("queues %+v", got)
	}
	if b := got[0]; b.DeadLetters != 3 || b.Succeeded != 1 || b.Backlog != 0 || b.OldestDueMS != 0 || b.FirstUsed == nil {
		t.Errorf("billing %+v", b)
	}
	if o := got[1]; o.Backlog != 2 || o.OldestDueMS < 20 || o.Drift != 0 {
		t.Errorf("orders %+v", o)
	}
	code, out, _ = f.run(t, "list")
	if code != exitOK || !strings.Contains(out, "QUEUE") || !strings.Contains(out, "orders") {
		t.Errorf("list: exit %d\n%s", code, out)
	}
}
