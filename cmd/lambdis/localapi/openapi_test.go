package localapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/lambdis/lambdis/api"
	"github.com/lambdis/lambdis/api/apitest"
	"github.com/lambdis/lambdis/cmd/lambdis/localapi"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/redistest"
)

// The document and the route table of `lambdis serve` name the same
// operations ({name+} is the document's {name}).
func TestDocumentNamesEveryRoute(t *testing.T) {
	doc, _ := apitest.Load(t)
	srv, _ := start(t, localapi.Config{})
	table := map[string]bool{}
	for _, r := range srv.Routes() {
		res := strings.ReplaceAll(r.Resource, "+}", "}")
		table[r.Method+" "+res] = true
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	for op := range table {
		if !documented[op] {
			t.Errorf("%s is served but not in api/openapi.yaml", op)
		}
	}
	for op := range documented {
		if !table[op] {
			t.Errorf("api/openapi.yaml describes %s, which lambdis serve does not serve", op)
		}
	}
}

// GET /openapi.json serves the embedded document, without a credential.
func TestServeOpenAPIJSON(t *testing.T) {
	_, hs := start(t, localapi.Config{})
	resp, body := do(t, newRequest(t, "GET", hs.URL+"/openapi.json", nil))
	want, err := api.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != apigw.JSONContentType || !bytes.Equal(body, want) {
		t.Fatalf("%d %q, %d bytes; want 200 application/json, the document (%d bytes)", resp.StatusCode, resp.Header.Get("Content-Type"), len(body), len(want))
	}
}

// Requests the document calls invalid are refused: for every operation, a
// request built from the document's examples is valid and taken, and each
// request that breaks one constraint of a parameter or of a body member at
// any depth (length, pattern, range, enum, item count, type, an unknown or
// a missing member), generated from the schemas, is refused by the document
// and answered 4xx problem+json by the server, writing nothing.
func TestRequestsTheDocumentRefusesAreRefused(t *testing.T) {
	doc, router := apitest.Load(t)
	mr, rdb := redistest.Miniredis(t)
	_, hs := start(t, localapi.Config{Redis: rdb, Getenv: env(map[string]string{
		"JWT_SECRET": hostileSecret, "RATE_LIMITS": "per_second=100000/1s",
	})})
	// A fresh token for each request: a request that revoked its token
	// (a refusal that is not one) does not turn the rest into 401s.
	token := func() string {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		return mint(`{"sub":"root","scope":"admin","jti":"` + hex.EncodeToString(b) + `",` + times(time.Now().Add(-time.Minute)) + `}`)
	}
	// The store as the integrations left it; the authorizer's rate-limit
	// state changes with every request and is left out.
	store := func() string {
		var keep []string
		for _, sec := range strings.SplitAfter(mr.Dump(), "\n- ") {
			if !strings.Contains(strings.SplitN(sec, "\n", 2)[0], ":rl:") {
				keep = append(keep, sec)
			}
		}
		return strings.Join(keep, "")
	}

	paths := doc.Paths.InMatchingOrder()
	sort.Strings(paths)
	checked := 0
	for _, path := range paths {
		item := doc.Paths.Value(path)
		for method, op := range item.Operations() {
			params := append(openapi3.Parameters{}, item.Parameters...)
			params = append(params, op.Parameters...)
			base := exampleRequest(t, method, path, params, op)
			if err := validateRequest(router, base.build(hs.URL, "")); err != nil {
				t.Errorf("%s %s: the request of the document's examples is invalid: %v", method, path, err)
				continue
			}
			// The server takes it (or answers that what it names does not
			// exist, where the document says it may).
			if resp, body := do(t, base.build(hs.URL, token())); resp.StatusCode > 299 && (resp.StatusCode != 404 || op.Responses.Status(404) == nil) {
				t.Errorf("%s %s: the request of the document's examples: %d %s", method, path, resp.StatusCode, body)
			}
			for _, v := range violations(base, params, op) {
				req := v.build(hs.URL, token())
				if err := validateRequest(router, v.build(hs.URL, "")); err == nil {
					t.Errorf("%s %s, %s: the document accepts it; the generator is wrong", method, path, v.what)
					continue
				}
				before := store()
				resp, body := do(t, offContract(req, "a generated violation of the document"))
				checked++
				if resp.StatusCode < 400 || resp.StatusCode > 499 || slices.Contains([]int{401, 403, 429}, resp.StatusCode) {
					t.Errorf("%s %s, %s: %d %s; want a 4xx refusal of the request", method, path, v.what, resp.StatusCode, body)
				} else if ct := resp.Header.Get("Content-Type"); ct != apigw.ProblemContentType {
					t.Errorf("%s %s, %s: Content-Type %q", method, path, v.what, ct)
				}
				if after := store(); after != before {
					t.Errorf("%s %s, %s: the store changed:\n%s\n→\n%s", method, path, v.what, before, after)
				}
			}
		}
	}
	// The store check sees a write: the example enqueue stores a job.
	op := doc.Paths.Value("/jobs").Post
	before := store()
	if resp, body := do(t, exampleRequest(t, "POST", "/jobs", op.Parameters, op).build(hs.URL, token())); resp.StatusCode != 202 {
		t.Fatalf("the example enqueue: %d %s", resp.StatusCode, body)
	}
	if store() == before {
		t.Error("an enqueue left the store as it was: the check that nothing is written sees nothing")
	}
	if checked < 100 {
		t.Errorf("only %d violations generated: the generator does not cover the document", checked)
	}
	t.Logf("%d requests that break the document, each refused", checked)
}

// apiRequest is a request to an operation, by parts.
type apiRequest struct {
	what         string // the violation, for messages
	method, path string // path is the document's template
	pathParams   map[string]string
	query        url.Values
	header       http.Header
	body         any // nil: no body
	rawBody      string
}

func (r apiRequest) clone() apiRequest {
	c := r
	c.pathParams = maps.Clone(r.pathParams)
	c.query = url.Values{}
	for k, v := range r.query {
		c.query[k] = slices.Clone(v)
	}
	c.header = r.header.Clone()
	if r.body != nil {
		b, _ := json.Marshal(r.body)
		_ = json.Unmarshal(b, &c.body)
	}
	return c
}

func (r apiRequest) build(base, token string) *http.Request {
	path := r.path
	for k, v := range r.pathParams {
		path = strings.ReplaceAll(path, "{"+k+"}", url.PathEscape(v))
	}
	u := base + path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var rd io.Reader
	switch {
	case r.rawBody != "":
		rd = strings.NewReader(r.rawBody)
	case r.body != nil:
		b, _ := json.Marshal(r.body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(r.method, u, rd)
	if err != nil {
		panic(err)
	}
	req.Header = r.header.Clone()
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	} else {
		req.Header.Set("Authorization", "Bearer x") // the document's security, for validation
	}
	return req
}

// validateRequest validates req against the document.
func validateRequest(router routers.Router, req *http.Request) error {
	route, params, err := apitest.FindRoute(router, req)
	if err != nil {
		return err
	}
	return openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: apitest.CredentialPresent},
	})
}

