package events_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/lambdis/lambdis/shared/rietest"
	"github.com/lambdis/lambdis/shared/xray"
)

// With active tracing, Lambda gives each invocation's trace header to the
// runtime (the Runtime API's Lambda-Runtime-Trace-Id) and runs an X-Ray
// daemon at AWS_XRAY_DAEMON_ADDRESS. The emulator cannot show this: it
// hands the runtime an empty trace header whatever the invoke request
// carries. So this test is the Runtime API itself, as Lambda's answers it,
// for the session function's real bootstrap, with a UDP listener as the
// daemon: the Redis calls of the sampled invocation arrive as "redis"
// subsegments of its segment; the unsampled invocation before it sends none.
func TestRedisSubsegmentsFromBootstrap(t *testing.T) {
	const (
		untraced = "Root=1-6751a2b3-fedcba9876543210fedcba98;Parent=1111111111111111;Sampled=0"
		root     = "1-6751a2b3-0123456789abcdef01234567"
		parent   = "53995c3f42cd8ad8"
	)
	srv := redistest.StartServer(t)
	daemon, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer daemon.Close()

	payload := readSample(t, fileSessionList)
	headers := []string{untraced, "Root=" + root + ";Parent=" + parent + ";Sampled=1"}
	answers := make(chan string, len(headers))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		mu   sync.Mutex
		next int
	)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/2018-06-01/runtime/invocation/next":
			mu.Lock()
			i := next
			next++
			mu.Unlock()
			if i >= len(headers) {
				<-ctx.Done() // no more invocations: the runtime waits
				return
			}
			h := w.Header()
			h.Set("Lambda-Runtime-Aws-Request-Id", "req-"+strconv.Itoa(i))
			h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(time.Minute).UnixMilli(), 10))
			h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:session")
			h.Set("Lambda-Runtime-Trace-Id", headers[i])
			_, _ = w.Write(payload)
		case r.Method == http.MethodPost:
			body, _ := io.ReadAll(r.Body)
			w.WriteHeader(http.StatusAccepted)
			answers <- r.URL.Path + " " + string(body)
		default:
			http.NotFound(w, r)
		}
	}))
	defer api.Close()
	defer cancel() // before api.Close: release the waiting GET

	bin := rietest.Build(t, "session")
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = append(functionEnv(t, sessionFunction, srv.Addr),
		"PATH="+os.Getenv("PATH"), "TZ=UTC", "AWS_REGION=us-east-1", "AWS_LAMBDA_FUNCTION_NAME=session",
		"AWS_LAMBDA_RUNTIME_API="+strings.TrimPrefix(api.URL, "http://"),
		xray.EnvDaemonAddress+"="+daemon.LocalAddr().String())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = cmd.Wait() }()

	for i := range headers {
		select {
		case a := <-answers:
			if !strings.HasSuffix(strings.Fields(a)[0], "/response") || !strings.Contains(a, `"statusCode":200`) {
				t.Fatalf("invocation %d answered %s\n%s", i, a, out.String())
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("invocation %d: no answer\n%s", i, out.String())
		}
	}

	// The first datagram is the sampled invocation's: the init's PING
	// (outside any invocation) and the unsampled invocation sent none.
	buf := make([]byte, 64*1024)
	if err := daemon.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	n, err := daemon.Read(buf)
	if err != nil {
		t.Fatalf("no subsegment: %v\n%s", err, out.String())
	}
	line, doc, _ := bytes.Cut(buf[:n], []byte("\n"))
	var s xray.Subsegment
	if string(line) != `{"format": "json", "version": 1}` || json.Unmarshal(doc, &s) != nil {
		t.Fatalf("datagram %q: want the header line and a subsegment", buf[:n])
	}
	if s.TraceID != root || s.ParentID != parent || s.Name != "redis" || s.Namespace != "remote" {
		t.Errorf("subsegment %s: want trace %s, parent %s, name redis, namespace remote", doc, root, parent)
	}
	if cmds, _ := s.Metadata["redis"]["commands"].([]any); len(cmds) == 0 {
		t.Errorf("subsegment %s lists no command", doc)
	}
	t.Logf("%s", doc)
}
