package rietest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/redistest"
)

// InvocationsPath is the emulator's invoke endpoint (Lambda's Invoke API).
const InvocationsPath = "/2015-03-31/functions/function/invocations"

// Defaults of the function's environment; the env given to Start overrides
// them.
const (
	DefaultTimeout    = 30 // seconds, AWS_LAMBDA_FUNCTION_TIMEOUT (the emulator's own default is 300)
	DefaultMemorySize = 128
	DefaultRegion     = "us-east-1"
)

// startTimeout bounds how long Start waits for the emulator to listen.
const startTimeout = 10 * time.Second

// Emulator is a running aws-lambda-rie with one function's bootstrap. The
// bootstrap starts on the first invocation (the emulator's init is lazy) and
// stays up between invocations, like a warm Lambda execution environment.
type Emulator struct {
	// Addr is the emulator's host:port on loopback.
	Addr string
	// URL is the invoke endpoint, http://Addr/2015-03-31/functions/function/invocations.
	URL string
	// Timeout is the function's timeout (AWS_LAMBDA_FUNCTION_TIMEOUT).
	Timeout time.Duration

	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd.Wait returns
	logs   *syncBuffer
	client *http.Client

	invokeMu sync.Mutex // the emulator runs one invocation at a time
	killOnce sync.Once
}

// Start runs aws-lambda-rie around bootstrap (see Build) on free loopback
// ports and waits until it accepts connections. The function's environment
// is clean, as in a Lambda execution environment: the emulator passes its
// own environment to the function, and Start gives it only PATH, TZ=UTC,
// AWS_REGION and AWS_DEFAULT_REGION (DefaultRegion), LAMBDA_TASK_ROOT (the
// bootstrap's directory), AWS_LAMBDA_FUNCTION_NAME (the directory's name),
// AWS_LAMBDA_FUNCTION_TIMEOUT (DefaultTimeout) and
// AWS_LAMBDA_FUNCTION_MEMORY_SIZE (DefaultMemorySize), then env
// ("KEY=value", later entries win). The emulator itself reads LOG_LEVEL for
// its own log level. The emulator and the bootstrap are killed when the test
// ends; their output is logged if the test failed.
func Start(t testing.TB, bootstrap string, env []string) *Emulator {
	t.Helper()
	if runtime.GOOS != "linux" {
		redistest.SkipOrFail(t, "aws-lambda-rie runs only on Linux")
	}
	abs, err := filepath.Abs(bootstrap)
	if err != nil {
		t.Fatalf("rietest: bootstrap %s: %v", bootstrap, err)
	}
	if fi, err := os.Stat(abs); err != nil || fi.IsDir() {
		t.Fatalf("rietest: bootstrap %s is not a file (%v)", bootstrap, err)
	}
	environ := environment(abs, env)
	timeout, err := strconv.Atoi(lookup(environ, "AWS_LAMBDA_FUNCTION_TIMEOUT"))
	if err != nil || timeout < 1 {
		t.Fatalf("rietest: AWS_LAMBDA_FUNCTION_TIMEOUT must be whole seconds above 0, got %q", lookup(environ, "AWS_LAMBDA_FUNCTION_TIMEOUT"))
	}
	rie := rieBinary(t)

	var e *Emulator
	for attempt := 1; ; attempt++ {
		e, err = start(rie, abs, environ, time.Duration(timeout)*time.Second)
		if err == nil {
			break
		}
		// Free ports are free when picked, not necessarily when bound.
		if attempt == 5 || !strings.Contains(err.Error(), "address already in use") {
			t.Fatalf("rietest: start aws-lambda-rie: %v", err)
		}
	}
	t.Cleanup(func() {
		e.Kill()
		if t.Failed() {
			t.Logf("rietest: output of aws-lambda-rie %s (%s):\n%s", e.Addr, filepath.Base(filepath.Dir(abs)), e.Logs())
		}
	})
	return e
}