// exampleRequest is a valid request to op built from the document's
// examples: every path parameter, the body; no optional parameter.
func exampleRequest(t *testing.T, method, path string, params openapi3.Parameters, op *openapi3.Operation) apiRequest {
	t.Helper()
	r := apiRequest{method: method, path: path, pathParams: map[string]string{}, query: url.Values{}, header: http.Header{}}
	for _, p := range params {
		if p.Value.In != "path" {
			continue
		}
		ex, ok := p.Value.Example.(string)
		if !ok {
			t.Fatalf("%s %s: path parameter %s has no example", method, path, p.Value.Name)
		}
		r.pathParams[p.Value.Name] = ex
	}
	if op.RequestBody != nil {
		mt := op.RequestBody.Value.Content.Get("application/json")
		if mt == nil || mt.Example == nil {
			t.Fatalf("%s %s: the request body has no example", method, path)
		}
		b, _ := json.Marshal(mt.Example)
		_ = json.Unmarshal(b, &r.body)
	}
	return r
}

// violations are requests that each break one constraint of the document
// in base: a parameter's or a top-level body member's schema, an unknown or
// missing member, the body's type. Each is a candidate: the test checks
// the document refuses it.
func violations(base apiRequest, params openapi3.Parameters, op *openapi3.Operation) []apiRequest {
	var out []apiRequest
	add := func(what string, mutate func(*apiRequest)) {
		r := base.clone()
		r.what = what
		mutate(&r)
		out = append(out, r)
	}
	for _, p := range params {
		p := p.Value
		for _, bad := range badValues(p.Schema.Value, p.In == "path") {
			if bad.what == "wrong type" && p.Schema.Value.Type.Permits("string") {
				continue // a parameter's value is text: a string schema takes any
			}
			s, ok := bad.v.(string)
			if !ok {
				b, _ := json.Marshal(bad.v)
				s = string(b)
			}
			add(fmt.Sprintf("%s %s: %s", p.In, p.Name, bad.what), func(r *apiRequest) {
				switch p.In {
				case "path":
					r.pathParams[p.Name] = s
				case "query":
					r.query.Set(p.Name, s)
				case "header":
					r.header.Set(p.Name, s)
				}
			})
		}
	}
	if op.RequestBody == nil {
		return out
	}
	schema := op.RequestBody.Value.Content.Get("application/json").Schema.Value
	add("body: not JSON", func(r *apiRequest) { r.body, r.rawBody = nil, `{"` })
	add("body: a case variant of a member", func(r *apiRequest) {
		m, _ := r.body.(map[string]any)
		for _, k := range slices.Sorted(maps.Keys(m)) {
			m[strings.ToUpper(k)] = m[k]
			return
		}
		m["zz_unknown"] = 1 // no member to vary: an unknown one
	})
	var walk func(s *openapi3.Schema, at []any, example any)
	walk = func(s *openapi3.Schema, at []any, example any) {
		ptr := pointer(at)
		for _, bad := range badValues(s, false) {
			add("body "+ptr+": "+bad.what, func(r *apiRequest) { r.body = setAt(r.body, at, bad.v) })
		}
		if has := s.AdditionalProperties.Has; has != nil && !*has {
			add("body "+ptr+": an unknown member", func(r *apiRequest) { r.body = setAt(r.body, append(slices.Clone(at), "zz_unknown"), 1) })
		}
		for _, name := range s.Required {
			add("body "+ptr+": without "+name, func(r *apiRequest) { r.body = deleteAt(r.body, append(slices.Clone(at), name)) })
		}
		m, _ := example.(map[string]any)
		for _, name := range slices.Sorted(maps.Keys(s.Properties)) {
			walk(s.Properties[name].Value, append(slices.Clone(at), name), m[name])
		}
		if s.Items != nil {
			items, _ := example.([]any)
			if len(items) == 0 {
				items = []any{nil}
			}
			walk(s.Items.Value, append(slices.Clone(at), 0), items[0])
		}
		for _, sub := range s.AllOf {
			walk(sub.Value, at, example)
		}
		// A conditional applies when the example meets its condition (a
		// job type's payload schema to a job of that type).
		if s.If != nil && s.Then != nil && s.If.Value.VisitJSON(example, openapi3.EnableJSONSchema2020()) == nil {
			walk(s.Then.Value, at, example)
		}
	}
	walk(schema, nil, base.body)
	return out
}

