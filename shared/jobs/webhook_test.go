package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/queue"
	"github.com/lambdis/lambdis/shared/redistest"
)

// received is one request a test receiver got.
type received struct {
	method, path string
	header       http.Header
	body         []byte
}

// receiver is an httptest server on loopback that answers every request
// with status (and Location for redirects) and records what it got.
type receiver struct {
	srv    *httptest.Server
	status atomic.Int32
	delay  time.Duration
	mu     sync.Mutex
	got    []received
}

func newReceiver(t *testing.T, status int) *receiver {
	t.Helper()
	r := &receiver{}
	r.status.Store(int32(status))
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{req.Method, req.URL.Path, req.Header.Clone(), body})
		r.mu.Unlock()
		if r.delay > 0 {
			select {
			case <-time.After(r.delay):
			case <-req.Context().Done():
				return
			}
		}
		code := int(r.status.Load())
		if code >= 300 && code <= 399 {
			w.Header().Set("Location", "/hooks/redirected")
		}
		w.WriteHeader(code)
		fmt.Fprintf(w, "answer %d", code)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

func webhookPayload(url, body string, headers map[string]string) string {
	p := map[string]any{"url": url, "body": json.RawMessage(body)}
	if headers != nil {
		p["headers"] = headers
	}
	b, _ := json.Marshal(p)
	return string(b)
}

