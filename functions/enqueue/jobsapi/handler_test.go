package jobsapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/api/apitest"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/jobs"
	"github.com/lambdis/lambdis/shared/queue"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

func TestEnqueueAndStatus(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		f := newFixture(t, rdb)
		start := time.Now()

		resp, err := f.handle(t, post(cacheJob("email", "lambdis:cache:{u:1}")))
		if err != nil || resp.StatusCode != 202 {
			t.Fatalf("enqueue: %d %s %v", resp.StatusCode, resp.Body, err)
		}
		if resp.Headers[apigw.HeaderRateLimit] == "" || resp.Headers[apigw.HeaderRateLimitPolicy] == "" {
			t.Errorf("rate-limit headers missing: %v", resp.Headers)
		}
		var e EnqueueResponse
		if err := json.Unmarshal([]byte(resp.Body), &e); err != nil || !strings.HasPrefix(e.ID, "email:") || e.Duplicate {
			t.Fatalf("answer %s: %v", resp.Body, err)
		}
		if e.StatusURL != "/jobs/"+e.ID {
			t.Errorf("status_url %q", e.StatusURL)
		}
		if strings.Contains(resp.Body, "duplicate") {
			t.Errorf("a new job says duplicate: %s", resp.Body)
		}
		rec := f.record(t, e.ID)
		if rec.ID != e.ID || rec.Queue != "email" || rec.Type != jobs.TypeCacheInvalidate || rec.State != queue.StateQueued ||
			rec.MaxAttempts != queue.DefaultAttempts || rec.Attempts != 0 || rec.CreatedAt.Before(start.Add(-2*time.Second)) {
			t.Fatalf("record %+v", rec)
		}

		delayed := f.enqueued(t, post(`{"queue":"email","type":"cache.invalidate","payload":{"keys":["lambdis:cache:a"]},"delay":"30s","max_attempts":3}`))
		rec = f.record(t, delayed.ID)
		if rec.State != queue.StateDelayed || rec.MaxAttempts != 3 || rec.RunAt == nil ||
			rec.RunAt.Before(start.Add(25*time.Second)) || rec.RunAt.After(time.Now().Add(35*time.Second)) {
			t.Fatalf("delayed record %+v", rec)
		}

		at := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
		scheduled := f.enqueued(t, post(`{"queue":"email","type":"cache.invalidate","payload":{"keys":["lambdis:cache:b"]},"run_at":"`+at.Format(time.RFC3339)+`"}`))
		if rec = f.record(t, scheduled.ID); rec.State != queue.StateDelayed || rec.RunAt == nil || !rec.RunAt.Equal(at) {
			t.Fatalf("run_at record %+v, want due %v", rec, at)
		}
		past := f.enqueued(t, post(`{"queue":"email","type":"cache.invalidate","payload":{"keys":["lambdis:cache:c"]},"run_at":"2020-01-01T00:00:00+02:00"}`))
		if rec = f.record(t, past.ID); rec.State != queue.StateQueued {
			t.Fatalf("past run_at: %+v", rec)
		}

		hook := f.enqueued(t, post(`{"queue":"hooks","type":"webhook","payload":{"url":"`+hookURL+`orders","body":{"order":42}}}`))
		if rec = f.record(t, hook.ID); rec.Type != jobs.TypeWebhook || rec.Queue != "hooks" {
			t.Fatalf("webhook record %+v", rec)
		}

		b, err := f.q.Books(context.Background(), "email")
		if err != nil || b.Enqueued != 4 || b.Stream != 2 || b.Delayed != 2 || b.Drift() != 0 {
			t.Fatalf("books %+v %v", b, err)
		}
	})
}

