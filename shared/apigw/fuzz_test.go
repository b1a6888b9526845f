package apigw

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// FuzzDecodeJSON checks that no body crashes DecodeJSON, that every rejection
// is a client error mapped to a 4xx problem, and that every accepted body was
// valid JSON within the limit whose decoded value survives a strict round trip.
// The seeds (testdata/bodies, plain and base64, and testdata/fuzz) run in
// every `go test`.
func FuzzDecodeJSON(f *testing.F) {
	entries, err := os.ReadDir(filepath.Join("testdata", "bodies"))
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		body := fixtureBody(f, e.Name())
		f.Add(body, false)
		f.Add(b64(body), true)
	}
	f.Add("", false)
	f.Add(`{"type":"x"}`+"\x00", false)
	f.Add(`{"payload":{"a":[[[[[[[[[[]]]]]]]]]]}}`, false)

	const limit = 1024
	f.Fuzz(func(t *testing.T, body string, encoded bool) {
		req := events.APIGatewayProxyRequest{Body: body, IsBase64Encoded: encoded}
		var v jobRequest
		err := DecodeJSON(req, limit, &v)
		if err != nil {
			var be *BodyError
			if !errors.As(err, &be) {
				t.Fatalf("non-client error %v for body %q", err, body)
			}
			r := DecodeError(err)
			if r.StatusCode != 400 && r.StatusCode != 413 {
				t.Fatalf("DecodeError status %d for %v", r.StatusCode, err)
			}
			var p Problem
			if jerr := json.Unmarshal([]byte(r.Body), &p); jerr != nil || !utf8.ValidString(r.Body) {
				t.Fatalf("problem body invalid (%v): %q", jerr, r.Body)
			}
			if strings.Contains(p.Detail, "Go ") || strings.Contains(p.Detail, "json:") || strings.Contains(p.Detail, "jobRequest") {
				t.Fatalf("detail shows Go: %q", p.Detail)
			}
			return
		}
		raw := []byte(body)
		if encoded {
			raw, _ = base64StdDecode(body)
		}
		if len(raw) > limit || !json.Valid(raw) || !utf8.Valid(raw) {
			t.Fatalf("accepted an invalid or oversized body %q", raw)
		}
		again, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("re-marshal: %v", err)
		}
		var w jobRequest
		if err := DecodeJSON(events.APIGatewayProxyRequest{Body: string(again)}, 1<<20, &w); err != nil {
			t.Fatalf("round trip of %s: %v", again, err)
		}
	})
}
