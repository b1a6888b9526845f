package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/lambdis/lambdis/cmd/lambdis/localapi"
	"github.com/lambdis/lambdis/cmd/lambdis/localapi/localapitest"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/redistest"
)

// syncBuffer collects logs written from the server's goroutines.
type syncBuffer = localapitest.Log

// startLocalAPI serves the local API on 127.0.0.1:0 with the environment
// vars until the test ends, and returns its base URL.
func startLocalAPI(t *testing.T, vars map[string]string) (*localapi.Server, string) {
	t.Helper()
	logs := &syncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs)
		}
	})
	srv, err := localapi.New(context.Background(), localapi.Config{Getenv: env(vars), LogOutput: logs})
	if err != nil {
		t.Fatalf("localapi.New: %v", err)
	}
	return srv, localapitest.Serve(t, srv)
}

// mint runs `lambdis token` in-process and returns the token.
func mint(t testing.TB, vars map[string]string, args ...string) string {
	t.Helper()
	code, out, errOut := runCLI(t, vars, append([]string{"token"}, args...)...)
	if code != exitOK {
		t.Fatalf("lambdis token %v: exit %d: %s", args, code, errOut)
	}
	return strings.TrimSpace(out)
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

// call makes one HTTP request; token and body may be empty.
func call(t testing.TB, method, url, token, body string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{resp.StatusCode, resp.Header, b}
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %s: %v", r.body, err)
	}
	return m
}

// expectProblem checks status, content type and problem type.
func (r reply) expectProblem(t *testing.T, what string, status int, typ apigw.ProblemType) apigw.Problem {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d; body %s", what, r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != apigw.ProblemContentType {
		t.Errorf("%s: Content-Type %q", what, ct)
	}
	var p apigw.Problem
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("%s: body %s: %v", what, r.body, err)
	}
	if p.Type != typ.URI() || p.Status != status {
		t.Errorf("%s: problem %q %d, want %q %d", what, p.Type, p.Status, typ.URI(), status)
	}
	return p
}

func (r reply) expectUnauthorized(t *testing.T, what string) {
	t.Helper()
	r.expectProblem(t, what, http.StatusUnauthorized, apigw.TypeUnauthorized)
	if got := r.header.Get("WWW-Authenticate"); got != "Bearer" {
		t.Errorf("%s: WWW-Authenticate %q, want Bearer", what, got)
	}
	if string(r.body) != apigw.UnauthorizedResponse().Body {
		t.Errorf("%s: body %s, want the UNAUTHORIZED gateway response", what, r.body)
	}
}

