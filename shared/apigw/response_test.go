package apigw

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

func TestShortcuts(t *testing.T) {
	tests := []struct {
		name    string
		resp    events.APIGatewayProxyResponse
		typ     ProblemType
		detail  string // substring of the detail
		headers map[string]string
		ext     map[string]any
	}{
		{name: "bad request", resp: BadRequest("limit must be 1..100"), typ: TypeBadRequest, detail: "limit must be"},
		{name: "invalid json", resp: InvalidJSON("nope"), typ: TypeInvalidJSON, detail: "nope"},
		{name: "body too large", resp: BodyTooLarge(1024), typ: TypeBodyTooLarge, detail: "1024 bytes",
			ext: map[string]any{"max_bytes": 1024.0}},
		{name: "unauthorized", resp: Unauthorized("token expired"), typ: TypeUnauthorized, detail: "expired",
			headers: map[string]string{"WWW-Authenticate": "Bearer"}},
		{name: "forbidden", resp: Forbidden("not yours"), typ: TypeForbidden, detail: "not yours"},
		{name: "missing scope", resp: MissingScope("jobs:write"), typ: TypeForbidden, detail: `"jobs:write"`,
			headers: map[string]string{"WWW-Authenticate": `Bearer error="insufficient_scope", scope="jobs:write"`},
			ext:     map[string]any{"required_scope": "jobs:write"}},
		{name: "missing scope unsafe for a header", resp: MissingScope("a\"b"), typ: TypeForbidden,
			headers: map[string]string{"WWW-Authenticate": `Bearer error="insufficient_scope"`},
			ext:     map[string]any{"required_scope": "a\"b"}},
		{name: "not found", resp: NotFound("no job j1"), typ: TypeNotFound, detail: "j1"},
		{name: "conflict", resp: Conflict("key reused"), typ: TypeConflict, detail: "reused"},
		{name: "unprocessable without field errors", resp: Unprocessable("bad"), typ: TypeUnprocessable, detail: "bad"},
		{name: "unprocessable with field errors", resp: Unprocessable("2 invalid values",
			FieldError{Pointer: "/run_at", Detail: "in the past"}, FieldError{Pointer: "/type", Detail: "unknown"}),
			typ: TypeUnprocessable, detail: "2 invalid",
			ext: map[string]any{"errors": []any{
				map[string]any{"pointer": "/run_at", "detail": "in the past"},
				map[string]any{"pointer": "/type", "detail": "unknown"},
			}}},
		{name: "rate limited rounds up", resp: RateLimited(1500*time.Millisecond, "per_second", "per_day"),
			typ: TypeQuotaExceeded, detail: "2 seconds",
			headers: map[string]string{"Retry-After": "2"},
			ext:     map[string]any{"retry_after": 2.0, "violated-policies": []any{"per_second", "per_day"}}},
		{name: "rate limited without policies", resp: RateLimited(0), typ: TypeQuotaExceeded,
			headers: map[string]string{"Retry-After": "0"}, ext: map[string]any{"retry_after": 0.0}},
		{name: "store unavailable", resp: StoreUnavailable(), typ: TypeStoreUnavailable, detail: "retry later"},
		{name: "internal", resp: Internal(), typ: TypeInternal, detail: "logged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := parseProblem(t, tt.resp)
			if p.Type != tt.typ.URI() || p.Title != tt.typ.Title() || tt.resp.StatusCode != tt.typ.Status() {
				t.Fatalf("got type %q title %q status %d, want %s", p.Type, p.Title, tt.resp.StatusCode, tt.typ)
			}
			if !strings.Contains(p.Detail, tt.detail) {
				t.Errorf("detail %q does not contain %q", p.Detail, tt.detail)
			}
			for k, want := range tt.headers {
				if got := tt.resp.Headers[k]; got != want {
					t.Errorf("header %s = %q, want %q", k, got, want)
				}
			}
			if !reflect.DeepEqual(p.Extensions, tt.ext) {
				t.Errorf("extensions = %#v, want %#v", p.Extensions, tt.ext)
			}
		})
	}
}

func TestProblemResponseStatus(t *testing.T) {
	tests := []struct {
		name string
		p    Problem
		want int
	}{
		{"explicit", Problem{Type: "https://example.com/x", Status: 418}, 418},
		{"zero takes the type's status", Problem{Type: TypeNotFound.URI()}, 404},
		{"zero with a foreign type", Problem{Type: "https://example.com/x"}, 500},
		{"success status is not a problem", Problem{Type: TypeNotFound.URI(), Status: 200}, 500},
		{"out of range", Problem{Status: 700}, 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ProblemResponse(tt.p)
			if p := parseProblem(t, r); r.StatusCode != tt.want || p.Status != tt.want {
				t.Fatalf("status %d, body status %d, want %d", r.StatusCode, p.Status, tt.want)
			}
		})
	}
}

// TestInternalNeverLeaks: whatever went wrong, a 500 body carries only the
// fixed internal problem.
func TestInternalNeverLeaks(t *testing.T) {
	const secret = "dial tcp 10.0.3.7:6379: AUTH s3cret failed"
	cases := map[string]events.APIGatewayProxyResponse{
		"decode error of a non-body error": DecodeError(errors.New(secret)),
		"decode error of nil":              DecodeError(nil),
		"unmarshallable problem":           ProblemResponse(TypeConflict.New(secret).With("f", func() {})),
		"shadowing extension":              ProblemResponse(TypeConflict.New(secret).With("detail", secret)),
		"unmarshallable JSON":              JSON(200, map[string]any{"c": make(chan int), "s": secret}),
	}
	want := Internal()
	for name, r := range cases {
		t.Run(name, func(t *testing.T) {
			if strings.Contains(r.Body, "s3cret") || strings.Contains(r.Body, "10.0.3.7") {
				t.Fatalf("500 body leaks the error: %s", r.Body)
			}
			if !reflect.DeepEqual(r, want) {
				t.Fatalf("got %#v, want Internal() %#v", r, want)
			}
		})
	}
}

func TestJSON(t *testing.T) {
	type job struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	r := JSON(http.StatusAccepted, job{ID: "j1", Status: "queued"})
	if r.StatusCode != 202 || r.Headers["Content-Type"] != JSONContentType {
		t.Fatalf("got %d %v", r.StatusCode, r.Headers)
	}
	var got job
	if err := json.Unmarshal([]byte(r.Body), &got); err != nil || got != (job{"j1", "queued"}) {
		t.Fatalf("body %s: %v", r.Body, err)
	}

	r = JSON(http.StatusNoContent, nil)
	if r.StatusCode != 204 || r.Body != "" || r.Headers["Content-Type"] != "" {
		t.Fatalf("nil value: got %#v", r)
	}
}