func TestIdempotencyKey(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		f := newFixture(t, rdb)
		body := `{"queue":"orders","type":"cache.invalidate","payload":{"keys":["lambdis:cache:{order:42}"]}}`
		first := f.enqueued(t, postKey(body, "order-42"))
		again := f.enqueued(t, postKey(body, "order-42"))
		if again.ID != first.ID || !again.Duplicate || first.Duplicate {
			t.Fatalf("retry: %+v, first %+v", again, first)
		}
		// Whitespace is not a different job.
		spaced := "{ \"queue\": \"orders\",\n \"type\": \"cache.invalidate\", \"payload\": { \"keys\": [ \"lambdis:cache:{order:42}\" ] } }"
		if e := f.enqueued(t, postKey(spaced, "order-42")); e.ID != first.ID || !e.Duplicate {
			t.Fatalf("spaced retry: %+v", e)
		}
		// Another job under the same key: 422, nothing new.
		for name, other := range map[string]string{
			"payload":      `{"queue":"orders","type":"cache.invalidate","payload":{"keys":["lambdis:cache:{order:43}"]}}`,
			"delay":        `{"queue":"orders","type":"cache.invalidate","payload":{"keys":["lambdis:cache:{order:42}"]},"delay":"1m"}`,
			"max_attempts": `{"queue":"orders","type":"cache.invalidate","payload":{"keys":["lambdis:cache:{order:42}"]},"max_attempts":2}`,
		} {
			status, b, _ := f.do(t, postKey(other, "order-42"))
			if status != 422 || b["type"] != apigw.TypeUnprocessable.URI() {
				t.Errorf("same key, other %s: %d %v", name, status, b)
			}
		}
		// Keys belong to a queue.
		if e := f.enqueued(t, postKey(strings.Replace(body, `"orders"`, `"refunds"`, 1), "order-42")); e.ID == first.ID || e.Duplicate {
			t.Fatalf("same key, other queue: %+v", e)
		}
		// Keys belong to a caller: another subject (or the same subject of
		// another issuer) sending alice's key makes its own job, and learns
		// nothing of hers, whatever the payload.
		for _, who := range [][2]string{{"bob", ""}, {"alice", "https://other.example"}} {
			mine := f.enqueued(t, as(postKey(body, "order-42"), who[0], who[1]))
			if mine.ID == first.ID || mine.Duplicate {
				t.Fatalf("%v, alice's key: %+v (alice's job %s)", who, mine, first.ID)
			}
			if again := f.enqueued(t, as(postKey(body, "order-42"), who[0], who[1])); again.ID != mine.ID || !again.Duplicate {
				t.Fatalf("%v, retry: %+v, want a duplicate of %s", who, again, mine.ID)
			}
		}
		if status, b, _ := f.do(t, as(postKey(`{"queue":"orders","type":"cache.invalidate","payload":{"keys":["lambdis:cache:{order:99}"]}}`, "order-42"), "carol", "")); status != 202 {
			t.Fatalf("carol, alice's key, another payload: %d %v", status, b)
		}

		// 100 concurrent requests with one key make exactly one job.
		var wg sync.WaitGroup
		out := make([]EnqueueResponse, 100)
		for i := range out {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out[i] = f.enqueued(t, postKey(body, "concurrent-key"))
			}()
		}
		wg.Wait()
		created := 0
		for _, e := range out {
			if e.ID != out[0].ID {
				t.Fatalf("ids differ: %s %s", e.ID, out[0].ID)
			}
			if !e.Duplicate {
				created++
			}
		}
		b, err := f.q.Books(context.Background(), "orders")
		if created != 1 || err != nil || b.Stream != 5 || b.Enqueued != 108 || b.Deduplicated != 103 || b.Drift() != 0 {
			t.Fatalf("%d created; books %+v %v", created, b, err)
		}
	})
}

