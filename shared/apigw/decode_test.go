package apigw

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/shared/strictjson"
)

// jobRequest is a typical handler input.
type jobRequest struct {
	Type     string         `json:"type"`
	Payload  map[string]any `json:"payload"`
	Tags     []string       `json:"tags,omitempty"`
	Priority int            `json:"priority,omitempty"`
	RunAt    *time.Time     `json:"run_at,omitempty"`
	Nested   *struct {
		Deep int `json:"deep"`
	} `json:"nested,omitempty"`
}

func fixtureBody(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "bodies", name))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return string(b)
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestDecodeJSON(t *testing.T) {
	plain := func(body string) events.APIGatewayProxyRequest {
		return events.APIGatewayProxyRequest{Body: body}
	}
	encoded := func(body string) events.APIGatewayProxyRequest {
		return events.APIGatewayProxyRequest{Body: body, IsBase64Encoded: true}
	}
	tests := []struct {
		name   string
		req    events.APIGatewayProxyRequest
		limit  int64
		kind   error       // nil: success
		status int         // of DecodeError, when kind != nil
		typ    ProblemType // of DecodeError, when kind != nil
		field  string      // BodyError.Field (a JSON Pointer), when set
	}{
		{name: "valid", req: plain(fixtureBody(t, "valid_job.json"))},
		{name: "valid with surrounding whitespace", req: plain("\n\t {\"type\":\"x\"} \r\n")},
		{name: "valid unicode and nesting", req: plain(fixtureBody(t, "unicode_nested.json"))},
		{name: "base64 fixture event", req: loadRequest(t, "request_base64.json")},
		{name: "base64 with MIME line breaks", req: encoded(b64(`{"type":"x"}`)[:8] + "\r\n" + b64(`{"type":"x"}`)[8:])},
		{name: "exactly at the limit", req: plain(`{"type":"x"}`), limit: int64(len(`{"type":"x"}`))},

		{name: "one byte over the limit", req: plain(`{"type":"x"}`), limit: int64(len(`{"type":"x"}`)) - 1,
			kind: ErrBodyTooLarge, status: 413, typ: TypeBodyTooLarge},
		{name: "default limit", req: plain(`{"type":"` + strings.Repeat("a", int(DefaultBodyLimit)) + `"}`),
			kind: ErrBodyTooLarge, status: 413, typ: TypeBodyTooLarge},
		{name: "base64 over the limit after decoding", req: encoded(b64(`{"type":"xyz"}`)), limit: 13,
			kind: ErrBodyTooLarge, status: 413, typ: TypeBodyTooLarge},
		{name: "base64 far over the limit is not decoded", req: encoded(strings.Repeat("!", 100)), limit: 10,
			kind: ErrBodyTooLarge, status: 413, typ: TypeBodyTooLarge},
		{name: "invalid base64", req: encoded("not base64!"),
			kind: ErrBodyEncoding, status: 400, typ: TypeBadRequest},
		{name: "empty", req: plain(""), kind: ErrEmptyBody, status: 400, typ: TypeInvalidJSON},
		{name: "whitespace only", req: plain(" \n\t"), kind: ErrEmptyBody, status: 400, typ: TypeInvalidJSON},
		{name: "null", req: plain(fixtureBody(t, "null.json")), kind: ErrEmptyBody, status: 400, typ: TypeInvalidJSON},
		{name: "empty base64", req: encoded(""), kind: ErrEmptyBody, status: 400, typ: TypeInvalidJSON},
		{name: "syntax error", req: plain(`{"type":}`), kind: ErrInvalidJSON, status: 400, typ: TypeInvalidJSON},
		{name: "truncated", req: plain(fixtureBody(t, "truncated.json")), kind: ErrInvalidJSON, status: 400, typ: TypeInvalidJSON},
		{name: "not UTF-8", req: plain("{\"type\":\"\xff\"}"), kind: ErrInvalidJSON, status: 400, typ: TypeInvalidJSON},
		{name: "value rejected by UnmarshalJSON", req: plain(`{"run_at":"yesterday"}`),
			kind: ErrInvalidJSON, status: 400, typ: TypeInvalidJSON},
		{name: "wrong type", req: plain(fixtureBody(t, "wrong_type.json")),
			kind: ErrJSONType, status: 400, typ: TypeInvalidJSON, field: "/priority"},
		{name: "array for an object", req: plain(fixtureBody(t, "array.json")),
			kind: ErrJSONType, status: 400, typ: TypeInvalidJSON},
		{name: "nested wrong type", req: plain(`{"nested":{"deep":"1"}}`),
			kind: ErrJSONType, status: 400, typ: TypeInvalidJSON, field: "/nested/deep"},
		{name: "unknown field", req: plain(fixtureBody(t, "unknown_field.json")),
			kind: ErrUnknownField, status: 400, typ: TypeInvalidJSON, field: "/unknown"},
		{name: "nested unknown field", req: plain(`{"nested":{"deep":1,"deeper":2}}`),
			kind: ErrUnknownField, status: 400, typ: TypeInvalidJSON, field: "/nested/deeper"},
		{name: "second value", req: plain(fixtureBody(t, "trailing.json")),
			kind: ErrTrailingData, status: 400, typ: TypeInvalidJSON},
		{name: "trailing garbage", req: plain(`{"type":"x"}}`), kind: ErrTrailingData, status: 400, typ: TypeInvalidJSON},
		{name: "trailing garbage in base64", req: encoded(b64(`{"type":"x"} x`)),
			kind: ErrTrailingData, status: 400, typ: TypeInvalidJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v jobRequest
			err := DecodeJSON(tt.req, tt.limit, &v)
			if tt.kind == nil {
				if err != nil {
					t.Fatalf("DecodeJSON: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.kind) {
				t.Fatalf("error %v, want kind %v", err, tt.kind)
			}
			var be *BodyError
			if !errors.As(err, &be) {
				t.Fatalf("error %T is not a *BodyError", err)
			}
			if tt.field != "" && be.Field != tt.field {
				t.Errorf("Field = %q, want %q", be.Field, tt.field)
			}
			if !strings.HasPrefix(err.Error(), "apigw: decode body: ") {
				t.Errorf("error text %q lacks context", err)
			}
			r := DecodeError(err)
			p := parseProblem(t, r)
			if r.StatusCode != tt.status || p.Type != tt.typ.URI() {
				t.Fatalf("DecodeError: %d %s, want %d %s", r.StatusCode, p.Type, tt.status, tt.typ)
			}
			if tt.field != "" && !strings.Contains(p.Detail, tt.field) {
				t.Errorf("detail %q does not name the field %q", p.Detail, tt.field)
			}
		})
	}
}

func TestDecodeJSONSetsValues(t *testing.T) {
	var v jobRequest
	if err := DecodeJSON(loadRequest(t, "request_user.json"), 0, &v); err != nil {
		t.Fatal(err)
	}
	if v.Type != "webhook" || v.Payload["url"] != "https://example.com/hook" {
		t.Fatalf("decoded %#v", v)
	}
}

func TestDecodeJSONTooLargeCarriesLimit(t *testing.T) {
	err := DecodeJSON(events.APIGatewayProxyRequest{Body: strings.Repeat(" ", 11)}, 10, new(jobRequest))
	var be *BodyError
	if !errors.As(err, &be) || be.Limit != 10 {
		t.Fatalf("got %v", err)
	}
	p := parseProblem(t, DecodeError(err))
	if p.Extensions["max_bytes"] != 10.0 {
		t.Fatalf("max_bytes = %v", p.Extensions["max_bytes"])
	}
}

func TestDecodeJSONUnwrapsUnderlying(t *testing.T) {
	err := DecodeJSON(events.APIGatewayProxyRequest{Body: `{"type":}`}, 0, new(jobRequest))
	var se *strictjson.Error
	if !errors.As(err, &se) || se.Kind != strictjson.Syntax {
		t.Fatalf("errors.As(*strictjson.Error) failed on %v", err)
	}
}

// Issue 12, item 6: the detail names the JSON Pointer and the JSON type
// expected, never Go.
func TestDecodeErrorDetailIsJSONPointer(t *testing.T) {
	type payload struct {
		Keys []string `json:"keys"`
	}
	type body struct {
		Payload payload `json:"payload"`
	}
	err := DecodeJSON(events.APIGatewayProxyRequest{Body: `{"payload":{"keys":"a"}}`}, 0, new(body))
	p := parseProblem(t, DecodeError(err))
	if want := "/payload/keys: must be an array of strings"; p.Detail != want {
		t.Fatalf("detail %q, want %q", p.Detail, want)
	}
	errs, _ := p.Extensions["errors"].([]any)
	if len(errs) != 1 || errs[0].(map[string]any)["pointer"] != "/payload/keys" {
		t.Fatalf("errors extension %v", p.Extensions["errors"])
	}
}

// A target that is not a pointer is the handler's bug, not the client's: it
// must map to 500, not to a 400 that blames the client.
func TestDecodeJSONProgrammingError(t *testing.T) {
	var v jobRequest
	err := DecodeJSON(events.APIGatewayProxyRequest{Body: `{"type":"x"}`}, 0, v)
	if err == nil {
		t.Fatal("want an error for a non-pointer target")
	}
	var be *BodyError
	if errors.As(err, &be) {
		t.Fatalf("got a client error %v for a programming error", err)
	}
	if r := DecodeError(err); r.StatusCode != 500 {
		t.Fatalf("DecodeError status %d, want 500", r.StatusCode)
	}
}

func TestDecodeErrorBoundsEchoedField(t *testing.T) {
	long := strings.Repeat("é", 200)
	err := DecodeJSON(events.APIGatewayProxyRequest{Body: `{"` + long + `":1}`}, 0, new(jobRequest))
	p := parseProblem(t, DecodeError(err))
	if len(p.Detail) > 200 {
		t.Fatalf("detail echoes %d bytes: %q", len(p.Detail), p.Detail)
	}
}

func TestDecodeJSONExactNamesAndNoDuplicates(t *testing.T) {
	type inner struct {
		Name string `json:"name"`
	}
	type body struct {
		Player string            `json:"player"`
		Items  []inner           `json:"items"`
		Nested *inner            `json:"nested"`
		Labels map[string]inner  `json:"labels"`
		Raw    json.RawMessage   `json:"raw"`
		Any    any               `json:"any"`
		Map    map[string]string `json:"map"`
	}
	for in, wantErr := range map[string]error{
		`{"player":"a","items":[{"name":"x"}],"nested":{"name":"y"},"labels":{"k":{"name":"z"}},"raw":{"A":1,"a":2},"any":{"x":1},"map":{"K":"v","k":"w"}}`: nil,
		`{"PLAYER":"a"}`:                        ErrUnknownField,
		`{"player":"a","player":"b"}`:           ErrInvalidJSON,
		`{"items":[{"name":"x"},{"Name":"y"}]}`: ErrUnknownField,
		`{"nested":{"NAME":"y"}}`:               ErrUnknownField,
		`{"labels":{"k":{"nAme":"z"}}}`:         ErrUnknownField,
		`{"any":{"x":1,"x":2}}`:                 ErrInvalidJSON,
		`{"map":{"k":"v","k":"w"}}`:             ErrInvalidJSON,
	} {
		var v body
		err := DecodeJSON(events.APIGatewayProxyRequest{Body: in}, 0, &v)
		if wantErr == nil {
			if err != nil {
				t.Errorf("%s: %v", in, err)
			}
			continue
		}
		if !errors.Is(err, wantErr) {
			t.Errorf("%s: err = %v, want %v", in, err, wantErr)
		}
	}
}
