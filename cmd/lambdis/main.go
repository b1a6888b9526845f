// Command lambdis is the developer's tool for Lambdis: a local API that
// behaves like the deployed one (serve) and development tokens for it
// (token). Run `lambdis help` for the list.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
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

// command is one subcommand; run is nil for those announced but not built.
type command struct {
	name, args, summary string
	run                 func(ctx context.Context, c cli, args []string) int
}

// commands lists the subcommands in the order usage shows them.
var commands = []command{
	{"serve", "[--addr 127.0.0.1:3000] [--worker-interval 2s]", "run the API locally: the deployed functions behind a local API Gateway, and the job worker", runServe},
	{"token", "--sub SUB [--scope S]... [--ttl 15m] [--iss ISS] [--aud AUD]... [--secret-env JWT_SECRET]", "print a development token (HS256)", runToken},
	{"doctor", "", "check a Redis deployment (not yet)", nil},
	{"bench", "", "benchmark against a real redis-server (not yet)", nil},
	{"queue", "", "inspect and manage job queues (not yet)", nil},
}

func main() {
	os.Exit(run(context.Background(), os.Args[1:], cli{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}))
}

// run dispatches to the subcommand named by args[0].
func run(ctx context.Context, args []string, c cli) int {
	if len(args) == 0 {
		usage(c.stderr)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		usage(c.stderr)
		return exitUsage
	}
	for _, cmd := range commands {
		if cmd.name != name {
			continue
		}
		if cmd.run == nil {
			fmt.Fprintf(c.stderr, "lambdis %s: not implemented yet\n", name)
			return exitUsage
		}
		return cmd.run(ctx, c, rest)
	}
	fmt.Fprintf(c.stderr, "lambdis: unknown command %q\n\n", name)
	usage(c.stderr)
	return exitUsage
}