// walkthrough is the README's curl session, over HTTP, against a server built
// from vars (which must set RATE_LIMITS=per_minute=3/1m).
func walkthrough(t *testing.T, vars map[string]string) {
	_, base := startLocalAPI(t, vars)

	// Health, without a token.
	r := call(t, "GET", base+"/health", "", "")
	if r.status != 200 || r.json(t)["status"] != "ok" {
		t.Fatalf("GET /health: %d %s", r.status, r.body)
	}

	// alice calls /tokens/self until the per-minute quota of 3 runs out.
	alice := mint(t, vars, "--sub", "alice")
	var limited reply
	for i := 1; ; i++ {
		r := call(t, "GET", base+"/tokens/self", alice, "")
		if r.status == http.StatusTooManyRequests {
			if i <= 3 {
				t.Fatalf("request %d was limited; the quota is 3: %s", i, r.body)
			}
			limited = r
			break
		}
		if r.status != 200 {
			t.Fatalf("GET /tokens/self #%d: %d %s", i, r.status, r.body)
		}
		if sub := r.json(t)["sub"]; sub != "alice" {
			t.Errorf("GET /tokens/self: sub %v, want alice", sub)
		}
		if pol := r.header.Get("RateLimit-Policy"); pol != `"per_minute";q=3;w=60` {
			t.Errorf("RateLimit-Policy %q", pol)
		}
		if rl := r.header.Get("RateLimit"); !strings.HasPrefix(rl, `"per_minute";r=`) {
			t.Errorf("RateLimit %q", rl)
		}
		if i > 10 {
			t.Fatal("no 429 after 10 requests with a quota of 3 per minute")
		}
	}
	p := limited.expectProblem(t, "over the limit", http.StatusTooManyRequests, apigw.TypeQuotaExceeded)
	if secs, err := strconv.Atoi(limited.header.Get("Retry-After")); err != nil || secs < 1 {
		t.Errorf("Retry-After %q, want whole seconds ≥ 1", limited.header.Get("Retry-After"))
	}
	if v, _ := p.Extensions["violated-policies"].([]any); len(v) != 1 || v[0] != "per_minute" {
		t.Errorf("violated-policies %v", p.Extensions["violated-policies"])
	}
	if limited.header.Get("RateLimit") == "" || limited.header.Get("RateLimit-Policy") == "" {
		t.Errorf("429 without RateLimit headers: %v", limited.header)
	}

	// bob revokes the token he presents; it stops working.
	bob := mint(t, vars, "--sub", "bob")
	r = call(t, "POST", base+"/tokens/revoke", bob, "")
	if r.status != 200 || r.json(t)["revoked"] != true || r.json(t)["sub"] != "bob" {
		t.Fatalf("POST /tokens/revoke (own token): %d %s", r.status, r.body)
	}
	call(t, "GET", base+"/tokens/self", bob, "").expectUnauthorized(t, "revoked token")

	// An admin revokes carol's token through the body; a non-admin may not.
	carol := mint(t, vars, "--sub", "carol")
	erin := mint(t, vars, "--sub", "erin")
	call(t, "POST", base+"/tokens/revoke", erin, `{"token":"`+carol+`"}`).
		expectProblem(t, "non-admin revoking another's token", http.StatusForbidden, apigw.TypeForbidden)
	root := mint(t, vars, "--sub", "root", "--scope", "admin")
	r = call(t, "POST", base+"/tokens/revoke", root, `{"token":"`+carol+`"}`)
	if r.status != 200 || r.json(t)["sub"] != "carol" {
		t.Fatalf("admin POST /tokens/revoke: %d %s", r.status, r.body)
	}
	call(t, "GET", base+"/tokens/self", carol, "").expectUnauthorized(t, "token revoked by an admin")

	// dave revokes all his tokens.
	dave := mint(t, vars, "--sub", "dave")
	r = call(t, "POST", base+"/users/dave/revoke-all", dave, "")
	if r.status != 200 || r.json(t)["sub"] != "dave" || r.json(t)["not_before"] == "" {
		t.Fatalf("POST /users/dave/revoke-all: %d %s", r.status, r.body)
	}
	call(t, "GET", base+"/tokens/self", dave, "").expectUnauthorized(t, "token issued before revoke-all")

	// No token, a garbage token, an unknown route, a wrong method.
	call(t, "GET", base+"/tokens/self", "", "").expectUnauthorized(t, "no token")
	call(t, "GET", base+"/tokens/self", "not.a.jwt", "").expectUnauthorized(t, "garbage token")
	call(t, "GET", base+"/nope", "", "").expectProblem(t, "unknown route", http.StatusNotFound, apigw.TypeNotFound)
	r = call(t, "DELETE", base+"/tokens/self", alice, "")
	r.expectProblem(t, "wrong method", http.StatusMethodNotAllowed, apigw.TypeMethodNotAllowed)
	if r.header.Get("Allow") != "GET" {
		t.Errorf("Allow %q, want GET", r.header.Get("Allow"))
	}
}

func TestWalkthroughEmbeddedMiniredis(t *testing.T) {
	walkthrough(t, map[string]string{"RATE_LIMITS": "per_minute=3/1m"})
}

