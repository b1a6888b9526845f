// Command lambdis is the developer's and operator's tool for Lambdis: a
// local API that behaves like the deployed one (serve), development tokens
// for it (token), a check of a Redis deployment (doctor) and job-queue
// operations (queue), and benchmarks of its operations against a Redis
// deployment, each beside a raw baseline from the same run (bench). Run
// `lambdis help` for the list.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the command failed
	exitUsage = 2 // the command line is wrong
)

// cli is what a subcommand may touch of the process.
type cli struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

// command is one subcommand.
type command struct {
	name, args, summary string
	run                 func(ctx context.Context, c cli, args []string) int
}

// commands lists the subcommands in the order usage shows them.
var commands = []command{
	{"serve", "[--addr 127.0.0.1:3000] [--worker-interval 2s]", "run the API locally: the deployed functions behind a local API Gateway, and the job worker", runServe},
	{"token", "--sub SUB [--scope S]... [--ttl 15m] [--iss ISS] [--aud AUD]... [--secret-env JWT_SECRET]", "print a development token (HS256)", runToken},
	{"doctor", "[--url redis://host:6379] [--timeout 20s]", "check the Redis the functions use (REDIS_* variables): version, eviction policy, memory, cluster, scripting, clock", runDoctor},
	{"board", "<board> [--order desc|asc] [--windows all,day,week,month] [--ties earliest|none] [--modes best,increment,set] [--url URL]", "print a leaderboard's settings, or declare them (a flag not given keeps its value)", runBoard},
	{"queue", "books|dead|redrive|purge-dead|status ...", "inspect a job queue's books and job records; list, redrive and purge dead letters ('lambdis queue -h')", runQueue},
	{"bench", "[--url redis://host:6379] [--callers 50] [--duration 3s] [--only a,b,...] [--json]", "benchmark a Redis with Lambdis's own operations (decision, session, enqueue, leaderboard, cache, lock, idempotency), each beside a raw-command baseline from the same run", runBench},
}

// quietRedis names the commands that report every Redis error in their own
// output: for them go-redis's own log lines (a failed dial, printed again on
// each retry) are noise.
var quietRedis = map[string]bool{"doctor": true, "queue": true, "bench": true, "board": true}

func main() {
	args := os.Args[1:]
	if len(args) > 0 && quietRedis[args[0]] {
		redis.SetLogger(discardRedisLog{})
	}
	os.Exit(run(context.Background(), args, cli{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}))
}

// discardRedisLog drops go-redis's internal log lines.
type discardRedisLog struct{}

func (discardRedisLog) Printf(context.Context, string, ...any) {}

// parseFlags parses a command's flags, which take no positional arguments.
// ok false means the command returns code: exitOK after -h (the usage,
// asked for, went to stdout), exitUsage for a bad flag (flag's message and
// the usage went to stderr) or an argument.
func parseFlags(c cli, fs *flag.FlagSet, args []string) (code int, ok bool) {
	if err := parse(c, fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitUsage, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(c.stderr, "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return exitUsage, false
	}
	return exitOK, true
}

// parse is fs.Parse with what the flag package prints sent where it
// belongs: the usage asked for with -h or --help to stdout, an error and
// the usage after it to stderr.
func parse(c cli, fs *flag.FlagSet, args []string) error {
	var buf bytes.Buffer
	fs.SetOutput(&buf)
	err := fs.Parse(args)
	fs.SetOutput(c.stderr)
	if errors.Is(err, flag.ErrHelp) {
		_, _ = c.stdout.Write(buf.Bytes())
	} else {
		_, _ = c.stderr.Write(buf.Bytes())
	}
	return err
}

// run dispatches to the subcommand named by args[0].
func run(ctx context.Context, args []string, c cli) int {
	if len(args) == 0 {
		usage(c.stdout)
		return exitOK
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		usage(c.stdout)
		return exitOK
	}
	for _, cmd := range commands {
		if cmd.name != name {
			continue
		}
		return cmd.run(ctx, c, rest)
	}
	fmt.Fprintf(c.stderr, "lambdis: unknown command %q\n", name)
	names := make([]string, len(commands))
	for i, cmd := range commands {
		names[i] = cmd.name
	}
	if s := suggest(name, names); s != "" {
		fmt.Fprintf(c.stderr, "did you mean %s?\n", s)
	}
	fmt.Fprintf(c.stderr, "Run 'lambdis help' for the commands: %s.\n", strings.Join(names, ", "))
	return exitUsage
}

// suggest returns the candidate closest to a mistyped word: within two
// edits (one for words of up to four letters), or the one it is a prefix
// of; "" when none is close.
func suggest(word string, candidates []string) string {
	best, bestDist := "", 3
	if len(word) <= 4 {
		bestDist = 2
	}
	for _, c := range candidates {
		d := editDistance(strings.ToLower(word), c)
		if strings.HasPrefix(c, strings.ToLower(word)) && word != "" {
			d = 1
		}
		if d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the Damerau-Levenshtein distance (adjacent swaps count
// one) of a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