func TestWebhookSignedPost(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	rcv := newReceiver(t, 204)
	reg := registryFor(t, rdb, Config{WebhookAllowedURLs: []string{rcv.srv.URL + "/hooks"}})
	body := `{"order": 42, "items": ["a", "b"]}`
	// The body goes out byte for byte, whitespace included.
	d := delivery(TypeWebhook, `{"url":"`+rcv.srv.URL+`/hooks/orders?tenant=acme","headers":{"X-Tenant":"acme"},"body":`+body+`}`)
	before := time.Now()
	if err := run(t, reg, context.Background(), d); err != nil {
		t.Fatal(err)
	}
	got := rcv.requests()
	if len(got) != 1 {
		t.Fatalf("%d requests", len(got))
	}
	r := got[0]
	if r.method != "POST" || r.path != "/hooks/orders" || string(r.body) != body {
		t.Fatalf("request %s %s %q", r.method, r.path, r.body)
	}
	h := r.header
	if h.Get("Content-Type") != "application/json" || h.Get(HeaderJobID) != d.ID || h.Get(HeaderAttempt) != "2" ||
		h.Get("X-Tenant") != "acme" || h.Get("User-Agent") != UserAgent {
		t.Fatalf("headers %v", h)
	}
	// The signature verifies from the header alone, with the secret.
	sig := h.Get(HeaderSignature)
	if err := VerifySignature([]byte(testSecret), sig, r.body, 0, time.Now()); err != nil {
		t.Fatalf("signature %q: %v", sig, err)
	}
	ts, _, _ := strings.Cut(strings.TrimPrefix(sig, "t="), ",")
	if sec, err := strconv.ParseInt(ts, 10, 64); err != nil || sec < before.Unix() || sec > time.Now().Unix() {
		t.Fatalf("timestamp %q", ts)
	}
	for name, err := range map[string]error{
		"wrong secret":  VerifySignature([]byte(strings.ToUpper(testSecret)), sig, r.body, 0, time.Now()),
		"tampered body": VerifySignature([]byte(testSecret), sig, []byte(`{"order": 43, "items": ["a", "b"]}`), 0, time.Now()),
		"replayed late": VerifySignature([]byte(testSecret), sig, r.body, time.Minute, time.Now().Add(2*time.Minute)),
		"no timestamp":  VerifySignature([]byte(testSecret), sig[strings.Index(sig, ",")+1:], r.body, 0, time.Now()),
		"garbage":       VerifySignature([]byte(testSecret), "nonsense", r.body, 0, time.Now()),
	} {
		if !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Receivers may list several v1 values (e.g. during a secret rotation).
	if err := VerifySignature([]byte(testSecret), sig+",v1=00ff", r.body, 0, time.Now()); err != nil {
		t.Errorf("extra v1: %v", err)
	}
	if want := Sign([]byte(testSecret), time.Unix(1767225600, 0), []byte("{}")); !strings.HasPrefix(want, "t=1767225600,v1=") || len(want) != len("t=1767225600,v1=")+64 {
		t.Errorf("Sign format %q", want)
	}
}

// Every status class: 2xx done, 408/429/5xx retried, other 4xx and 3xx
// permanent; a redirect is never followed.
func TestWebhookStatusClasses(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	rcv := newReceiver(t, 200)
	reg := registryFor(t, rdb, Config{WebhookAllowedURLs: []string{rcv.srv.URL + "/hooks/"}})
	d := delivery(TypeWebhook, webhookPayload(rcv.srv.URL+"/hooks/x", `{"n":1}`, nil))
	type outcome int
	const (
		success outcome = iota
		retry
		permanent
	)
	cases := map[int]outcome{
		200: success, 201: success, 202: success, 204: success, 299: success,
		301: permanent, 302: permanent, 303: permanent, 307: permanent, 308: permanent,
		400: permanent, 401: permanent, 403: permanent, 404: permanent, 410: permanent, 413: permanent, 422: permanent,
		408: retry, 429: retry,
		500: retry, 502: retry, 503: retry, 504: retry,
	}
	for code, want := range cases {
		rcv.status.Store(int32(code))
		n := len(rcv.requests())
		err := run(t, reg, context.Background(), d)
		var got outcome
		switch {
		case err == nil:
			got = success
		case queue.IsPermanent(err):
			got = permanent
		default:
			got = retry
		}
		if got != want {
			t.Errorf("status %d: %v (outcome %d, want %d)", code, err, got, want)
		}
		if err != nil && !strings.Contains(err.Error(), strconv.Itoa(code)) {
			t.Errorf("status %d: the error %q does not name it", code, err)
		}
		reqs := rcv.requests()
		if len(reqs) != n+1 {
			t.Errorf("status %d: %d requests, want exactly one (redirects are not followed)", code, len(reqs)-n)
		}
	}
	for _, r := range rcv.requests() {
		if r.path != "/hooks/x" {
			t.Errorf("a request reached %s", r.path)
		}
	}
}

func TestWebhookTimeoutsAndNetworkErrorsRetry(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	rcv := newReceiver(t, 200)
	rcv.delay = 5 * time.Second
	reg := registryFor(t, rdb, Config{WebhookAllowedURLs: []string{rcv.srv.URL}, WebhookTimeout: 100 * time.Millisecond})
	d := delivery(TypeWebhook, webhookPayload(rcv.srv.URL+"/slow", `{}`, nil))

	start := time.Now()
	err := run(t, reg, context.Background(), d)
	if err == nil || queue.IsPermanent(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WEBHOOK_TIMEOUT: %v, want a retryable deadline error", err)
	}
	if time.Since(start) > 3*time.Second {
		t.Fatalf("the POST outlived its timeout: %v", time.Since(start))
	}

	// The job's own deadline bounds the POST too.
	long := registryFor(t, rdb, Config{WebhookAllowedURLs: []string{rcv.srv.URL}, WebhookTimeout: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start = time.Now()
	err = run(t, long, ctx, d)
	if err == nil || queue.IsPermanent(err) || time.Since(start) > 3*time.Second {
		t.Fatalf("job deadline: %v after %v", err, time.Since(start))
	}

	// Nothing listening: a network error, retried.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	reg = registryFor(t, rdb, Config{WebhookAllowedURLs: []string{dead}})
	err = run(t, reg, context.Background(), delivery(TypeWebhook, webhookPayload(dead+"/x", `{}`, nil)))
	if err == nil || queue.IsPermanent(err) {
		t.Fatalf("connection refused: %v, want a retryable error", err)
	}
}

// The allow-list is enforced at enqueue (the validator) for every URL form.
func TestWebhookAllowListAtEnqueue(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	reg := registryFor(t, rdb, Config{WebhookAllowedURLs: []string{
		"http://127.0.0.1:8080/hooks",
		"https://hooks.example.com/lambdis/",
		"https://all.example.com",
	}})
	ok := []string{
		"http://127.0.0.1:8080/hooks",
		"http://127.0.0.1:8080/hooks/",
		"http://127.0.0.1:8080/hooks/a/b",
		"http://127.0.0.1:8080/hooks?x=1",
		"https://hooks.example.com/lambdis/x",
		"https://HOOKS.example.com:443/lambdis/x",
		"https://all.example.com/anything/at/all",
		"https://all.example.com",
	}
	bad := []string{
		"",
		"/hooks",
		"hooks.example.com/lambdis/x",
		"ftp://hooks.example.com/lambdis/x",
		"http://127.0.0.1:8080/hooksx",
		"http://127.0.0.1:8080/other",
		"http://127.0.0.1:8081/hooks",
		"https://127.0.0.1:8080/hooks",
		"http://localhost:8080/hooks",
		"https://hooks.example.com/lambdis",
		"https://hooks.example.com/other/x",
		"https://hooks.example.com:8443/lambdis/x",
		"http://hooks.example.com/lambdis/x",
		"https://evil.example.com/lambdis/x",
		"https://hooks.example.com.evil.net/lambdis/x",
		"https://user@hooks.example.com/lambdis/x",
		"https://hooks.example.com@evil.net/lambdis/x",
		"https://hooks.example.com/lambdis/x#frag",
		"http://127.0.0.1:8080/hooks/../admin",
		"http://127.0.0.1:8080/hooks/%2e%2e/admin",
		"http://127.0.0.1:8080/hooks%2F..%2Fadmin",
		"http://127.0.0.1:8080/hooks/a%5C..%5Cb",
		"http://127.0.0.1:8080/hooks\\..\\admin",
		"http://127.0.0.1:8080/hooks/a\nb",
		"https://hooks.example.com/lambdis/" + strings.Repeat("a", MaxWebhookURL),
	}
	for _, u := range ok {
		if err := reg.Validate(TypeWebhook, json.RawMessage(webhookPayload(u, `{}`, nil))); err != nil {
			t.Errorf("%q rejected: %v", u, err)
		}
	}
	for _, u := range bad {
		err := reg.Validate(TypeWebhook, json.RawMessage(webhookPayload(u, `{}`, nil)))
		if !errors.Is(err, queue.ErrInvalidJob) {
			t.Errorf("%q accepted: %v", u, err)
		}
	}

	// The payload's shape.
	url := "https://hooks.example.com/lambdis/x"
	shapes := map[string]string{
		"null":            `null`,
		"array":           `[]`,
		"string":          `"https://hooks.example.com/lambdis/x"`,
		"unknown member":  `{"url":"` + url + `","body":{},"method":"PUT"}`,
		"no body":         `{"url":"` + url + `"}`,
		"trailing data":   `{"url":"` + url + `","body":{}} {}`,
		"host header":     webhookPayload(url, `{}`, map[string]string{"Host": "evil.net"}),
		"content-length":  webhookPayload(url, `{}`, map[string]string{"content-length": "1"}),
		"content-type":    webhookPayload(url, `{}`, map[string]string{"Content-Type": "text/plain"}),
		"signature":       webhookPayload(url, `{}`, map[string]string{"Lambdis-Signature": "t=1,v1=00"}),
		"job id":          webhookPayload(url, `{}`, map[string]string{"lambdis-job-id": "x"}),
		"transfer":        webhookPayload(url, `{}`, map[string]string{"Transfer-Encoding": "chunked"}),
		"bad name":        webhookPayload(url, `{}`, map[string]string{"X Tenant": "a"}),
		"empty name":      webhookPayload(url, `{}`, map[string]string{"": "a"}),
		"header CRLF":     webhookPayload(url, `{}`, map[string]string{"X-A": "a\r\nHost: evil.net"}),
		"too many":        webhookPayload(url, `{}`, manyHeaders(MaxWebhookHeaders+1)),
		"long header val": webhookPayload(url, `{}`, map[string]string{"X-A": strings.Repeat("a", MaxWebhookHeaderValue+1)}),
		// Issue 12: two readers of a payload must not see different URLs.
		"duplicate url":      `{"url":"https://hooks.example.com/NOTALLOWED","url":"` + url + `","body":{}}`,
		"case variant url":   `{"URL":"https://hooks.example.com/NOTALLOWED","url":"` + url + `","body":{}}`,
		"folded url":         `{"url":"` + url + `","body":{},"ſrl":"x"}`,
		"duplicate in body":  `{"url":"` + url + `","body":{"a":{"b":1,"b":2}}}`,
		"duplicate header":   `{"url":"` + url + `","body":{},"headers":{"X-A":"1","X-A":"2"}}`,
		"invalid UTF-8 body": "{\"url\":\"" + url + "\",\"body\":\"\xff\"}",
	}
	for name, p := range shapes {
		if err := reg.Validate(TypeWebhook, json.RawMessage(p)); !errors.Is(err, queue.ErrInvalidJob) {
			t.Errorf("%s accepted: %v", name, err)
		}
	}
	if err := reg.Validate(TypeWebhook, json.RawMessage(webhookPayload(url, `null`, manyHeaders(MaxWebhookHeaders)))); err != nil {
		t.Errorf("a null body and %d headers: %v", MaxWebhookHeaders, err)
	}

	// No allow-list: webhooks are off.
	off := registryFor(t, rdb, Config{})
	if err := off.Validate(TypeWebhook, json.RawMessage(webhookPayload(url, `{}`, nil))); err == nil || !strings.Contains(err.Error(), EnvWebhookAllowedURLs) {
		t.Errorf("webhook with an empty allow-list: %v", err)
	}
}

func manyHeaders(n int) map[string]string {
	h := map[string]string{}
	for i := range n {
		h[fmt.Sprintf("X-H%d", i)] = "v"
	}
	return h
}

// A job enqueued under one allow-list and run under another (narrower) one
// is dead-lettered without a request, as is any payload the validator would
// have refused.
func TestWebhookHandlerRechecksAllowList(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	rcv := newReceiver(t, 200)
	enq := registryFor(t, rdb, Config{WebhookAllowedURLs: []string{rcv.srv.URL + "/"}})
	payload := webhookPayload(rcv.srv.URL+"/hooks/x", `{}`, nil)
	if err := enq.Validate(TypeWebhook, json.RawMessage(payload)); err != nil {
		t.Fatal(err)
	}
	for name, reg := range map[string]*queue.Registry{
		"narrower list": registryFor(t, rdb, Config{WebhookAllowedURLs: []string{rcv.srv.URL + "/other/"}}),
		"empty list":    registryFor(t, rdb, Config{}),
	} {
		err := run(t, reg, context.Background(), delivery(TypeWebhook, payload))
		if !queue.IsPermanent(err) {
			t.Errorf("%s: %v, want a permanent error", name, err)
		}
	}
	err := run(t, enq, context.Background(), delivery(TypeWebhook, `{"url":"`+rcv.srv.URL+`/x"}`))
	if !queue.IsPermanent(err) {
		t.Errorf("invalid payload: %v, want a permanent error", err)
	}
	if n := len(rcv.requests()); n != 0 {
		t.Fatalf("%d requests reached the receiver", n)
	}
}
