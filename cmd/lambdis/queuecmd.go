package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lambdis/lambdis/shared/queue"
)

// Bounds of `lambdis queue dead --limit`.
const (
	defaultDeadLimit = 20
	maxDeadLimit     = 1000
	// deadErrorWidth bounds the error column of the dead-letter table.
	deadErrorWidth = 100
)

// queueSubcommand is one `lambdis queue` subcommand.
type queueSubcommand struct {
	name, args, summary string
	run                 func(ctx context.Context, c cli, name string, args []string) int
}

// queueSubcommands lists them in the order the usage shows them.
var queueSubcommands = []queueSubcommand{
	{"list", "[--json]", "every queue in use, with its backlog, the age of its oldest due job, delayed, pending and dead", runQueueList},
	{"books", "<queue> [--json]", "the queue's counters and sizes, and their drift (0 when nothing was lost); alias: stats", runQueueBooks},
	{"dead", "<queue> [--limit 20] [--after ENTRY] [--json]", "list dead letters, oldest first (--json adds payloads and error histories)", runQueueDead},
	{"redrive", "<queue> (--id ID... | --all)", "put dead letters back on the work stream with fresh attempts", runQueueRedrive},
	{"purge-dead", "<queue> (--id ID... | --all --yes)", "delete dead letters for good", runQueuePurge},
	{"status", "<job id>", "a job's record as JSON", runQueueStatus},
}

// queueUsage writes the list of subcommands.
func queueUsage(w io.Writer) {
	fmt.Fprint(w, "usage: lambdis queue <subcommand> [flags]\n\nsubcommands:\n")
	for _, s := range queueSubcommands {
		fmt.Fprintf(w, "  %s %s\n        %s\n", s.name, s.args, s.summary)
	}
	fmt.Fprint(w, `
Redis is configured as for the functions (REDIS_URL or REDIS_ADDRS, REDIS_CLUSTER,
REDIS_PASSWORD, REDIS_AUTH_SECRET_ARN, ..., LAMBDIS_KEY_PREFIX, JOB_RETENTION);
every subcommand also takes --url. An ID given to --id is a dead letter's entry
id (1700000000000-0) or a job id (<queue>:<32 hex>), as 'lambdis queue dead' lists.
Run 'lambdis queue <subcommand> -h' for its flags.
`)
}

// runQueue is `lambdis queue`: it dispatches to the subcommand.
func runQueue(ctx context.Context, c cli, args []string) int {
	if len(args) == 0 {
		queueUsage(c.stderr)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "-h", "-help", "--help", "help":
		queueUsage(c.stdout)
		return exitOK
	case "stats":
		name = "books"
	}
	for _, s := range queueSubcommands {
		if s.name == name {
			return s.run(ctx, c, "lambdis queue "+name, rest)
		}
	}
	fmt.Fprintf(c.stderr, "lambdis queue: unknown subcommand %q\n", args[0])
	names := []string{}
	for _, s := range queueSubcommands {
		names = append(names, s.name)
	}
	if s := suggest(args[0], names); s != "" {
		fmt.Fprintf(c.stderr, "did you mean %s?\n", s)
	}
	fmt.Fprintln(c.stderr)
	queueUsage(c.stderr)
	return exitUsage
}

// queueFlags is a subcommand's flag set with the flags every one has.
type queueFlags struct {
	*flag.FlagSet
	c    cli
	name string
	url  *string
}

func newQueueFlags(c cli, name, args, about string) *queueFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	f := &queueFlags{FlagSet: fs, c: c, name: name}
	f.url = fs.String("url", "", urlFlagUsage)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: %s %s [--url URL]\n\n%s\n\n", name, args, about)
		fs.PrintDefaults()
	}
	return f
}

// parse reads flags and positional arguments in any order and checks that
// there are exactly want positional ones; ok false means exit with code.
func (f *queueFlags) parse(args []string, want int, what string) (pos []string, code int, ok bool) {
	var out bytes.Buffer // the usage asked for goes to stdout, errors to stderr
	f.SetOutput(&out)
	pos, err := parseInterspersed(f.FlagSet, args)
	f.SetOutput(f.c.stderr)
	if errors.Is(err, flag.ErrHelp) {
		_, _ = f.c.stdout.Write(out.Bytes())
	} else {
		_, _ = f.c.stderr.Write(out.Bytes())
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, exitOK, false
		}
		return nil, exitUsage, false // flag has printed the error and the usage
	}
	switch {
	case len(pos) < want:
		return nil, f.bad("missing %s", what), false
	case len(pos) > want:
		return nil, f.bad("unexpected argument %q", pos[want]), false
	}
	return pos, exitOK, true
}

