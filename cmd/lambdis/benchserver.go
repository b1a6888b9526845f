package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// The throwaway redis-server of `lambdis bench`, started when no Redis is
// configured. Never miniredis: it is an emulation in Go, and its figures
// would say nothing about a Redis deployment.

// benchServerDirs are searched for redis-server after $REDIS_SERVER_BIN and
// $PATH (Debian's package installs /usr/bin/redis-server, a source build
// /usr/local/bin). A variable so that a test can make the search fail.
var benchServerDirs = []string{"/usr/bin", "/usr/local/bin"}

// benchServerStart bounds the wait for a started server's first PONG.
const benchServerStart = 10 * time.Second

// findRedisServer returns the redis-server binary: $REDIS_SERVER_BIN, else
// the first on $PATH, else in benchServerDirs.
func findRedisServer(getenv func(string) string) (string, error) {
	if p := getenv("REDIS_SERVER_BIN"); p != "" {
		if !isExecutable(p) {
			return "", fmt.Errorf("REDIS_SERVER_BIN=%s is not an executable file", p)
		}
		return p, nil
	}
	dirs := append(filepath.SplitList(getenv("PATH")), benchServerDirs...)
	for _, d := range dirs {
		if d == "" {
			continue
		}
		if p := filepath.Join(d, "redis-server"); isExecutable(p) {
			return p, nil
		}
	}
	return "", errors.New("no redis-server found (looked at $REDIS_SERVER_BIN, $PATH, /usr/bin, /usr/local/bin)")
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// benchServer is a redis-server process owned by one bench run.
type benchServer struct {
	Addr   string
	dir    string
	cmd    *exec.Cmd
	exited chan error
}

// startBenchServer starts bin on a free loopback port, persistence off, in
// a temporary directory; Stop ends it and removes the directory.
func startBenchServer(ctx context.Context, bin string) (*benchServer, error) {
	dir, err := os.MkdirTemp("", "lambdis-bench-")
	if err != nil {
		return nil, err
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ { // the free port may be taken before the server binds it
		s := &benchServer{dir: dir}
		if lastErr = s.start(ctx, bin); lastErr == nil {
			return s, nil
		}
		if ctx.Err() != nil {
			break
		}
	}
	_ = os.RemoveAll(dir)
	return nil, lastErr
}

func (s *benchServer) start(ctx context.Context, bin string) error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	logFile := filepath.Join(s.dir, "redis.log")
	s.cmd = exec.Command(bin,
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir,
		"--logfile", logFile, "--daemonize", "no", "--protected-mode", "no")
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", bin, err)
	}
	s.exited = make(chan error, 1)
	go func() { s.exited <- s.cmd.Wait() }()

	deadline := time.Now().Add(benchServerStart)
	for {
		select {
		case err := <-s.exited:
			s.exited <- err
			return fmt.Errorf("%s exited at start (%v): %s", bin, err, tail(logFile))
		default:
		}
		if pingAddr(ctx, s.Addr) == nil {
			return nil
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			s.kill()
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("%s on %s did not answer within %s: %s", bin, s.Addr, benchServerStart, tail(logFile))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Stop shuts the server down (SIGTERM; with persistence off it writes
// nothing), kills it if it lingers, and removes its directory.
func (s *benchServer) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(5 * time.Second):
			s.kill()
		}
	}
	_ = os.RemoveAll(s.dir)
}

func (s *benchServer) kill() {
	_ = s.cmd.Process.Kill()
	<-s.exited
}

// pingAddr PINGs addr; a plain dial first, so that a port nobody listens on
// yet costs no go-redis log line.
func pingAddr(ctx context.Context, addr string) error {
	conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return err
	}
	_ = conn.Close()
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 200 * time.Millisecond, MaxRetries: -1, PoolSize: 1, DisableIdentity: true})
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	return c.Ping(ctx).Err()
}

// tail is the end of a log file, for an error message.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "no log"
	}
	if len(b) > 1000 {
		b = b[len(b)-1000:]
	}
	return "log: " + string(b)
}