func TestBatch(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		f := newFixture(t, rdb)
		body := `{"jobs":[
			{"queue":"email","type":"cache.invalidate","payload":{"keys":["lambdis:cache:a"]},"idempotency_key":"k1"},
			{"queue":"billing","type":"cache.invalidate","payload":{"keys":["lambdis:cache:b"]},"idempotency_key":"k2","delay":"1h"},
			{"queue":"email","type":"cache.invalidate","payload":{"keys":["lambdis:cache:a"]},"idempotency_key":"k1"},
			{"queue":"billing","type":"cache.invalidate","payload":{"keys":["lambdis:cache:other"]},"idempotency_key":"k2"},
			{"queue":"reports","type":"webhook","payload":{"url":"` + hookURL + `r","body":null},"max_attempts":1}
		]}`
		resp, err := f.handle(t, request("POST", RouteBatch, body, nil))
		if err != nil || resp.StatusCode != 202 {
			t.Fatalf("batch: %d %s %v", resp.StatusCode, resp.Body, err)
		}
		var out BatchResponse
		if err := json.Unmarshal([]byte(resp.Body), &out); err != nil || len(out.Jobs) != 5 {
			t.Fatalf("answer %s: %v", resp.Body, err)
		}
		j := out.Jobs
		for _, i := range []int{0, 1, 2, 4} {
			if j[i].ID == "" || j[i].StatusURL != StatusURL(j[i].ID) || j[i].Error != nil {
				t.Fatalf("job %d: %+v", i, j[i])
			}
		}
		if j[0].Duplicate || j[1].Duplicate || j[4].Duplicate || !j[2].Duplicate || j[2].ID != j[0].ID {
			t.Fatalf("duplicates: %+v", j)
		}
		if j[3].ID != "" || j[3].Error == nil || j[3].Error.Type != apigw.TypeUnprocessable.URI() || j[3].Error.Status != 422 {
			t.Fatalf("conflict: %+v", j[3])
		}
		if rec := f.record(t, j[1].ID); rec.Queue != "billing" || rec.State != queue.StateDelayed {
			t.Fatalf("billing job %+v", rec)
		}
		if rec := f.record(t, j[4].ID); rec.Queue != "reports" || rec.MaxAttempts != 1 {
			t.Fatalf("reports job %+v", rec)
		}
		for q, want := range map[string]int64{"email": 1, "billing": 1, "reports": 1} {
			b, err := f.q.Books(context.Background(), q)
			if err != nil || b.Stream+b.Delayed != want || b.Drift() != 0 {
				t.Errorf("books of %s: %+v %v", q, b, err)
			}
		}

		// The largest batch, in one request.
		var items []string
		for i := range queue.MaxBatch {
			items = append(items, fmt.Sprintf(`{"queue":"q%d","type":"cache.invalidate","payload":{"keys":["lambdis:cache:%d"]}}`, i%7, i))
		}
		resp, _ = f.handle(t, request("POST", RouteBatch, `{"jobs":[`+strings.Join(items, ",")+`]}`, nil))
		if err := json.Unmarshal([]byte(resp.Body), &out); resp.StatusCode != 202 || err != nil || len(out.Jobs) != queue.MaxBatch {
			t.Fatalf("batch of %d: %d %v", queue.MaxBatch, resp.StatusCode, err)
		}
		ids := map[string]bool{}
		for _, r := range out.Jobs {
			ids[r.ID] = true
		}
		if len(ids) != queue.MaxBatch {
			t.Fatalf("%d distinct ids", len(ids))
		}
	})
}