// bad reports a command-line error and returns exitUsage.
func (f *queueFlags) bad(format string, a ...any) int {
	fmt.Fprintf(f.c.stderr, "%s: "+format+"\n", append([]any{f.name}, a...)...)
	fmt.Fprintf(f.c.stderr, "run '%s -h' for the flags\n", f.name)
	return exitUsage
}

// fail reports an error of the operation and returns exitError.
func (f *queueFlags) fail(err error) int {
	fmt.Fprintf(f.c.stderr, "%s: %v\n", f.name, err)
	return exitError
}

// client connects as the functions do and returns a queue client and its
// closer.
func (f *queueFlags) client(ctx context.Context) (*queue.Client, func(), error) {
	getenv := withURL(f.c.getenv, *f.url)
	t, err := loadTarget(getenv)
	if err != nil {
		return nil, nil, fromURLFlag(err, *f.url)
	}
	retention, err := queue.RetentionFromEnv(getenv)
	if err != nil {
		return nil, nil, err
	}
	rdb, err := t.connect(ctx)
	if err != nil {
		return nil, nil, err
	}
	return queue.NewClient(rdb, t.keys, retention), func() { _ = rdb.Close() }, nil
}

// parseInterspersed parses fs over args, collecting the positional
// arguments wherever they stand (`dead billing --limit 5`); everything after
// "--" is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// parseQueue is parse for the commands whose one positional argument is a
// queue name, which it validates.
func (f *queueFlags) parseQueue(args []string) (q string, code int, ok bool) {
	pos, code, ok := f.parse(args, 1, "queue name")
	if !ok {
		return "", code, false
	}
	if err := queue.ValidateQueueName(pos[0]); err != nil {
		return "", f.bad("queue %q: %v", pos[0], err), false
	}
	return pos[0], exitOK, true
}

// booksView is Books as `lambdis queue books` shows it, derived values
// included.
type booksView struct {
	Queue        string `json:"queue"`
	Enqueued     int64  `json:"enqueued"`
	Deduplicated int64  `json:"deduplicated"`
	Succeeded    int64  `json:"succeeded"`
	Retried      int64  `json:"retried"`
	Dead         int64  `json:"dead"`
	Lost         int64  `json:"lost"`
	Reclaimed    int64  `json:"reclaimed"`
	Redriven     int64  `json:"redriven"`
	Stream       int64  `json:"stream"`
	Backlog      int64  `json:"backlog"`
	Pending      int64  `json:"pending"`
	Delayed      int64  `json:"delayed"`
	DeadLetters  int64  `json:"dead_letters"`
	Drift        int64  `json:"drift"`
}

func newBooksView(q string, b queue.Books) booksView {
	return booksView{
		Queue: q, Enqueued: b.Enqueued, Deduplicated: b.Deduplicated, Succeeded: b.Succeeded, Retried: b.Retried,
		Dead: b.Dead, Lost: b.Lost, Reclaimed: b.Reclaimed, Redriven: b.Redriven, Stream: b.Stream,
		Backlog: b.Backlog(), Pending: b.Pending, Delayed: b.Delayed, DeadLetters: b.DeadLetters, Drift: b.Drift(),
	}
}

// listView is one queue of `lambdis queue list`.
type listView struct {
	Queue       string  `json:"queue"`
	Backlog     int64   `json:"backlog"`
	OldestDueMS int64   `json:"oldest_due_ms"` // how long its oldest job waiting for a worker has been due
	Delayed     int64   `json:"delayed"`
	Pending     int64   `json:"pending"`
	DeadLetters int64   `json:"dead_letters"`
	Succeeded   int64   `json:"succeeded"`
	Drift       int64   `json:"drift"`
	FirstUsed   *string `json:"first_used,omitempty"`
}

