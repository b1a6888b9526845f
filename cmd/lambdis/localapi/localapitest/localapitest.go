// Package localapitest serves a localapi.Server in tests as `lambdis serve`
// does: Serve on a loopback listener, so that the in-process worker runs
// too (an httptest.Server around the Server's ServeHTTP has no worker).
package localapitest

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/lambdis/lambdis/cmd/lambdis/localapi"
)

// Serve serves srv on a free port of 127.0.0.1 until the test ends, then
// shuts it down and closes it; it returns the base URL, http://127.0.0.1:<port>.
func Serve(t testing.TB, srv *localapi.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		_ = srv.Close()
	})
	return "http://" + ln.Addr().String()
}

// Log collects what a Server logs (from its goroutines too) and shows it
// when the test fails: give it as Config.LogOutput.
type Log struct {
	mu  sync.Mutex
	buf strings.Builder
}

// NewLog returns a Log that the test logs if it fails.
func NewLog(t testing.TB) *Log {
	l := &Log{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", l)
		}
	})
	return l
}

func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
