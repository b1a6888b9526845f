package main

import (
	"fmt"
	"io"
)

// usage writes the list of subcommands.
func usage(w io.Writer) {
	fmt.Fprint(w, "usage: lambdis <command> [flags]\n\ncommands:\n")
	for _, c := range commands {
		line := c.name
		if c.args != "" {
			line += " " + c.args
		}
		fmt.Fprintf(w, "  %s\n        %s\n", line, c.summary)
	}
	fmt.Fprint(w, `
Run 'lambdis <command> -h' for a command's flags.

Quick start (the server uses an embedded Redis and the development secret):
  lambdis serve &
  TOKEN=$(lambdis token --sub alice)
  curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:3000/tokens/self

doctor, queue and bench use Redis as the functions do (REDIS_URL or REDIS_ADDRS, ...):
  REDIS_URL=rediss://my-cache.example.com:6379 lambdis doctor
  REDIS_URL=rediss://my-cache.example.com:6379 lambdis queue dead email
  REDIS_URL=rediss://my-cache.example.com:6379 lambdis bench --only decision,enqueue
`)
}

// plural is "1 check", "2 checks": n and the noun, in the plural unless n
// is 1 (nouns here take an s).
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
