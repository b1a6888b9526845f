package rietest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/rietest"
)

func TestMain(m *testing.M) { rietest.Main(m) }

const echoPkg = "./shared/rietest/testdata/echo"

type echoAnswer struct {
	Echo       string `json:"echo"`
	Invocation int    `json:"invocation"`
	PID        int    `json:"pid"`
	Env        string `json:"env"`
}

func TestBuildOnce(t *testing.T) {
	a := rietest.Build(t, echoPkg)
	b := rietest.Build(t, echoPkg+"/")
	if a != b {
		t.Fatalf("Build twice = %q, %q; want the same cached path", a, b)
	}
	if filepath.Base(a) != "bootstrap" || filepath.Base(filepath.Dir(a)) != "echo" {
		t.Errorf("Build = %q, want .../echo/bootstrap", a)
	}
}

func TestInvoke(t *testing.T) {
	t.Parallel()
	em := rietest.Start(t, rietest.Build(t, echoPkg), []string{"ECHO_ENV=from-start"})
	var first echoAnswer
	for i := 1; i <= 3; i++ {
		status, body := em.Invoke(t, []byte(`{"echo":"hello"}`))
		if status != 200 {
			t.Fatalf("Invoke #%d: status %d, body %s", i, status, body)
		}
		if fe, ok := rietest.AsFunctionError(body); ok {
			t.Fatalf("Invoke #%d: function error %v", i, fe)
		}
		var got echoAnswer
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("Invoke #%d: %v: %s", i, err, body)
		}
		if i == 1 {
			first = got
		}
		// One warm execution environment: the same process every time.
		want := echoAnswer{Echo: "hello", Invocation: i, PID: first.PID, Env: "from-start"}
		if got != want {
			t.Errorf("Invoke #%d = %+v, want %+v", i, got, want)
		}
	}
}

func TestFunctionError(t *testing.T) {
	t.Parallel()
	em := rietest.Start(t, rietest.Build(t, echoPkg), nil)
	status, body := em.Invoke(t, []byte(`{"fail":"Unauthorized"}`))
	fe, ok := rietest.AsFunctionError(body)
	if !ok {
		t.Fatalf("Invoke = %d %s, want a function error", status, body)
	}
	if status != 200 || fe.Message != "Unauthorized" || fe.Type != "errorString" {
		t.Errorf("Invoke = %d %+v, want 200 and errorString: Unauthorized", status, fe)
	}
	// The environment survives a function error.
	if status, body := em.Invoke(t, []byte(`{"echo":"again"}`)); status != 200 {
		t.Errorf("Invoke after the error = %d %s, want 200", status, body)
	} else if _, ok := rietest.AsFunctionError(body); ok {
		t.Errorf("Invoke after the error = %s, want an answer", body)
	}
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	em := rietest.Start(t, rietest.Build(t, echoPkg), []string{"AWS_LAMBDA_FUNCTION_TIMEOUT=1"})
	status, body := em.Invoke(t, []byte(`{"sleep_ms":3000}`))
	if !rietest.TimedOut(body) {
		t.Errorf("Invoke past the timeout = %d %q, want the emulator's time-out answer", status, body)
	}
}