func TestWalkthroughRedisServer(t *testing.T) {
	s := redistest.StartServer(t)
	walkthrough(t, map[string]string{"RATE_LIMITS": "per_minute=3/1m", "REDIS_URL": "redis://" + s.Addr})
	// The server used the real Redis, not an embedded one.
	calls, err := s.Calls(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if calls["evalsha"]+calls["eval"] == 0 {
		t.Errorf("no script ran on the redis-server: %v", calls)
	}
}

func TestServeRedisChoice(t *testing.T) {
	srv, _ := startLocalAPI(t, nil)
	if !strings.Contains(srv.Redis(), "embedded miniredis") {
		t.Errorf("without REDIS_*: %q", srv.Redis())
	}
	s := redistest.StartServer(t)
	srv, _ = startLocalAPI(t, map[string]string{"REDIS_ADDRS": s.Addr})
	if !strings.Contains(srv.Redis(), s.Addr) {
		t.Errorf("with REDIS_ADDRS=%s: %q", s.Addr, srv.Redis())
	}
}

// TestServeCommand runs `lambdis serve --addr 127.0.0.1:0` in-process, reads
// the address from its banner, calls it, and stops it by cancelling the
// context (what SIGINT does).
func TestServeCommand(t *testing.T) {
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exit := make(chan int, 1)
	var stdout syncBuffer
	go func() {
		exit <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, cli{stdout: &stdout, stderr: pw, getenv: env(nil)})
		pw.Close()
	}()

	var stderr syncBuffer
	baseURL := make(chan string, 1)
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		sc := bufio.NewScanner(pr)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			stderr.Write([]byte(line + "\n"))
			if _, url, ok := strings.Cut(line, "listening on "); ok && !sent {
				baseURL <- url
				sent = true
			}
		}
		if !sent {
			close(baseURL)
		}
	}()
	base, ok := <-baseURL
	if !ok {
		<-drained
		t.Fatalf("no address in the banner; exit %d; stderr:\n%s", <-exit, stderr.String())
	}

	if r := call(t, "GET", base+"/health", "", ""); r.status != 200 {
		t.Errorf("GET /health: %d %s", r.status, r.body)
	}
	token := mint(t, nil, "--sub", "alice")
	if r := call(t, "GET", base+"/tokens/self", token, ""); r.status != 200 {
		t.Errorf("GET /tokens/self: %d %s", r.status, r.body)
	}
	cancel()
	if code := <-exit; code != exitOK {
		t.Errorf("exit %d after the context ended, want 0", code)
	}
	<-drained
	log := stderr.String()
	for _, want := range []string{"embedded miniredis", "development secret", "lambdis token --sub alice", "curl -H \"Authorization: Bearer $TOKEN\" " + base + "/tokens/self", "stopped", `"message":"request"`} {
		if !strings.Contains(log, want) {
			t.Errorf("stderr lacks %q:\n%s", want, log)
		}
	}
	if stdout.String() != "" {
		t.Errorf("stdout %q, want nothing: it is kept clean for the curl walkthrough", stdout.String())
	}
}

func TestServeBadFlags(t *testing.T) {
	if code, _, errOut := runCLI(t, nil, "serve", "--port", "1"); code != exitUsage || !strings.Contains(errOut, "flag provided but not defined") {
		t.Errorf("exit %d stderr %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, nil, "serve", "extra"); code != exitUsage || !strings.Contains(errOut, "unexpected argument") {
		t.Errorf("exit %d stderr %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, nil, "serve", "--addr", "256.0.0.1:http"); code != exitError || errOut == "" {
		t.Errorf("bad address: exit %d stderr %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, map[string]string{"RATE_LIMITS": "nonsense"}, "serve", "--addr", "127.0.0.1:0"); code != exitError || !strings.Contains(errOut, "RATE_LIMITS") {
		t.Errorf("bad RATE_LIMITS: exit %d stderr %q", code, errOut)
	}
}
