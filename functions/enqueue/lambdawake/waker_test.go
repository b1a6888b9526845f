package lambdawake

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// invokeAPI is a stand-in for Lambda's Invoke API that records what it is
// asked and answers status.
type invokeAPI struct {
	status int
	mu     sync.Mutex
	calls  []call
}

type call struct {
	path, invocationType, payload string
}

func (a *invokeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	a.mu.Lock()
	a.calls = append(a.calls, call{r.URL.Path, r.Header.Get("X-Amz-Invocation-Type"), string(b)})
	a.mu.Unlock()
	w.WriteHeader(a.status)
}

// fromEnv builds the waker as the enqueue function does, its endpoint the
// stand-in (AWS_ENDPOINT_URL_LAMBDA) and dummy credentials.
func fromEnv(t *testing.T, endpoint string) *Waker {
	t.Helper()
	t.Setenv("AWS_ENDPOINT_URL_LAMBDA", endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDLAMBDISTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "lambdis-test-secret")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	w, err := FromEnv(context.Background(), func(k string) string {
		return map[string]string{EnvFunction: "lambdis-worker"}[k]
	})
	if err != nil || w == nil {
		t.Fatalf("FromEnv: %v %v", w, err)
	}
	return w.(*Waker)
}

// A wake is one asynchronous Invoke of the named function with the queue
// as the worker's input, sent to the endpoint AWS_ENDPOINT_URL_LAMBDA names.
func TestWakeInvokesTheWorkerAsynchronously(t *testing.T) {
	api := &invokeAPI{status: http.StatusAccepted}
	srv := httptest.NewServer(api)
	defer srv.Close()
	w := fromEnv(t, srv.URL)
	if err := w.Wake(context.Background(), "orders"); err != nil {
		t.Fatal(err)
	}
	want := call{"/2015-03-31/functions/lambdis-worker/invocations", "Event", `{"wake":"orders"}`}
	if len(api.calls) != 1 || api.calls[0] != want {
		t.Fatalf("calls %+v, want one %+v", api.calls, want)
	}
}

// An answer other than 202, an endpoint that is down and a request without
// time left are errors, each within the wake's bound.
func TestWakeFailures(t *testing.T) {
	t.Run("status", func(t *testing.T) {
		api := &invokeAPI{status: http.StatusOK} // a synchronous answer: not what was asked
		srv := httptest.NewServer(api)
		defer srv.Close()
		if err := fromEnv(t, srv.URL).Wake(context.Background(), "orders"); err == nil {
			t.Fatal("a 200 answer was taken for a queued event")
		}
	})
	t.Run("throttled", func(t *testing.T) {
		api := &invokeAPI{status: http.StatusTooManyRequests}
		srv := httptest.NewServer(api)
		defer srv.Close()
		if err := fromEnv(t, srv.URL).Wake(context.Background(), "orders"); err == nil {
			t.Fatal("a 429 was taken for a wake")
		}
		if n := len(api.calls); n < 1 || n > maxAttempts {
			t.Errorf("%d calls, want 1 to %d", n, maxAttempts)
		}
	})
	t.Run("down", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		_ = l.Close() // nothing listens there now
		if err := fromEnv(t, "http://"+addr).Wake(context.Background(), "orders"); err == nil {
			t.Fatal("a wake with the endpoint down succeeded")
		}
	})
	t.Run("hangs", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		defer srv.Close()
		defer close(release)
		w := fromEnv(t, srv.URL)
		w.Timeout = 50 * time.Millisecond
		if err := w.Wake(context.Background(), "orders"); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("a hanging endpoint: %v, want the wake's deadline", err)
		}
	})
	t.Run("no time left", func(t *testing.T) {
		api := &invokeAPI{status: http.StatusAccepted}
		srv := httptest.NewServer(api)
		defer srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), Reserve/2)
		defer cancel()
		if err := fromEnv(t, srv.URL).Wake(ctx, "orders"); !errors.Is(err, ErrNoTime) || len(api.calls) != 0 {
			t.Fatalf("%v with %d calls, want ErrNoTime and none", err, len(api.calls))
		}
	})
}

// Without ENQUEUE_WAKE_FUNCTION there is no waker: only ticks start workers.
func TestFromEnvUnset(t *testing.T) {
	w, err := FromEnv(context.Background(), func(string) string { return "" })
	if err != nil || w != nil {
		t.Fatalf("FromEnv() = %v, %v; want no waker", w, err)
	}
}