func runQueueList(ctx context.Context, c cli, name string, args []string) int {
	f := newQueueFlags(c, name, "[--json]",
		"Lists every queue in use (the registry an enqueue writes on a queue's first use), with its\n"+
			"backlog (jobs due now, waiting for a worker), how long the oldest of them has been due,\n"+
			"delayed and retrying jobs, pending (held by workers), dead letters, succeeded and drift.")
	asJSON := f.Bool("json", false, "print JSON")
	if _, code, ok := f.parse(args, 0, ""); !ok {
		return code
	}
	qc, closeFn, err := f.client(ctx)
	if err != nil {
		return f.fail(err)
	}
	defer closeFn()
	all, err := qc.Overviews(ctx)
	if err != nil {
		return f.fail(err)
	}
	views := make([]listView, 0, len(all))
	for _, o := range all {
		v := listView{Queue: o.Queue, Backlog: o.Books.Backlog(), OldestDueMS: o.OldestDue.Milliseconds(), Delayed: o.Books.Delayed,
			Pending: o.Books.Pending, DeadLetters: o.Books.DeadLetters, Succeeded: o.Books.Succeeded, Drift: o.Books.Drift()}
		if !o.FirstUsed.IsZero() {
			t := o.FirstUsed.Format("2006-01-02T15:04:05.000Z07:00")
			v.FirstUsed = &t
		}
		views = append(views, v)
	}
	if *asJSON {
		writeJSON(c.stdout, views)
		return exitOK
	}
	if len(views) == 0 {
		fmt.Fprintln(c.stderr, "no queue has been used yet (a queue is registered by its first enqueue)")
		return exitOK
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "QUEUE\tBACKLOG\tOLDEST DUE\tDELAYED\tPENDING\tDEAD\tSUCCEEDED\tDRIFT\t")
	for _, v := range views {
		age := "-"
		if v.Backlog > 0 {
			age = (time.Duration(v.OldestDueMS) * time.Millisecond).String()
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%d\t%d\t%d\t%d\t\n", v.Queue, v.Backlog, age, v.Delayed, v.Pending, v.DeadLetters, v.Succeeded, v.Drift)
	}
	_ = tw.Flush()
	return exitOK
}

func runQueueBooks(ctx context.Context, c cli, name string, args []string) int {
	f := newQueueFlags(c, name, "<queue> [--json]",
		"Prints the queue's books: counters since it was created (enqueued, deduplicated, succeeded,\n"+
			"retried, dead, lost, reclaimed, redriven) and sizes now (stream = backlog + pending,\n"+
			"delayed, dead letters). drift = enqueued + redriven - (succeeded + dead + deduplicated\n"+
			"+ lost + stream + delayed) is 0 unless jobs vanished unaccounted (a warning is printed).")
	asJSON := f.Bool("json", false, "print JSON")
	q, code, ok := f.parseQueue(args)
	if !ok {
		return code
	}
	qc, closeFn, err := f.client(ctx)
	if err != nil {
		return f.fail(err)
	}
	defer closeFn()
	b, err := qc.Books(ctx, q)
	if err != nil {
		return f.fail(err)
	}
	if b == (queue.Books{}) {
		return f.fail(fmt.Errorf("queue %q has never been used: nothing was ever enqueued on it (check the name)", q))
	}
	v := newBooksView(q, b)
	if *asJSON {
		writeJSON(c.stdout, v)
	} else {
		rows := []struct {
			label string
			n     int64
			note  string
		}{
			{"enqueued", v.Enqueued, ""},
			{"deduplicated", v.Deduplicated, "idempotency key reused"},
			{"succeeded", v.Succeeded, ""},
			{"retried", v.Retried, "failed attempts scheduled again"},
			{"dead", v.Dead, ""},
			{"lost", v.Lost, "entries deleted under a worker"},
			{"reclaimed", v.Reclaimed, "taken over from workers that died"},
			{"redriven", v.Redriven, ""},
			{"stream", v.Stream, "backlog + pending"},
			{"backlog", v.Backlog, "waiting for a worker"},
			{"pending", v.Pending, "held by workers"},
			{"delayed", v.Delayed, "delayed and retrying"},
			{"dead letters", v.DeadLetters, "on the dead-letter stream now"},
			{"drift", v.Drift, "0 when nothing was lost silently"},
		}
		width := 1
		for _, r := range rows {
			width = max(width, len(strconv.FormatInt(r.n, 10)))
		}
		fmt.Fprintf(c.stdout, "queue %s\n", q)
		for _, r := range rows {
			line := fmt.Sprintf("  %-12s  %*d  %s", r.label, width, r.n, r.note)
			fmt.Fprintln(c.stdout, strings.TrimRight(line, " "))
		}
	}
	if v.Drift != 0 {
		fmt.Fprintf(c.stderr, "%s: warning: the books of %s are off by %d: jobs went missing without being counted (eviction? keys deleted by hand?)\n", name, q, v.Drift)
	}
	return exitOK
}

func runQueueDead(ctx context.Context, c cli, name string, args []string) int {
	f := newQueueFlags(c, name, "<queue> [--limit 20] [--after ENTRY] [--json]",
		"Lists dead letters, oldest first: entry id, job id, type, attempts, when it died\n"+
			"and the last error. --json prints them whole (payload, error history, worker version).")
	limit := f.Int("limit", defaultDeadLimit, fmt.Sprintf("dead letters to list, 1 to %d", maxDeadLimit))
	after := f.String("after", "", "start after this entry id (the last one of the previous page)")
	asJSON := f.Bool("json", false, "print JSON")
	q, code, ok := f.parseQueue(args)
	if !ok {
		return code
	}
	switch {
	case *limit < 1 || *limit > maxDeadLimit:
		return f.bad("--limit %d: must be from 1 to %d", *limit, maxDeadLimit)
	case *after != "" && !queue.IsEntryID(*after):
		return f.bad("--after %q: not a stream entry id (like 1700000000000-0)", *after)
	}
	qc, closeFn, err := f.client(ctx)
	if err != nil {
		return f.fail(err)
	}
	defer closeFn()
	list, err := qc.DeadLetters(ctx, q, int64(*limit)+1, *after)
	if err != nil {
		return f.fail(err)
	}
	more := len(list) > *limit
	if more {
		list = list[:*limit]
	}
	if *asJSON {
		writeJSON(c.stdout, newDeadLetterViews(list))
	} else if len(list) == 0 {
		fmt.Fprintf(c.stdout, "no dead letters in %s\n", q)
	} else {
		tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ENTRY\tJOB\tTYPE\tATTEMPTS\tDIED\tLAST ERROR")
		for _, d := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", d.EntryID, d.JobID, d.Type, d.Attempts, diedAt(d.DiedAt), oneLine(d.Error, deadErrorWidth))
		}
		_ = tw.Flush()
	}
	if more {
		fmt.Fprintf(c.stderr, "%s: more dead letters: %s %s --after %s\n", name, name, q, list[len(list)-1].EntryID)
	}
	return exitOK
}

