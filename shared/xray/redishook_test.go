package xray

import (
	"context"
	"slices"
	"testing"

	"github.com/lambdis/lambdis/shared/redisconn"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

const (
	testRoot   = "1-5759e988-bd862e3fe1be46a994272793"
	testParent = "53995c3f42cd8ad8"
)

// commands is the command names a subsegment lists.
func commands(t *testing.T, s Subsegment) []string {
	t.Helper()
	raw, _ := s.Metadata["redis"]["commands"].([]any)
	out := make([]string, 0, len(raw))
	for _, c := range raw {
		out = append(out, c.(string))
	}
	return out
}

// checkSubsegment checks what every subsegment of the test trace carries.
func checkSubsegment(t *testing.T, s Subsegment, wantCommands ...string) {
	t.Helper()
	if s.Type != "subsegment" || s.TraceID != testRoot || s.ParentID != testParent {
		t.Errorf("type/trace/parent = %q/%q/%q, want subsegment/%s/%s", s.Type, s.TraceID, s.ParentID, testRoot, testParent)
	}
	if s.Name != "redis" || s.Namespace != "remote" {
		t.Errorf("name/namespace = %q/%q, want redis/remote", s.Name, s.Namespace)
	}
	if len(s.ID) != 16 {
		t.Errorf("id %q, want 16 hex digits", s.ID)
	}
	if s.StartTime <= 0 || s.EndTime < s.StartTime {
		t.Errorf("start/end = %f/%f", s.StartTime, s.EndTime)
	}
	if got := commands(t, s); !slices.Equal(got, wantCommands) {
		t.Errorf("commands %v, want %v", got, wantCommands)
	}
	if n, _ := s.Metadata["redis"]["count"].(float64); int(n) != len(wantCommands) {
		t.Errorf("count %v, want %d", s.Metadata["redis"]["count"], len(wantCommands))
	}
}

// A sampled invocation's Redis calls on a real server reach the daemon as
// "redis" subsegments of the invocation's segment; an unsampled one's, and
// a call outside an invocation, do not.
func TestRedisHookSendsSubsegments(t *testing.T) {
	srv := redistest.StartServer(t)
	daemon := startDaemon(t)
	// The functions' client: one pool shared by pipelines, no CLIENT SETINFO
	// on a new connection. The untraced SET below opens the connection the
	// traced calls reuse; a traced call that opens one also sends its
	// HELLO's subsegment.
	rdb, err := redisconn.New(context.Background(), redisconn.Config{Addrs: []string{srv.Addr}, SkipPing: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	on, err := Instrument(rdb, func(k string) string {
		if k == EnvDaemonAddress {
			return daemon.Addr()
		}
		return ""
	}, nil)
	if err != nil || !on {
		t.Fatalf("Instrument = %v, %v", on, err)
	}
	ctx := context.Background()
	sampledCtx := WithHeader(ctx, "Root="+testRoot+";Parent="+testParent+";Sampled=1;Lineage=a87bb23b:0")

	// Not traced: no header, and a header with Sampled=0.
	if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Get(WithHeader(ctx, "Root="+testRoot+";Parent="+testParent+";Sampled=0"), "k").Err(); err != nil {
		t.Fatal(err)
	}

	// Traced. The first datagram must be this GET's: the calls above sent
	// none (datagrams from one socket over loopback arrive in order).
	if got, err := rdb.Get(sampledCtx, "k").Result(); err != nil || got != "v" {
		t.Fatalf("GET = %q, %v", got, err)
	}
	s := daemon.next(t)
	checkSubsegment(t, s, "GET")
	if s.Error || s.Fault || s.Cause != nil {
		t.Errorf("a successful GET is marked failed: %+v", s)
	}

	// A missing key is an answer, not an error.
	if err := rdb.Get(sampledCtx, "absent").Err(); err != redis.Nil {
		t.Fatalf("GET absent: %v", err)
	}
	if s := daemon.next(t); s.Error || s.Fault {
		t.Errorf("GET of a missing key is marked failed: %+v", s)
	}

	// A pipeline is one subsegment listing its commands.
	if _, err := rdb.Pipelined(sampledCtx, func(p redis.Pipeliner) error {
		p.Incr(sampledCtx, "n")
		p.Expire(sampledCtx, "n", 60e9)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	checkSubsegment(t, daemon.next(t), "INCR", "EXPIRE")

	// A transaction is too (MULTI and EXEC included).
	if _, err := rdb.TxPipelined(sampledCtx, func(p redis.Pipeliner) error {
		p.Incr(sampledCtx, "n")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	checkSubsegment(t, daemon.next(t), "MULTI", "INCR", "EXEC")

	// An error reply is an error, with its message as the cause.
	if err := rdb.Incr(sampledCtx, "k").Err(); err == nil {
		t.Fatal("INCR of a string: no error")
	}
	s = daemon.next(t)
	checkSubsegment(t, s, "INCR")
	if !s.Error || s.Fault || s.Cause == nil || len(s.Cause.Exceptions) != 1 || s.Cause.Exceptions[0].Message != "ERR value is not an integer or out of range" {
		t.Errorf("INCR of a string: error/fault/cause = %v/%v/%+v, want an error with the reply", s.Error, s.Fault, s.Cause)
	}

	// A pipeline whose first command misses a key and whose second fails:
	// go-redis returns the miss, the subsegment reports the failure.
	if _, err := rdb.Pipelined(sampledCtx, func(p redis.Pipeliner) error {
		p.Get(sampledCtx, "absent")
		p.Incr(sampledCtx, "k")
		return nil
	}); err != redis.Nil {
		t.Fatalf("pipeline GET absent, INCR of a string: %v, want redis.Nil first", err)
	}
	s = daemon.next(t)
	checkSubsegment(t, s, "GET", "INCR")
	if !s.Error || s.Cause == nil || s.Cause.Exceptions[0].Message != "ERR value is not an integer or out of range" {
		t.Errorf("pipeline with a miss then an error reply: error/cause = %v/%+v, want the INCR's error", s.Error, s.Cause)
	}

	// A lost server is a fault.
	srv.Stop()
	if err := rdb.Get(sampledCtx, "k").Err(); err == nil {
		t.Fatal("GET with the server stopped: no error")
	}
	s = daemon.next(t)
	if !s.Fault || s.Error || s.Cause == nil {
		t.Errorf("GET with the server stopped: error/fault/cause = %v/%v/%+v, want a fault", s.Error, s.Fault, s.Cause)
	}
}

// Outside Lambda (no daemon address) no hook is installed.
func TestInstrumentWithoutDaemon(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer rdb.Close()
	if on, err := Instrument(rdb, func(string) string { return "" }, nil); on || err != nil {
		t.Fatalf("Instrument without %s = %v, %v; want no hook", EnvDaemonAddress, on, err)
	}
	if _, err := Instrument(rdb, func(string) string { return "tcp:127.0.0.1:2000" }, nil); err == nil {
		t.Fatal("Instrument with a TCP-only address: no error")
	}
}

func TestDaemonUDP(t *testing.T) {
	for in, want := range map[string]string{
		"169.254.79.129:2000":                      "169.254.79.129:2000",
		"tcp:127.0.0.1:2000 udp:127.0.0.2:2001":    "127.0.0.2:2001",
		" udp:127.0.0.1:2000  tcp:127.0.0.1:2000 ": "127.0.0.1:2000",
		"tcp:127.0.0.1:2000":                       "",
		"127.0.0.1:2000 127.0.0.1:2001":            "",
	} {
		got, err := daemonUDP(in)
		if got != want || (err != nil) != (want == "") {
			t.Errorf("daemonUDP(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestParseHeader(t *testing.T) {
	for in, want := range map[string]Header{
		"Root=" + testRoot + ";Parent=" + testParent + ";Sampled=1":             {testRoot, testParent, true},
		"Root=" + testRoot + ";Parent=" + testParent + ";Sampled=0;Lineage=x:1": {testRoot, testParent, false},
		"Root=" + testRoot + ";Sampled=1":                                       {Root: testRoot, Sampled: true},
		"":                                                                      {},
	} {
		if got := ParseHeader(in); got != want {
			t.Errorf("ParseHeader(%q) = %+v, want %+v", in, got, want)
		}
	}
	// A header without a parent cannot place a subsegment.
	if _, ok := sampled(WithHeader(context.Background(), "Root="+testRoot+";Sampled=1")); ok {
		t.Error("a header without Parent is traced")
	}
}