// snapshot is every key of the server with its serialized value and TTL.
func snapshot(t *testing.T, rdb *redis.Client) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	iter := rdb.Scan(ctx, 0, "*", 1000).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		dump, err := rdb.Dump(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		out[k] = dump + "|" + rdb.PTTL(ctx, k).Val().String()
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// Every bad input is a 400 (413 for an oversized body) and leaves the
// server exactly as it was: same keys, same values, same counters.
func TestBadInputWritesNothing(t *testing.T) {
	srv := redistest.StartServer(t)
	rdb := srv.Client(t)
	f := newFixture(t, rdb)
	f.enqueued(t, postKey(cacheJob("email", "lambdis:cache:x"), "existing"))
	f.enqueued(t, post(`{"queue":"email","type":"cache.invalidate","payload":{"keys":["lambdis:cache:y"]},"delay":"1h"}`))
	before := snapshot(t, rdb)
	size := rdb.DBSize(context.Background()).Val()

	job := func(fields string) string {
		return `{"queue":"email","type":"cache.invalidate","payload":{"keys":["lambdis:cache:z"]}` + fields + `}`
	}
	withQueue := func(q string) string {
		b, _ := json.Marshal(map[string]any{"queue": q, "type": "cache.invalidate", "payload": map[string]any{"keys": []string{"lambdis:cache:z"}}})
		return string(b)
	}
	bigPayload := `{"queue":"email","type":"webhook","payload":{"url":"` + hookURL + `x","body":"` + strings.Repeat("a", queue.MaxPayload) + `"}}`
	hugeBody := `{"queue":"email","type":"webhook","payload":{"url":"` + hookURL + `x","body":"` + strings.Repeat("a", MaxBody) + `"}}`
	farFuture := time.Now().Add(queue.MaxDelay + time.Hour).UTC().Format(time.RFC3339)
	var tooMany []string
	for range queue.MaxBatch + 1 {
		tooMany = append(tooMany, job(""))
	}
	batch := func(items ...string) events.APIGatewayProxyRequest {
		return request("POST", RouteBatch, `{"jobs":[`+strings.Join(items, ",")+`]}`, nil)
	}
	base64Bad := post(job(""))
	base64Bad.IsBase64Encoded, base64Bad.Body = true, "%%%not base64"
	twoKeys := postKey(job(""), "a")
	twoKeys.MultiValueHeaders[HeaderIdempotencyKey] = []string{"a", "b"}

	cases := []struct {
		name    string
		req     events.APIGatewayProxyRequest
		status  int
		typ     apigw.ProblemType
		pointer string // the first field error's pointer, when a 400 bad-request
	}{
		{"not JSON", post(`queue=email`), 400, apigw.TypeInvalidJSON, ""},
		{"truncated", post(`{"queue":"email"`), 400, apigw.TypeInvalidJSON, ""},
		{"empty body", post(``), 400, apigw.TypeInvalidJSON, ""},
		{"null body", post(`null`), 400, apigw.TypeInvalidJSON, ""},
		{"array body", post(`[]`), 400, apigw.TypeInvalidJSON, ""},
		{"unknown field", post(job(`,"priority":1`)), 400, apigw.TypeInvalidJSON, ""},
		{"batch field on a single job", post(job(`,"idempotency_key":"k"`)), 400, apigw.TypeInvalidJSON, ""},
		{"trailing data", post(job(``) + `{}`), 400, apigw.TypeInvalidJSON, ""},
		{"queue of the wrong type", post(`{"queue":5,"type":"cache.invalidate"}`), 400, apigw.TypeInvalidJSON, ""},
		{"max_attempts fractional", post(job(`,"max_attempts":1.5`)), 400, apigw.TypeInvalidJSON, ""},
		{"max_attempts string", post(job(`,"max_attempts":"3"`)), 400, apigw.TypeInvalidJSON, ""},
		{"invalid UTF-8", post("{\"queue\":\"\xff\"}"), 400, apigw.TypeInvalidJSON, ""},
		{"bad base64", base64Bad, 400, apigw.TypeBadRequest, ""},
		{"payload over 256 KiB", post(bigPayload), 400, apigw.TypeBadRequest, "/payload"},
		{"body over the limit", post(hugeBody), 413, apigw.TypeBodyTooLarge, ""},
		{"no type", post(`{"queue":"email","payload":{}}`), 400, apigw.TypeBadRequest, "/type"},
		{"unknown type", post(`{"queue":"email","type":"email.send","payload":{}}`), 400, apigw.TypeBadRequest, "/type"},
		{"type with braces", post(`{"queue":"email","type":"{x}","payload":{}}`), 400, apigw.TypeBadRequest, "/type"},
		{"no payload for the type", post(`{"queue":"email","type":"cache.invalidate"}`), 400, apigw.TypeBadRequest, "/payload"},
		{"cache key outside the cache", post(`{"queue":"email","type":"cache.invalidate","payload":{"keys":["lambdis:q:{email}:stream"]}}`), 400, apigw.TypeBadRequest, "/payload"},
		{"webhook outside the allow-list", post(`{"queue":"email","type":"webhook","payload":{"url":"https://evil.example.net/","body":{}}}`), 400, apigw.TypeBadRequest, "/payload"},
		{"webhook over http", post(`{"queue":"email","type":"webhook","payload":{"url":"http://hooks.example.com/lambdis/x","body":{}}}`), 400, apigw.TypeBadRequest, "/payload"},
		{"negative delay", post(job(`,"delay":"-1s"`)), 400, apigw.TypeBadRequest, "/delay"},
		{"unparsable delay", post(job(`,"delay":"soon"`)), 400, apigw.TypeBadRequest, "/delay"},
		{"empty delay", post(job(`,"delay":""`)), 400, apigw.TypeBadRequest, "/delay"},
		{"delay in days", post(job(`,"delay":"1d"`)), 400, apigw.TypeBadRequest, "/delay"},
		{"delay beyond MaxDelay", post(job(`,"delay":"8785h"`)), 400, apigw.TypeBadRequest, "/delay"},
		{"unparsable run_at", post(job(`,"run_at":"tomorrow"`)), 400, apigw.TypeBadRequest, "/run_at"},
		{"run_at without zone", post(job(`,"run_at":"2030-01-01T00:00:00"`)), 400, apigw.TypeBadRequest, "/run_at"},
		{"run_at month 13", post(job(`,"run_at":"2030-13-01T00:00:00Z"`)), 400, apigw.TypeBadRequest, "/run_at"},
		{"run_at beyond MaxDelay", post(job(`,"run_at":"` + farFuture + `"`)), 400, apigw.TypeBadRequest, "/run_at"},
		{"delay and run_at", post(job(`,"delay":"1s","run_at":"2030-01-01T00:00:00Z"`)), 400, apigw.TypeBadRequest, "/run_at"},
		{"no queue", post(`{"type":"cache.invalidate","payload":{"keys":["lambdis:cache:z"]}}`), 400, apigw.TypeBadRequest, "/queue"},
		{"queue with {", post(withQueue("a{b")), 400, apigw.TypeBadRequest, "/queue"},
		{"queue with }", post(withQueue("a}b")), 400, apigw.TypeBadRequest, "/queue"},
		{"queue with a hash tag", post(withQueue("{email}")), 400, apigw.TypeBadRequest, "/queue"},
		{"queue with :", post(withQueue("a:b")), 400, apigw.TypeBadRequest, "/queue"},
		{"queue with a space", post(withQueue("a b")), 400, apigw.TypeBadRequest, "/queue"},
		{"queue with NUL", post(withQueue("a\x00b")), 400, apigw.TypeBadRequest, "/queue"},
		{"queue with newline", post(withQueue("a\nb")), 400, apigw.TypeBadRequest, "/queue"},
		{"queue with DEL", post(withQueue("a\x7fb")), 400, apigw.TypeBadRequest, "/queue"},
		{"queue with NEL", post(withQueue("a\u0085b")), 400, apigw.TypeBadRequest, "/queue"},
		{"queue with zero-width space", post(withQueue("a\u200bb")), 400, apigw.TypeBadRequest, "/queue"},
		{"queue of 65 bytes", post(withQueue(strings.Repeat("q", 65))), 400, apigw.TypeBadRequest, "/queue"},
		{"max_attempts 0", post(job(`,"max_attempts":0`)), 400, apigw.TypeBadRequest, "/max_attempts"},
		{"max_attempts 101", post(job(`,"max_attempts":101`)), 400, apigw.TypeBadRequest, "/max_attempts"},
		{"max_attempts -1", post(job(`,"max_attempts":-1`)), 400, apigw.TypeBadRequest, "/max_attempts"},
		{"empty Idempotency-Key", postKey(job(""), ""), 400, apigw.TypeBadRequest, ""},
		{"Idempotency-Key with a space", postKey(job(""), "a b"), 400, apigw.TypeBadRequest, ""},
		{"Idempotency-Key control", postKey(job(""), "a\x01"), 400, apigw.TypeBadRequest, ""},
		{"Idempotency-Key not ASCII", postKey(job(""), "ключ"), 400, apigw.TypeBadRequest, ""},
		{"Idempotency-Key too long", postKey(job(""), strings.Repeat("k", 256)), 400, apigw.TypeBadRequest, ""},
		{"Idempotency-Key twice", twoKeys, 400, apigw.TypeBadRequest, ""},
		// A conflicting key writes nothing either.
		{"key reused for another job", postKey(cacheJob("email", "lambdis:cache:other"), "existing"), 422, apigw.TypeUnprocessable, ""},

		{"batch: one bad job", batch(job(""), withQueue("a:b"), job("")), 400, apigw.TypeBadRequest, "/jobs/1/queue"},
		{"batch: bad idempotency_key", batch(job(`,"idempotency_key":"a b"`)), 400, apigw.TypeBadRequest, "/jobs/0/idempotency_key"},
		{"batch: empty idempotency_key", batch(job(`,"idempotency_key":""`)), 400, apigw.TypeBadRequest, "/jobs/0/idempotency_key"},
		{"batch: header key", request("POST", RouteBatch, `{"jobs":[`+job("")+`]}`, map[string]string{HeaderIdempotencyKey: "k"}), 400, apigw.TypeBadRequest, ""},
		{"batch: no jobs", batch(), 400, apigw.TypeBadRequest, "/jobs"},
		{"batch: no jobs member", request("POST", RouteBatch, `{}`, nil), 400, apigw.TypeBadRequest, "/jobs"},
		{"batch: too many jobs", batch(tooMany...), 400, apigw.TypeBadRequest, "/jobs"},
		{"batch: unknown job member", batch(job(`,"id":"mine"`)), 400, apigw.TypeInvalidJSON, ""},
		{"batch: not a list", request("POST", RouteBatch, `{"jobs":{}}`, nil), 400, apigw.TypeInvalidJSON, ""},
		{"batch: body over the limit", batch(strings.Repeat(job("")+",", MaxBatchBody/len(job(""))) + job("")), 413, apigw.TypeBodyTooLarge, ""},
	}
	for _, tc := range cases {
		status, b, resp := f.do(t, apitest.OffContract(tc.req, tc.name))
		if status != tc.status || b["type"] != tc.typ.URI() || resp.Headers["Content-Type"] != apigw.ProblemContentType {
			t.Errorf("%s: %d %v; want %d %s", tc.name, status, b, tc.status, tc.typ)
			continue
		}
		if tc.pointer != "" {
			errs, _ := b["errors"].([]any)
			first, _ := func() (map[string]any, bool) {
				if len(errs) == 0 {
					return nil, false
				}
				m, ok := errs[0].(map[string]any)
				return m, ok
			}()
			if first["pointer"] != tc.pointer || first["detail"] == "" {
				t.Errorf("%s: errors %v; want the first at %s", tc.name, b["errors"], tc.pointer)
			}
		}
	}
	if n := rdb.DBSize(context.Background()).Val(); n != size {
		t.Fatalf("DBSIZE %d after the bad requests, %d before", n, size)
	}
	after := snapshot(t, rdb)
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s changed", k)
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			t.Errorf("%s was created", k)
		}
	}
}

func TestStatusNotFound(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	f := newFixture(t, rdb)
	for _, id := range []string{
		"email:0123456789abcdef0123456789abcdef", // well formed, unknown
		"email", "", ":", "email:xyz", "email:0123456789ABCDEF0123456789ABCDEF",
		"{email}:0123456789abcdef0123456789abcdef", strings.Repeat("q", 300) + ":0123456789abcdef0123456789abcdef",
		"email%3A0123456789abcdef0123456789abcdef", "%zz",
	} {
		status, b, _ := f.do(t, apitest.OffContract(getJob(id), "an id that is not a job's"))
		if status != 404 || b["type"] != apigw.TypeNotFound.URI() {
			t.Errorf("GET %q: %d %v", id, status, b)
		}
	}
	// A queue name that needs escaping: the id is found whether the
	// gateway hands the parameter on decoded or still escaped.
	e := f.enqueued(t, post(cacheJob("team/a%b", "lambdis:cache:t")))
	if e.StatusURL != "/jobs/team%2Fa%25b:"+e.ID[len("team/a%b:"):] {
		t.Fatalf("status_url %q", e.StatusURL)
	}
	for _, id := range []string{e.ID, strings.TrimPrefix(e.StatusURL, "/jobs/")} {
		if rec := f.record(t, id); rec.ID != e.ID {
			t.Fatalf("GET %q: %+v", id, rec)
		}
	}
}