// pointer is the JSON Pointer of a path of member names and indexes.
func pointer(at []any) string {
	var b strings.Builder
	for _, k := range at {
		fmt.Fprintf(&b, "/%v", k)
	}
	if b.Len() == 0 {
		return "/"
	}
	return b.String()
}

// setAt returns v with the value at path set to x (objects and arrays
// along the path made as needed).
func setAt(v any, path []any, x any) any {
	if len(path) == 0 {
		return x
	}
	if k, ok := path[0].(string); ok {
		m, ok := v.(map[string]any)
		if !ok {
			m = map[string]any{}
		}
		m[k] = setAt(m[k], path[1:], x)
		return m
	}
	i := path[0].(int)
	a, _ := v.([]any)
	for len(a) <= i {
		a = append(a, nil)
	}
	a[i] = setAt(a[i], path[1:], x)
	return a
}

// deleteAt returns v without the member at path.
func deleteAt(v any, path []any) any {
	switch k := path[0].(type) {
	case string:
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		if len(path) == 1 {
			delete(m, k)
		} else {
			m[k] = deleteAt(m[k], path[1:])
		}
	case int:
		if a, ok := v.([]any); ok && k < len(a) && len(path) > 1 {
			a[k] = deleteAt(a[k], path[1:])
		}
	}
	return v
}

type badValue struct {
	what string
	v    any
}

// badValues are values that break one constraint of s each (for a path
// parameter, none that would change the route: no empty string).
func badValues(s *openapi3.Schema, inPath bool) []badValue {
	var out []badValue
	if s.Type != nil && !s.Type.IsEmpty() {
		for _, v := range []any{"s", 12345, true, []any{}, map[string]any{}} {
			if !permits(s.Type, v) {
				out = append(out, badValue{"wrong type", v})
				break
			}
		}
	}
	if len(s.Enum) > 0 {
		out = append(out, badValue{"not in the enum", "zz-not-in-enum"})
	}
	if s.MaxLength != nil {
		out = append(out, badValue{"too long", strings.Repeat("a", int(*s.MaxLength)+1)})
	}
	if s.MinLength > 0 && !inPath {
		out = append(out, badValue{"too short", strings.Repeat("a", int(s.MinLength)-1)})
	}
	if s.Pattern != "" {
		for _, v := range []string{"a{b}", "a b", "a\x01", "\u00e9"} {
			if !regexpMatches(s.Pattern, v) {
				out = append(out, badValue{"against the pattern", v})
				break
			}
		}
	}
	if s.Min != nil {
		out = append(out, badValue{"below the minimum", *s.Min - 1})
	}
	if s.Max != nil {
		out = append(out, badValue{"above the maximum", *s.Max + 1})
	}
	if s.Type != nil && s.Type.Permits("integer") && !s.Type.Permits("number") {
		out = append(out, badValue{"a fraction", 1.5})
	}
	if s.MinItems > 0 {
		out = append(out, badValue{"too few items", []any{}})
	}
	if s.MaxItems != nil {
		items := make([]any, int(*s.MaxItems)+1)
		for i := range items {
			items[i] = "a" + strconv.Itoa(i)
		}
		out = append(out, badValue{"too many items", items})
	}
	return out
}

// permits reports whether a JSON value of v's kind has one of types.
func permits(types *openapi3.Types, v any) bool {
	switch v.(type) {
	case string:
		return types.Permits("string")
	case int:
		return types.Permits("integer") || types.Permits("number")
	case bool:
		return types.Permits("boolean")
	case []any:
		return types.Permits("array")
	}
	return types.Permits("object")
}

func regexpMatches(pattern, v string) bool {
	re, err := regexp.Compile(pattern)
	return err == nil && re.MatchString(v)
}
