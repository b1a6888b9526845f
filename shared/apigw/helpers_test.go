package apigw

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// loadRequest reads a proxy request fixture from testdata.
func loadRequest(t *testing.T, name string) events.APIGatewayProxyRequest {
	t.Helper()
	var req events.APIGatewayProxyRequest
	loadJSON(t, name, &req)
	return req
}

func loadJSON(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("parse fixture %s: %v", name, err)
	}
}

// parseProblem checks resp is a well-formed problem response and returns it.
func parseProblem(t *testing.T, resp events.APIGatewayProxyResponse) Problem {
	t.Helper()
	if got := resp.Headers["Content-Type"]; got != ProblemContentType {
		t.Fatalf("Content-Type = %q, want %q", got, ProblemContentType)
	}
	var p Problem
	if err := json.Unmarshal([]byte(resp.Body), &p); err != nil {
		t.Fatalf("body is not a problem: %v\n%s", err, resp.Body)
	}
	if p.Status != resp.StatusCode {
		t.Fatalf("body status %d, response status %d", p.Status, resp.StatusCode)
	}
	return p
}

func base64StdDecode(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }
