package redistest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RequireIntegration reports whether LAMBDIS_REQUIRE_INTEGRATION=1 is set, in
// which case a missing server binary fails the test instead of skipping it.
func RequireIntegration() bool {
	return os.Getenv("LAMBDIS_REQUIRE_INTEGRATION") == "1"
}

// SkipOrFail skips t with a loud reason, or fails it when integration tests
// are required.
func SkipOrFail(t testing.TB, reason string) {
	t.Helper()
	msg := "INTEGRATION TEST NOT RUN: " + reason
	if RequireIntegration() {
		t.Fatal(msg + " (LAMBDIS_REQUIRE_INTEGRATION=1)")
	}
	t.Skip(msg + " (set LAMBDIS_REQUIRE_INTEGRATION=1 to make this a failure)")
}

// ServerBinary returns the path of redis-server, or "" when absent.
func ServerBinary() string {
	if p := os.Getenv("REDIS_SERVER_BIN"); p != "" {
		return p
	}
	p, err := exec.LookPath("redis-server")
	if err != nil {
		for _, c := range []string{"/usr/bin/redis-server", "/usr/local/bin/redis-server"} {
			if _, err := os.Stat(c); err == nil {
				return c
			}
		}
		return ""
	}
	return p
}

// Server is a real redis-server process owned by a test.
type Server struct {
	Addr string

	t    testing.TB
	bin  string
	dir  string
	port int
	args []string

	mu  sync.Mutex
	cmd *exec.Cmd
}

// StartServer starts redis-server on a free loopback port with persistence
// off. Extra args are appended to the command line (e.g. "--maxmemory-policy",
// "allkeys-lru"). The server is killed when the test ends.
func StartServer(t testing.TB, args ...string) *Server {
	t.Helper()
	bin := ServerBinary()
	if bin == "" {
		SkipOrFail(t, "redis-server not found on PATH (install Debian's redis-server package)")
	}
	s := &Server{t: t, bin: bin, dir: t.TempDir(), args: args}
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		s.port, err = freePort(false)
		if err != nil {
			continue
		}
		if err = s.start(); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("redistest: start redis-server: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) start() error {
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
	argv := append([]string{
		"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir,
		"--logfile", filepath.Join(s.dir, "redis.log"),
		"--daemonize", "no", "--protected-mode", "no",
	}, s.args...)
	cmd := exec.Command(s.bin, argv...)
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("redis-server exited: %v; log: %s", err, s.logTail())
		default:
		}
		if ping(s.Addr) == nil {
			s.mu.Lock()
			s.cmd = cmd
			s.mu.Unlock()
			go func() { <-exited }()
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	return fmt.Errorf("redis-server on %s did not answer within 10s; log: %s", s.Addr, s.logTail())
}

// Stop kills the server (SIGKILL: an outage, not a shutdown). Safe to call twice.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd := s.cmd
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	for i := 0; i < 200 && ping(s.Addr) == nil; i++ {
		time.Sleep(5 * time.Millisecond)
	}
}

// Restart (re)starts the server on the same port with empty data, stopping
// it first when it is running.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	if err := s.start(); err != nil {
		s.t.Fatalf("redistest: restart: %v", err)
	}
}

// Client returns a client for the server, closed when the test ends.
func (s *Server) Client(t testing.TB) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.Addr, PoolSize: 64})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Calls returns the number of times each command ran on the server since the
// last CONFIG RESETSTAT (INFO commandstats), keyed by lower-case command name.
func (s *Server) Calls(ctx context.Context) (map[string]int64, error) {
	c := redis.NewClient(&redis.Options{Addr: s.Addr, PoolSize: 1})
	defer c.Close()
	return commandCalls(ctx, c)
}

func commandCalls(ctx context.Context, c redis.Cmdable) (map[string]int64, error) {
	info, err := c.Info(ctx, "commandstats").Result()
	if err != nil {
		return nil, fmt.Errorf("redistest: INFO commandstats: %w", err)
	}
	out := map[string]int64{}
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		name, rest, ok := strings.Cut(line, ":")
		if !ok || !strings.HasPrefix(name, "cmdstat_") {
			continue
		}
		for _, f := range strings.Split(rest, ",") {
			if v, ok := strings.CutPrefix(f, "calls="); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				out[strings.TrimPrefix(name, "cmdstat_")] = n
			}
		}
	}
	return out, nil
}

// CallsDelta returns after-before per command, leaving out zero deltas and
// the INFO/HELLO/CLIENT/CONFIG commands used to measure.
func CallsDelta(before, after map[string]int64) map[string]int64 {
	d := map[string]int64{}
	for k, v := range after {
		if k == "info" || k == "hello" || strings.HasPrefix(k, "client") || strings.HasPrefix(k, "config") {
			continue
		}
		if n := v - before[k]; n != 0 {
			d[k] = n
		}
	}
	return d
}

func (s *Server) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

func ping(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return err
	}
	_ = conn.Close()
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 200 * time.Millisecond, MaxRetries: -1, PoolSize: 1})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	return c.Ping(ctx).Err()
}

// freePort returns a loopback port that is free now; with bus, port+10000
// (the cluster bus port) is free as well.
func freePort(bus bool) (int, error) {
	for i := 0; i < 50; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		if !bus {
			return port, nil
		}
		if port+10000 > 65535 {
			continue
		}
		lb, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port+10000)))
		if err != nil {
			continue
		}
		_ = lb.Close()
		return port, nil
	}
	return 0, fmt.Errorf("no free port")
}
