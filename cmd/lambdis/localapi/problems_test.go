package localapi_test

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// goShowsThrough matches what Go leaks into an error text: encoding/json's
// messages, Go type syntax, package-qualified names and the project's own
// type names.
var goShowsThrough = regexp.MustCompile(`Go (struct|value|type)|struct field|json: |unmarshal|\[\](string|int|byte|any)|map\[|interface \{|\b(u?int(8|16|32|64)?|float(32|64)|bool|rune)\b|\b[a-z]+\.[A-Z][A-Za-z]+\b|\b(JobRequest|BatchRequest|BatchJobRequest|JobPayload|WebhookPayload|CacheInvalidatePayload|SubmitRequest|RevokeRequest|RawMessage)\b|strictjson|apigw|jobsapi|revocation|boards|leaderboard\.`)

// Issue 12, item 6: every 4xx the handlers produce names JSON (pointers,
// JSON types) and never Go. The walk covers each route with each kind of
// client mistake: wrong JSON types at every member, unknown, case-variant
// and duplicate members, bad values, bad path and query parameters, missing
// scopes and credentials.
func TestNoGoInProblemDetails(t *testing.T) {
	hs := hostileServer(t, "30s")
	user := mint(`{"sub":"alice","scope":"read write",` + times(nowMinus(60)) + `}`)
	other := mint(`{"sub":"bob",` + times(nowMinus(60)) + `}`)
	type req struct{ method, path, body, token string }
	var reqs []req
	add := func(method, path, token string, bodies ...string) {
		for _, b := range bodies {
			reqs = append(reqs, req{method, path, b, token})
		}
	}
	// Wrong JSON types at every member of every body the API takes.
	wrong := []string{`1`, `1.5`, `"s"`, `true`, `[]`, `["a"]`, `[1]`, `{}`, `{"x":1}`, `null`}
	member := func(tmpl string) []string {
		var out []string
		for _, w := range wrong {
			out = append(out, strings.ReplaceAll(tmpl, "@", w))
		}
		return out
	}
	job := `{"queue":"q","type":"cache.invalidate","payload":{"keys":["lambdis:cache:a"]}}`
	for _, tmpl := range []string{
		`{"queue":@,"type":"cache.invalidate","payload":{"keys":["lambdis:cache:a"]}}`,
		`{"queue":"q","type":@,"payload":{"keys":["lambdis:cache:a"]}}`,
		`{"queue":"q","type":"cache.invalidate","payload":@}`,
		`{"queue":"q","type":"cache.invalidate","payload":{"keys":@}}`,
		`{"queue":"q","type":"cache.invalidate","payload":{"keys":[@]}}`,
		`{"queue":"q","type":"webhook","payload":{"url":@,"body":{}}}`,
		`{"queue":"q","type":"webhook","payload":{"url":"https://x.example/","body":{},"headers":@}}`,
		`{"queue":"q","type":"webhook","payload":{"url":"https://x.example/","body":{},"headers":{"X-A":@}}}`,
		`{"queue":"q","type":"cache.invalidate","payload":{"keys":["lambdis:cache:a"]},"delay":@}`,
		`{"queue":"q","type":"cache.invalidate","payload":{"keys":["lambdis:cache:a"]},"run_at":@}`,
		`{"queue":"q","type":"cache.invalidate","payload":{"keys":["lambdis:cache:a"]},"max_attempts":@}`,
		`@`,
	} {
		add("POST", "/jobs", user, member(tmpl)...)
	}
	for _, tmpl := range []string{`{"jobs":@}`, `{"jobs":[@]}`, `{"jobs":[{"queue":"q","type":"cache.invalidate","payload":{"keys":["lambdis:cache:a"]},"idempotency_key":@}]}`, `@`} {
		add("POST", "/jobs/batch", user, member(tmpl)...)
	}
	for _, tmpl := range []string{`{"player":@,"score":1,"mode":"best"}`, `{"player":"alice","score":@,"mode":"best"}`, `{"player":"alice","score":1,"mode":@}`, `@`} {
		add("POST", "/leaderboards/g/scores", user, member(tmpl)...)
	}
	add("POST", "/tokens/revoke", user, member(`{"token":@}`)...)
	add("POST", "/tokens/revoke", user, member(`@`)...)
	add("POST", "/users/bob/revoke-all", user, member(`@`)...) // not hers: valid bodies are 403s
	// Members: unknown, case variants, duplicates at depth, syntax.
	add("POST", "/jobs", user,
		`{"queue":"q","type":"cache.invalidate","payload":{"keys":["lambdis:cache:a"]},"extra":1}`,
		`{"Queue":"q","type":"cache.invalidate","payload":{"keys":["lambdis:cache:a"]}}`,
		`{"queue":"q","queue":"r","type":"cache.invalidate","payload":{"keys":["lambdis:cache:a"]}}`,
		`{"queue":"q","type":"cache.invalidate","payload":{"keys":["lambdis:cache:a"],"KEYS":[]}}`,
		`{"queue":"q","type":"webhook","payload":{"url":"https://x.example/NOTALLOWED","url":"https://x.example/ok","body":{}}}`,
		`{"queue":"q","type":"webhook","payload":{"URL":"https://x.example/","url":"https://x.example/ok","body":{}}}`,
		`{"queue":"q","type":"webhook","payload":{"url":"https://x.example/ok"}}`,
		`{"queue":"q","type":"nope","payload":{}}`, `{"queue":"a{b}","type":"cache.invalidate","payload":{"keys":["lambdis:cache:a"]}}`,
		`{"queue":"q","type":"cache.invalidate","payload":{"keys":["other:a"]}}`,
		`{"queue":"q","type":"cache.invalidate","payload":{"keys":["lambdis:cache:a"]},"delay":"1y"}`,
		`{"queue":"q","type":"cache.invalidate","payload":{"keys":["lambdis:cache:a"]},"max_attempts":1000}`,
		`{"queue":"q","type":"cache.invalidate","payload":{"keys":["lambdis:cache:a"]},"max_attempts":99999999999999999999}`,
		`{"queue":"q"`, `{"queue":"q"} {}`, "{\"queue\":\"\xff\"}", ``, `   `)
	add("POST", "/jobs/batch", user, `{"jobs":[]}`, `{"jobs":[`+job+`,{"queue":"q","type":"cache.invalidate","payload":{"keys":["lambdis:cache:a"]},"idempotency_key":"bad key"}]}`,
		`{"jobs":[{"queue":"q","queue":"q"}]}`, `{"Jobs":[]}`)
	add("POST", "/leaderboards/g/scores", user, `{"player":"alice","score":1.0,"mode":"best"}`, `{"player":"alice","score":1e3,"mode":"best"}`,
		`{"player":"alice","score":"1","mode":"best"}`, `{"player":"a b","score":1,"mode":"best"}`, `{"player":"bob","score":1,"mode":"best"}`,
		`{"player":"alice","Player":"bob","score":1,"mode":"best"}`, `{"player":"alice","score":1,"mode":"max"}`)
	add("POST", "/tokens/revoke", user, `{"token":"not.a.token"}`, `{"Token":"x"}`, `{"token":"a","token":"b"}`)
	add("POST", "/users/bob/revoke-all", user, ``)
	add("POST", "/users/%00/revoke-all", user, ``)
	add("POST", "/jobs", "", job)
	add("POST", "/jobs", "garbage", job)
	add("POST", "/jobs", user+"x", job)
	// Path and query parameters.
	for _, p := range []string{
		"/jobs/nope", "/jobs/q:00000000000000000000000000000000", "/jobs/%7Bq%7D:1", "/jobs/" + strings.Repeat("a", 300),
		"/leaderboards/a%7Bb", "/leaderboards/g?limit=0", "/leaderboards/g?limit=x", "/leaderboards/g?limit=1;foo=bar",
		"/leaderboards/g?cursor=abc", "/leaderboards/g?period=month", "/leaderboards/g?period=day&date=2099-12-31",
		"/leaderboards/g?period=day&date=0001-01-01", "/leaderboards/g?date=2026-01-01", "/leaderboards/g?limit=1&limit=2",
		"/leaderboards/g/players/a%20b", "/leaderboards/g/players/alice?around=99", "/leaderboards/g/players/nobody",
		"/leaderboards/g?q=%zz", "/nope", "/tokens/self?x=%",
	} {
		add("GET", p, user, "")
	}
	add("DELETE", "/leaderboards/g/players/alice", user, "")
	// Sessions (issue 16): the login body, a handle that is not the
	// caller's, a token logging out.
	add("POST", "/sessions", user, member(`{"device":@}`)...)
	add("POST", "/sessions", user, member(`@`)...)
	add("POST", "/sessions", user, `{"device":"a","Device":"b"}`, `{"device":"a","device":"b"}`, `{"remember":true}`,
		`{"device":"`+strings.Repeat("a", 200)+`"}`, "{\"device\":\"\xff\"}", `{"device":"a\u0000b"}`)
	add("DELETE", "/sessions/"+strings.Repeat("0", 32), user, "")
	add("DELETE", "/sessions/current", user, "")
	add("DELETE", "/sessions", user, `{"all":true}`)
	add("PUT", "/jobs", user, job)
	// The job of another caller.
	status, created, body := callBody(t, hs, "POST", "/jobs", user, job)
	if status != 202 {
		t.Fatalf("enqueue: %d %s", status, body)
	}
	add("GET", "/jobs/"+created["id"].(string), other, "")

	seen := map[int]int{}
	for _, r := range reqs {
		status, got, body := callBody(t, hs, r.method, r.path, r.token, r.body, "the walk sends client mistakes")
		if status < 400 || status >= 500 {
			if status < 300 {
				continue // some "wrong" values are right for a member (null, {}): not a 4xx to check
			}
			t.Errorf("%s %s %q: %d %s", r.method, r.path, r.body, status, body)
			continue
		}
		seen[status]++
		if status == 401 && testing.Verbose() {
			t.Logf("401: %s %s %q", r.method, r.path, r.body)
		}
		texts := []string{fmtAny(got["detail"]), fmtAny(got["title"])}
		for _, e := range asSlice(got["errors"]) {
			m, _ := e.(map[string]any)
			texts = append(texts, fmtAny(m["detail"]), fmtAny(m["pointer"]))
		}
		for _, s := range texts {
			if goShowsThrough.MatchString(s) {
				t.Errorf("%s %s %q: %d detail %q shows Go (%q)", r.method, r.path, r.body, status, s, goShowsThrough.FindString(s))
			}
		}
	}
	for _, want := range []int{400, 401, 403, 404, 405} {
		if seen[want] == 0 {
			t.Errorf("the walk produced no %d: it does not cover the handlers", want)
		}
	}
	t.Logf("4xx answers checked: %v", seen)
}

func fmtAny(v any) string {
	if v == nil {
		return ""
	}
	b, _ := json.Marshal(v)
	var s string
	if json.Unmarshal(b, &s) == nil {
		return s
	}
	return string(b)
}

// callBody is call with a request body; with offContractWhy, the request
// is invalid on purpose (see offContract).
func callBody(t *testing.T, hs *httptest.Server, method, path, token, body string, offContractWhy ...string) (int, map[string]any, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := newRequest(t, method, hs.URL+path, rd)
	if len(offContractWhy) > 0 {
		req = offContract(req, strings.Join(offContractWhy, "; "))
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, b := do(t, req)
	var got map[string]any
	_ = json.Unmarshal(b, &got)
	return resp.StatusCode, got, string(b)
}