// diedAt formats a dead letter's time of death.
func diedAt(ms int64) string {
	if ms <= 0 {
		return "-"
	}
	return time.UnixMilli(ms).UTC().Format(time.RFC3339)
}

// oneLine flattens s to one line of at most width runes.
func oneLine(s string, width int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > width {
		return string(r[:width-1]) + "…"
	}
	if s == "" {
		return "-"
	}
	return s
}

// selectFlags are --id and --all of redrive and purge-dead.
type selectFlags struct {
	ids *listFlag
	all *bool
}

func addSelectFlags(f *queueFlags, verb string) selectFlags {
	s := selectFlags{ids: &listFlag{}}
	f.Var(s.ids, "id", "a dead letter to "+verb+": its entry id or its job id; repeatable")
	s.all = f.Bool("all", false, verb+" every dead letter of the queue")
	return s
}

// check returns the usage error of a selection, or "".
func (s selectFlags) check() string {
	switch {
	case s.ids.set && *s.all:
		return "give --id or --all, not both"
	case !s.ids.set && !*s.all:
		return "give --id ID (repeatable) or --all"
	}
	for _, id := range s.ids.values {
		if queue.ValidateDeadLetterRef(id) != nil {
			return fmt.Sprintf("--id %q: neither an entry id (1700000000000-0) nor a job id (<queue>:<32 hex>)", id)
		}
	}
	return ""
}