// TestKill kills the emulator while the function is mid-invocation: the
// invocation fails at once and no process is left behind, although the
// emulator runs the bootstrap in a process group of its own.
func TestKill(t *testing.T) {
	t.Parallel()
	pidFile := filepath.Join(t.TempDir(), "pid")
	em := rietest.Start(t, rietest.Build(t, echoPkg), []string{"ECHO_PID_FILE=" + pidFile})
	type result struct {
		status int
		body   []byte
		err    error
	}
	done := make(chan result, 1)
	go func() {
		s, b, err := em.Call(context.Background(), []byte(`{"sleep_ms":60000}`))
		done <- result{s, b, err}
	}()
	var pid int
	for deadline := time.Now().Add(10 * time.Second); pid == 0; {
		if b, err := os.ReadFile(pidFile); err == nil && len(b) > 0 {
			pid, _ = strconv.Atoi(string(b))
		}
		if time.Now().After(deadline) {
			t.Fatalf("the bootstrap did not start; output:\n%s", em.Logs())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !processAlive(pid) {
		t.Fatalf("bootstrap pid %d is not running before Kill", pid)
	}
	em.Kill()
	select {
	case r := <-done:
		if r.err == nil {
			t.Errorf("Call during Kill = %d %s, want an error", r.status, r.body)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Call did not return after Kill")
	}
	if !em.Exited() {
		t.Error("the emulator still runs after Kill")
	}
	if processAlive(pid) {
		t.Errorf("the bootstrap (pid %d) survived Kill", pid)
	}
	em.Kill() // twice is fine
}

func TestAsFunctionError(t *testing.T) {
	for _, tc := range []struct {
		body string
		want *rietest.FunctionError
	}{
		{`{"errorMessage":"Unauthorized","errorType":"errorString"}`, &rietest.FunctionError{Message: "Unauthorized", Type: "errorString"}},
		{`{"errorMessage":"boom","errorType":"Runtime.ExitError"}`, &rietest.FunctionError{Message: "boom", Type: "Runtime.ExitError"}},
		{`{"principalId":"alice","policyDocument":{}}`, nil},
		{`{"errorMessage":"x","errorType":"y","statusCode":500}`, nil},
		{`{"errorMessage":"x"}`, nil},
		{`{"errorMessage":1,"errorType":"y"}`, nil},
		{`"errorMessage"`, nil},
		{`Task timed out after 1.00 seconds`, nil},
	} {
		got, ok := rietest.AsFunctionError([]byte(tc.body))
		if ok != (tc.want != nil) || ok && (got.Message != tc.want.Message || got.Type != tc.want.Type) {
			t.Errorf("AsFunctionError(%s) = %+v, %v; want %+v", tc.body, got, ok, tc.want)
		}
	}
}

func processAlive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == ')' {
			return i+2 < len(s) && s[i+2] != 'Z' && s[i+2] != 'X'
		}
	}
	return false
}

// The Invoke API stand-in: an Event invocation is answered 202 at once and
// run in the background under the emulator; RequestResponse answers the
// function's answer; an unknown function is a 404 the SDK understands.
func TestInvokeAPI(t *testing.T) {
	t.Parallel()
	em := rietest.Start(t, rietest.Build(t, echoPkg), nil)
	api := rietest.NewInvokeAPI(t, map[string]*rietest.Emulator{"echo": em})
	post := func(name, typ, body string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest("POST", api.URL+"/2015-03-31/functions/"+name+"/invocations", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if typ != "" {
			req.Header.Set("X-Amz-Invocation-Type", typ)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	resp, body := post("echo", "Event", `{"echo":"async","sleep_ms":300}`)
	if resp.StatusCode != http.StatusAccepted || len(body) != 0 {
		t.Fatalf("Event: %d %s, want 202 and no body", resp.StatusCode, body)
	}
	evs, ok := api.WaitEvents(10*time.Second, func(evs []rietest.AsyncEvent) bool { return len(evs) == 1 && evs[0].Done })
	if !ok || evs[0].Status != 200 || !strings.Contains(string(evs[0].Answer), `"echo":"async"`) || string(evs[0].Payload) != `{"echo":"async","sleep_ms":300}` {
		t.Fatalf("the background invocation: %+v", evs)
	}
	if evs[0].Ended.Sub(evs[0].Received) < 300*time.Millisecond {
		t.Errorf("the event ran %v, shorter than the handler's sleep: not the emulator's answer", evs[0].Ended.Sub(evs[0].Received))
	}
	resp, body = post("arn:aws:lambda:us-east-1:123456789012:function:echo", "", `{"echo":"sync"}`)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"echo":"sync"`) {
		t.Errorf("RequestResponse by ARN: %d %s", resp.StatusCode, body)
	}
	resp, body = post("echo", "RequestResponse", `{"echo":"x","fail":"boom"}`)
	if resp.StatusCode != 200 || resp.Header.Get("X-Amz-Function-Error") != "Unhandled" {
		t.Errorf("a function error: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	resp, _ = post("nope", "Event", `{}`)
	if resp.StatusCode != 404 || resp.Header.Get("X-Amzn-ErrorType") != "ResourceNotFoundException" {
		t.Errorf("unknown function: %d %v", resp.StatusCode, resp.Header)
	}
	if n := len(api.Events()); n != 1 {
		t.Errorf("%d asynchronous events recorded, want 1", n)
	}
}
