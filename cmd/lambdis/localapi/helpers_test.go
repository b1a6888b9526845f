package localapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/cmd/lambdis/localapi"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/redistest"
)

// env is a getenv over a map: tests never touch the process environment.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// logBuffer collects the server's logs and shows them if the test fails.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newLogBuffer(t *testing.T) *logBuffer {
	b := &logBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", b.String())
		}
	})
	return b
}

// start runs a Server on an httptest server over miniredis.
func start(t *testing.T, cfg localapi.Config) (*localapi.Server, *httptest.Server) {
	t.Helper()
	if cfg.Redis == nil {
		_, rdb := redistest.Miniredis(t)
		cfg.Redis = rdb
	}
	if cfg.Getenv == nil {
		cfg.Getenv = env(nil)
	}
	if cfg.LogOutput == nil {
		cfg.LogOutput = newLogBuffer(t)
	}
	srv, err := localapi.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return srv, hs
}

func do(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return resp, body
}

func newRequest(t *testing.T, method, url string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// problem decodes a problem+json body and checks its type and status.
func problem(t *testing.T, resp *http.Response, body []byte, typ apigw.ProblemType, status int) apigw.Problem {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d; body %s", resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != apigw.ProblemContentType {
		t.Errorf("Content-Type %q, want %q", ct, apigw.ProblemContentType)
	}
	var p apigw.Problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	if p.Type != typ.URI() || p.Status != status {
		t.Errorf("problem type %q status %d, want %q %d", p.Type, p.Status, typ.URI(), status)
	}
	return p
}

// allow is an authorizer answer that allows the whole stage, as the real
// authorizer's does.
func allow(principal string, ctx map[string]any) events.APIGatewayCustomAuthorizerResponse {
	return events.APIGatewayCustomAuthorizerResponse{
		PrincipalID: principal,
		PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{
			Version: "2012-10-17",
			Statement: []events.IAMPolicyStatement{{
				Action: []string{"execute-api:Invoke"}, Effect: "Allow",
				Resource: []string{"arn:aws:execute-api:us-east-1:123456789012:local/local/*"},
			}},
		},
		Context: ctx,
	}
}