func start(rie, bootstrap string, environ []string, timeout time.Duration) (*Emulator, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
	apiAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1]))
	// The Runtime API address defaults to 127.0.0.1:9001, which two
	// emulators would share.
	cmd := exec.Command(rie,
		"--runtime-interface-emulator-address", addr,
		"--runtime-api-address", apiAddr,
		bootstrap)
	cmd.Dir = filepath.Dir(bootstrap) // the function's working directory, like /var/task
	cmd.Env = environ
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.SysProcAttr = sysProcAttr()
	cmd.WaitDelay = 2 * time.Second // a bootstrap holding the output pipe must not block Wait
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	e := &Emulator{
		Addr: addr, URL: "http://" + addr + InvocationsPath, Timeout: timeout,
		cmd: cmd, exited: make(chan struct{}), logs: logs,
		client: &http.Client{Transport: &http.Transport{DisableKeepAlives: true}},
	}
	go func() {
		_ = cmd.Wait()
		close(e.exited)
	}()
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-e.exited:
			return nil, fmt.Errorf("aws-lambda-rie exited at start (%v); output:\n%s", cmd.ProcessState, logs.String())
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
			_ = c.Close()
			return e, nil
		}
		if time.Now().After(deadline) {
			e.Kill()
			return nil, fmt.Errorf("aws-lambda-rie did not listen on %s within %v; output:\n%s", addr, startTimeout, logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Invoke posts payload to the emulator and returns the HTTP status and body.
// A function error is a normal answer: see AsFunctionError. A transport
// error (the emulator is gone) fails the test.
func (e *Emulator) Invoke(t testing.TB, payload []byte) (status int, body []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), e.Timeout+10*time.Second)
	defer cancel()
	status, body, err := e.Call(ctx, payload)
	if err != nil {
		t.Fatalf("rietest: invoke %s: %v\noutput so far:\n%s", e.Addr, err, e.Logs())
	}
	return status, body
}

// Call is Invoke without a test: it may run in another goroutine, e.g. one
// that expects an error because the test kills the emulator mid-invocation.
// Invocations are serialised, as the emulator runs one at a time.
func (e *Emulator) Call(ctx context.Context, payload []byte) (status int, body []byte, err error) {
	e.invokeMu.Lock()
	defer e.invokeMu.Unlock()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL, bytes.NewReader(payload))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, fmt.Errorf("read the answer: %w", err)
	}
	return resp.StatusCode, body, nil
}

// Kill SIGKILLs the emulator and every process it started (the bootstrap
// runs in its own process group), as a crashed or timed-out execution
// environment dies, and waits until they are gone. Safe to call twice and
// from any goroutine; an invocation in flight fails.
func (e *Emulator) Kill() {
	e.killOnce.Do(func() {
		select {
		case <-e.exited:
			return
		default:
		}
		killTree(e.cmd.Process.Pid)
		<-e.exited
	})
}

// Exited reports whether the emulator process has ended.
func (e *Emulator) Exited() bool {
	select {
	case <-e.exited:
		return true
	default:
		return false
	}
}

// Logs returns what the emulator and the function wrote so far (the
// emulator copies the function's stdout and stderr to its own).
func (e *Emulator) Logs() string { return e.logs.String() }

// WaitLogs reports whether the logs contain s, waiting up to 10 s for it:
// the emulator copies the function's output through a pipe, so a line the
// function wrote before it answered may reach the logs after the answer.
func (e *Emulator) WaitLogs(s string) bool {
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if strings.Contains(e.Logs(), s) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// environment is the function's environment: the defaults, then env.
func environment(bootstrap string, env []string) []string {
	dir := filepath.Dir(bootstrap)
	m := map[string]string{
		"PATH":                            os.Getenv("PATH"),
		"TZ":                              "UTC",
		"AWS_REGION":                      DefaultRegion,
		"AWS_DEFAULT_REGION":              DefaultRegion,
		"LAMBDA_TASK_ROOT":                dir,
		"AWS_LAMBDA_FUNCTION_NAME":        filepath.Base(dir),
		"AWS_LAMBDA_FUNCTION_TIMEOUT":     strconv.Itoa(DefaultTimeout),
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(DefaultMemorySize),
	}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

func lookup(environ []string, key string) string {
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, key+"="); ok {
			return v
		}
	}
	return ""
}

// freePorts returns n distinct loopback ports that are free now.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// syncBuffer is a bytes.Buffer safe for the writers of two pipes and a
// reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