func runQueueRedrive(ctx context.Context, c cli, name string, args []string) int {
	f := newQueueFlags(c, name, "<queue> (--id ID... | --all)",
		"Puts dead letters back on the work stream with a fresh set of attempts and prints\n"+
			"the job ids redriven, one a line. Exit status 1 when an --id is not a dead letter\n"+
			"of the queue (the others are redriven).")
	sel := addSelectFlags(f, "redrive")
	return onDeadLetters(ctx, f, sel, args, nil, func(qc *queue.Client, q string) ([]string, int) {
		redriven, missing, err := qc.RedriveDead(ctx, q, *sel.all, sel.ids.values)
		for _, id := range redriven {
			fmt.Fprintln(c.stdout, id)
		}
		if err != nil {
			return nil, f.fail(err)
		}
		fmt.Fprintf(c.stderr, "%s: %s of %s redriven\n", name, plural(len(redriven), "dead letter"), q)
		return missing, exitOK
	})
}

func runQueuePurge(ctx context.Context, c cli, name string, args []string) int {
	f := newQueueFlags(c, name, "<queue> (--id ID... | --all --yes)",
		"Deletes dead letters for good (their job records stay until JOB_RETENTION).\n"+
			"--all needs --yes. Exit status 1 when an --id is not a dead letter of the queue\n"+
			"(the others are deleted).")
	sel := addSelectFlags(f, "delete")
	yes := f.Bool("yes", false, "confirm --all")
	refuse := func(q string) string {
		if *sel.all && !*yes {
			return "--all deletes every dead letter of " + q + " for good; add --yes to confirm"
		}
		return ""
	}
	return onDeadLetters(ctx, f, sel, args, refuse, func(qc *queue.Client, q string) ([]string, int) {
		n, missing, err := qc.PurgeDead(ctx, q, *sel.all, sel.ids.values)
		if err != nil {
			return nil, f.fail(err)
		}
		fmt.Fprintf(c.stdout, "%s of %s deleted\n", plural(int(n), "dead letter"), q)
		return missing, exitOK
	})
}

// onDeadLetters is what redrive and purge-dead share: it parses "<queue>"
// and the selection (refuse, if given, may reject it), opens the queue and
// runs act, the library call (queue.Client.RedriveDead or PurgeDead, which
// select the dead letters --id names, or all), which returns the --id values
// that matched no dead letter: they make the status 1.
func onDeadLetters(ctx context.Context, f *queueFlags, sel selectFlags, args []string, refuse func(q string) string, act func(qc *queue.Client, q string) (missing []string, code int)) int {
	q, code, ok := f.parseQueue(args)
	if !ok {
		return code
	}
	if why := sel.check(); why != "" {
		return f.bad("%s", why)
	}
	if refuse != nil {
		if why := refuse(q); why != "" {
			return f.bad("%s", why)
		}
	}
	qc, closeFn, err := f.client(ctx)
	if err != nil {
		return f.fail(err)
	}
	defer closeFn()
	missing, code := act(qc, q)
	if code != exitOK {
		return code
	}
	return reportMissing(f.c, f.name, q, missing)
}

// reportMissing names the --id values that matched no dead letter.
func reportMissing(c cli, name, q string, missing []string) int {
	if len(missing) == 0 {
		return exitOK
	}
	fmt.Fprintf(c.stderr, "%s: not dead letters of %s: %s\n", name, q, strings.Join(missing, ", "))
	return exitError
}

func runQueueStatus(ctx context.Context, c cli, name string, args []string) int {
	f := newQueueFlags(c, name, "<job id>",
		"Prints a job's record as JSON, as GET /jobs/{id} answers it: state (queued, delayed,\n"+
			"active, retrying, succeeded, dead), attempts, errors and times. Exit status 1 when\n"+
			"the job is unknown or past JOB_RETENTION.")
	pos, code, ok := f.parse(args, 1, "job id")
	if !ok {
		return code
	}
	id := pos[0]
	if _, err := queue.QueueOf(id); err != nil {
		return f.bad("%q is not a job id (<queue>:<32 hex>)", id)
	}
	qc, closeFn, err := f.client(ctx)
	if err != nil {
		return f.fail(err)
	}
	defer closeFn()
	rec, err := qc.Status(ctx, id)
	if errors.Is(err, queue.ErrNotFound) {
		return f.fail(fmt.Errorf("job %s not found (unknown, or finished more than JOB_RETENTION ago)", id))
	}
	if err != nil {
		return f.fail(err)
	}
	writeJSON(c.stdout, newRecordView(rec))
	return exitOK
}

// writeJSON prints v indented, with a final newline.
func writeJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
