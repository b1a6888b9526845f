package jobsapi

import (
	"context"
	"strings"
	"testing"

	"github.com/lambdis/lambdis/api/apitest"
	"github.com/lambdis/lambdis/shared/redistest"
)

// FuzzEnqueue: no body or Idempotency-Key can crash the handler or produce
// a 5xx, and a request that is not accepted writes nothing.
func FuzzEnqueue(f *testing.F) {
	_, rdb := redistest.Miniredis(f)
	fx := newFixture(f, rdb)
	for _, s := range []struct{ body, key string }{
		{cacheJob("email", "lambdis:cache:a"), ""},
		{cacheJob("email", "lambdis:cache:a"), "k-1"},
		{`{"queue":"email","type":"webhook","payload":{"url":"` + hookURL + `x","body":{"a":[1,2,{}]},"headers":{"X-A":"b"}}}`, ""},
		{`{"queue":"email","type":"cache.invalidate","payload":{"keys":["lambdis:cache:a"]},"delay":"1h30m","max_attempts":7}`, ""},
		{`{"queue":"email","type":"cache.invalidate","payload":{"keys":["lambdis:cache:a"]},"run_at":"2030-01-01T00:00:00Z"}`, ""},
		{`{"queue":"{x}","type":"cache.invalidate"}`, ""},
		{`{"queue":"a","type":"webhook","payload":{"url":"https://hooks.example.com/lambdis/../x","body":1}}`, ""},
		{`{"queue":"a","type":"t","delay":"9223372036854775807ns"}`, ""},
		{`{"queue":"a","type":"t","run_at":"9999-12-31T23:59:59Z"}`, ""},
		{`{"queue":"a","type":"t","max_attempts":1e400}`, ""},
		{`{"queue":"\u0000","type":"\ud800"}`, "\x00"},
		{`{"payload":` + strings.Repeat("[", 10000) + `}`, ""},
		{"", ""}, {"null", ""}, {"[]", ""}, {"\xff", "\xff"}, {`{"queue":"a","queue":"b"}`, "k"},
	} {
		f.Add(s.body, s.key)
	}
	f.Fuzz(func(t *testing.T, body, key string) {
		hdr := map[string]string{}
		if key != "" {
			hdr[HeaderIdempotencyKey] = key
		}
		before := rdb.DBSize(context.Background()).Val()
		resp, err := fx.handle(t, apitest.OffContract(request("POST", RouteEnqueue, body, hdr), "a fuzzed body"))
		if err != nil || resp.StatusCode >= 500 {
			t.Fatalf("body %q key %q: %d %s %v", body, key, resp.StatusCode, resp.Body, err)
		}
		if resp.StatusCode != 202 && rdb.DBSize(context.Background()).Val() != before {
			t.Fatalf("body %q key %q: answered %d but wrote keys", body, key, resp.StatusCode)
		}
	})
}

// FuzzEnqueueBatch: the same for batch bodies.
func FuzzEnqueueBatch(f *testing.F) {
	_, rdb := redistest.Miniredis(f)
	fx := newFixture(f, rdb)
	job := cacheJob("email", "lambdis:cache:a")
	for _, s := range []string{
		`{"jobs":[` + job + `]}`,
		`{"jobs":[` + job + `,` + cacheJob("billing", "lambdis:cache:b") + `]}`,
		`{"jobs":[{"queue":"e","type":"cache.invalidate","payload":{"keys":["lambdis:cache:a"]},"idempotency_key":"k"},{"queue":"e","type":"cache.invalidate","payload":{"keys":["lambdis:cache:b"]},"idempotency_key":"k"}]}`,
		`{"jobs":[]}`, `{"jobs":null}`, `{"jobs":[null]}`, `{"jobs":[{}]}`, `{"jobs":[` + job + `,{"queue":"a:b"}]}`,
		`{}`, `[]`, ``, `{"jobs":[{"idempotency_key":"` + strings.Repeat("k", 300) + `"}]}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		before := rdb.DBSize(context.Background()).Val()
		resp, err := fx.handle(t, apitest.OffContract(request("POST", RouteBatch, body, nil), "a fuzzed body"))
		if err != nil || resp.StatusCode >= 500 {
			t.Fatalf("body %q: %d %s %v", body, resp.StatusCode, resp.Body, err)
		}
		if resp.StatusCode != 202 && rdb.DBSize(context.Background()).Val() != before {
			t.Fatalf("body %q: answered %d but wrote keys", body, resp.StatusCode)
		}
	})
}