func TestRoutesAndCallers(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	f := newFixture(t, rdb)
	body := cacheJob("email", "lambdis:cache:a")
	cases := []struct {
		name   string
		req    events.APIGatewayProxyRequest
		status int
		allow  string
	}{
		{"unknown route", request("POST", "/jobs/{id}/cancel", body, nil), 404, ""},
		{"GET /jobs", request("GET", RouteEnqueue, "", nil), 405, "POST"},
		{"GET /jobs/batch", request("GET", RouteBatch, "", nil), 405, "POST"},
		{"DELETE /jobs/{id}", request("DELETE", RouteStatus, "", map[string]string{":id": "email:0123456789abcdef0123456789abcdef"}), 405, "GET"},
	}
	for _, tc := range cases {
		status, _, resp := f.do(t, tc.req)
		if status != tc.status || resp.Headers["Allow"] != tc.allow {
			t.Errorf("%s: %d Allow %q", tc.name, status, resp.Headers["Allow"])
		}
	}
	anon := post(body)
	anon.RequestContext.Authorizer = map[string]any{apigw.ContextKeyAnonymous: "true", apigw.ContextKeySubject: ""}
	none := post(body)
	none.RequestContext.Authorizer = nil
	for name, req := range map[string]events.APIGatewayProxyRequest{"anonymous": anon, "no authorizer context": none} {
		status, _, resp := f.do(t, apitest.OffContract(req, name))
		if status != 401 || resp.Headers["WWW-Authenticate"] != "Bearer" {
			t.Errorf("%s: %d %v", name, status, resp.Headers)
		}
	}
	f.h.Scope = "jobs:write"
	status, b, _ := f.do(t, post(body))
	if status != 403 || b["required_scope"] != "jobs:write" {
		t.Errorf("missing scope: %d %v", status, b)
	}
	f.h.Scope = "jobs"
	f.enqueued(t, post(body))
	if n := rdb.DBSize(context.Background()).Val(); n == 0 {
		t.Fatal("nothing written by the allowed request")
	}
}

