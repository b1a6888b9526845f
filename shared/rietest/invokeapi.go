package rietest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// InvokeAPI is a local stand-in for Lambda's Invoke API
// (POST /2015-03-31/functions/{name}/invocations) in front of emulators, so
// that a function's AWS SDK client, pointed at URL (AWS_ENDPOINT_URL_LAMBDA
// or AWS_ENDPOINT_URL), invokes another function running under the
// emulator, as the enqueue function wakes the worker.
//
// X-Amz-Invocation-Type Event (asynchronous) answers 202 at once and invokes
// the function in the background, as Lambda's event queue does;
// RequestResponse (the default) invokes it and answers 200 with its answer
// (X-Amz-Function-Error set for a function error); DryRun answers 204. An
// unknown function is a 404 ResourceNotFoundException. The emulator runs one
// invocation at a time, so asynchronous events for one function run one
// after the other, like a function whose reserved concurrency is 1. Requests
// are not authenticated: any (dummy) credentials do.
type InvokeAPI struct {
	// URL is the endpoint, http://127.0.0.1:<port>.
	URL string

	srv       *httptest.Server
	functions map[string]*Emulator
	ctx       context.Context // cancelled when the test ends
	cancel    context.CancelFunc

	mu     sync.Mutex
	events []AsyncEvent
	notify chan struct{} // closed and replaced whenever an event changes
	wg     sync.WaitGroup
}

// AsyncEvent is one asynchronous invocation the stand-in received.
type AsyncEvent struct {
	Function string
	Payload  []byte
	Received time.Time
	// Set once the invocation ended: the emulator's answer or the
	// transport error.
	Done   bool
	Ended  time.Time
	Status int
	Answer []byte
	Err    error
}

// NewInvokeAPI starts the stand-in for functions, by the name a client
// gives (a name, or an ARN ending in :function:<name>). It is closed when
// the test ends: background invocations still running are abandoned.
func NewInvokeAPI(t testing.TB, functions map[string]*Emulator) *InvokeAPI {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a := &InvokeAPI{functions: functions, ctx: ctx, cancel: cancel, notify: make(chan struct{})}
	a.srv = httptest.NewServer(http.HandlerFunc(a.serve))
	a.URL = a.srv.URL
	t.Cleanup(func() {
		cancel()
		a.srv.Close()
		a.wg.Wait()
	})
	return a
}

const invocationsPrefix = "/2015-03-31/functions/"

func (a *InvokeAPI) serve(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, invocationsPrefix)
	name, ok2 := strings.CutSuffix(name, "/invocations")
	if r.Method != http.MethodPost || !ok || !ok2 || name == "" {
		awsError(w, http.StatusNotFound, "UnknownOperationException", "unknown operation "+r.Method+" "+r.URL.Path)
		return
	}
	if _, after, found := strings.Cut(name, ":function:"); found {
		name, _, _ = strings.Cut(after, ":") // drop a qualifier
	}
	e, ok := a.functions[name]
	if !ok {
		awsError(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+name)
		return
	}
	payload, err := io.ReadAll(r.Body)
	if err != nil {
		awsError(w, http.StatusBadRequest, "InvalidRequestContentException", err.Error())
		return
	}
	switch typ := r.Header.Get("X-Amz-Invocation-Type"); typ {
	case "Event":
		a.mu.Lock()
		i := len(a.events)
		a.events = append(a.events, AsyncEvent{Function: name, Payload: payload, Received: time.Now()})
		a.changed()
		a.mu.Unlock()
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			status, body, err := e.Call(a.ctx, payload)
			a.mu.Lock()
			ev := &a.events[i]
			ev.Done, ev.Ended, ev.Status, ev.Answer, ev.Err = true, time.Now(), status, body, err
			a.changed()
			a.mu.Unlock()
		}()
		w.WriteHeader(http.StatusAccepted)
	case "", "RequestResponse":
		status, body, err := e.Call(r.Context(), payload)
		if err != nil || status != http.StatusOK {
			awsError(w, http.StatusBadGateway, "ServiceException", "the emulator failed")
			return
		}
		if _, failed := AsFunctionError(body); failed {
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
		}
		w.Header().Set("X-Amz-Executed-Version", "$LATEST")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	case "DryRun":
		w.WriteHeader(http.StatusNoContent)
	default:
		awsError(w, http.StatusBadRequest, "InvalidParameterValueException", "X-Amz-Invocation-Type "+typ)
	}
}

// changed wakes the waiters of WaitEvents; a.mu is held.
func (a *InvokeAPI) changed() {
	close(a.notify)
	a.notify = make(chan struct{})
}

// awsError answers as Lambda's REST-JSON API does, which the SDK decodes
// by the X-Amzn-ErrorType header.
func awsError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"Type": "User", "message": msg})
}

// Events returns a copy of the asynchronous invocations received so far.
func (a *InvokeAPI) Events() []AsyncEvent {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]AsyncEvent, len(a.events))
	copy(out, a.events)
	return out
}

// WaitEvents waits until ok accepts the events received so far, or until
// timeout, and returns the last events seen and whether ok accepted them.
func (a *InvokeAPI) WaitEvents(timeout time.Duration, ok func([]AsyncEvent) bool) ([]AsyncEvent, bool) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		a.mu.Lock()
		evs := make([]AsyncEvent, len(a.events))
		copy(evs, a.events)
		ch := a.notify
		a.mu.Unlock()
		if ok(evs) {
			return evs, true
		}
		select {
		case <-ch:
		case <-deadline.C:
			return evs, false
		}
	}
}