// A store that cannot be reached answers 503 (never a fake 202) and says
// nothing of the cause.
func TestStoreDownIs503(t *testing.T) {
	srv := redistest.StartServer(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { _ = rdb.Close() })
	f := newFixture(t, rdb)
	id := f.enqueued(t, post(cacheJob("email", "lambdis:cache:a"))).ID
	srv.Stop()
	for _, req := range []events.APIGatewayProxyRequest{
		post(cacheJob("email", "lambdis:cache:a")),
		request("POST", RouteBatch, `{"jobs":[`+cacheJob("email", "lambdis:cache:a")+`]}`, nil),
		getJob(id),
	} {
		status, b, _ := f.do(t, req)
		if status != 503 || b["type"] != apigw.TypeStoreUnavailable.URI() || strings.Contains(fmt.Sprint(b), "127.0.0.1") {
			t.Errorf("%s %s with the store down: %d %v", req.HTTPMethod, req.Resource, status, b)
		}
	}
	if !strings.Contains(f.logs.String(), "store") {
		t.Errorf("the outage was not logged: %s", f.logs.String())
	}
}

func TestFromEnvNamesTheVariable(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	for name, val := range map[string]string{
		EnvRetention:                "forever",
		EnvStoreTimeout:             "slow",
		jobs.EnvWebhookAllowedURLs:  "http://hooks.example.com/",
		jobs.EnvWebhookTimeout:      "-1s",
		jobs.EnvWebhookSecret:       "short",
		"LAMBDIS_KEY_PREFIX":        "{x}",
		EnvRetention + " too short": "500ms",
	} {
		name = strings.TrimSuffix(name, " too short")
		_, err := FromEnv(context.Background(), func(k string) string {
			if k == name {
				return val
			}
			if k == jobs.EnvWebhookSecret {
				return testSecret
			}
			return ""
		}, rdb, nil, nil)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: %v", name, val, err)
		}
	}
	h, err := FromEnv(context.Background(), func(k string) string {
		return map[string]string{
			EnvScope: "jobs", EnvRetention: "1h", EnvStoreTimeout: "300ms",
			jobs.EnvWebhookAllowedURLs: hookURL, jobs.EnvWebhookSecret: testSecret,
		}[k]
	}, rdb, nil, nil)
	if err != nil || h.Scope != "jobs" || h.StoreTimeout != 300*time.Millisecond || h.Queue.(*queue.Client).Retention() != time.Hour {
		t.Fatalf("%+v %v", h, err)
	}
	if !slices.Equal(h.Registry.Types(), []string{jobs.TypeCacheInvalidate, jobs.TypeWebhook}) {
		t.Fatalf("types %v", h.Registry.Types())
	}
	// The handler works with a nil logger.
	if status, _, _ := (&fixture{h: h}).do(t, post(cacheJob("email", "lambdis:cache:a"))); status != 202 {
		t.Fatalf("nil logger: %d", status)
	}
}

// base64 bodies (API Gateway's binary media types) decode like plain ones.
func TestBase64Body(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	f := newFixture(t, rdb)
	req := post(base64.StdEncoding.EncodeToString([]byte(cacheJob("email", "lambdis:cache:a"))))
	req.IsBase64Encoded = true
	f.enqueued(t, req)
}
