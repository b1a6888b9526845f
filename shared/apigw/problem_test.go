package apigw

import (
	"bufio"
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestProblemMarshalFlat(t *testing.T) {
	tests := []struct {
		name string
		p    Problem
		want string
	}{
		{
			name: "empty type is about:blank",
			p:    Problem{Title: "Not Found", Status: 404},
			want: `{"type":"about:blank","title":"Not Found","status":404}`,
		},
		{
			name: "all standard members",
			p:    Problem{Type: "https://x/t", Title: "T", Status: 409, Detail: "d", Instance: "/jobs/1"},
			want: `{"type":"https://x/t","title":"T","status":409,"detail":"d","instance":"/jobs/1"}`,
		},
		{
			name: "extensions are top-level members in key order",
			p: Problem{Type: "https://x/t", Status: 429, Extensions: map[string]any{
				"violated-policies": []string{"daily"}, "retry_after": 3, "a": nil,
			}},
			want: `{"type":"https://x/t","status":429,"a":null,"retry_after":3,"violated-policies":["daily"]}`,
		},
		{
			name: "detail is JSON-escaped",
			p:    Problem{Type: "t", Detail: "a \"quoted\" <tag>\n"},
			want: `{"type":"t","detail":"a \"quoted\" \u003ctag\u003e\n"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.p)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestProblemMarshalRejects(t *testing.T) {
	for _, ext := range []map[string]any{
		{"status": 200},
		{"type": "x"},
		{"bad": func() {}},
	} {
		if b, err := json.Marshal(Problem{Type: "t", Extensions: ext}); err == nil {
			t.Errorf("extensions %v: marshalled %s, want an error", ext, b)
		}
	}
}

func TestProblemRoundTrip(t *testing.T) {
	in := TypeUnprocessable.New("bad run_at").With("errors", []any{
		map[string]any{"pointer": "/run_at", "detail": "in the past"},
	}).With("count", 2.0)
	in.Instance = "urn:request:1"
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out Problem
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip:\n in  %#v\n out %#v", in, out)
	}
}

func TestProblemUnmarshalErrors(t *testing.T) {
	for _, body := range []string{`null`, `[]`, `{"status":"429"}`, `{"type":1}`, `{`} {
		var p Problem
		if err := json.Unmarshal([]byte(body), &p); err == nil {
			t.Errorf("%s: got %#v, want an error", body, p)
		}
	}
}

func TestWithDoesNotShareExtensions(t *testing.T) {
	base := TypeConflict.New("x").With("a", 1)
	derived := base.With("b", 2)
	if _, ok := base.Extensions["b"]; ok {
		t.Fatal("With modified the receiver's extensions")
	}
	if len(derived.Extensions) != 2 {
		t.Fatalf("derived extensions = %v", derived.Extensions)
	}
}

func TestProblemTypes(t *testing.T) {
	seen := map[ProblemType]bool{}
	for _, pt := range ProblemTypes() {
		if seen[pt] {
			t.Errorf("%s listed twice", pt)
		}
		seen[pt] = true
		if !regexp.MustCompile(`^[a-z]+(-[a-z]+)*$`).MatchString(string(pt)) {
			t.Errorf("slug %q is not lower-case words joined by hyphens", pt)
		}
		if pt.Title() == "" {
			t.Errorf("%s has no title", pt)
		}
		if s := pt.Status(); s < 400 || s > 599 {
			t.Errorf("%s has status %d", pt, s)
		}
		if got, ok := ParseProblemType(pt.URI()); !ok || got != pt {
			t.Errorf("ParseProblemType(%q) = %q, %v", pt.URI(), got, ok)
		}
	}
	for _, want := range []ProblemType{TypeBadRequest, TypeInvalidJSON, TypeBodyTooLarge, TypeUnauthorized,
		TypeForbidden, TypeNotFound, TypeConflict, TypeUnprocessable, TypeQuotaExceeded, TypeStoreUnavailable, TypeInternal} {
		if !seen[want] {
			t.Errorf("%s missing from ProblemTypes", want)
		}
	}
	if _, ok := ParseProblemType(ProblemTypeBase + "no-such-type"); ok {
		t.Error("ParseProblemType accepted an unknown slug")
	}
	if _, ok := ParseProblemType("about:blank"); ok {
		t.Error("ParseProblemType accepted about:blank")
	}
	if got := ProblemType("nope").Status(); got != 500 {
		t.Errorf("unknown type status = %d, want 500", got)
	}
}

// TestProblemsDoc keeps docs/problems.md and the registry in step: every slug
// has a "## slug" section (whose anchor is the type URI's fragment) stating the
// same title and status, and the doc names no other slug.
func TestProblemsDoc(t *testing.T) {
	f, err := os.Open("../../docs/problems.md")
	if err != nil {
		t.Fatalf("open docs: %v", err)
	}
	defer f.Close()
	type entry struct {
		title  string
		status int
	}
	sections := map[string]*entry{}
	rows := map[string]string{} // slug -> "title|status" from the summary table
	row := regexp.MustCompile(`^\| \[([a-z-]+)\]\(#([a-z-]+)\) \| ([^|]+) \| (\d{3}) \|$`)
	var cur *entry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if m := row.FindStringSubmatch(line); m != nil {
			if m[1] != m[2] {
				t.Errorf("table row links %q to #%s", m[1], m[2])
			}
			rows[m[1]] = m[3] + "|" + m[4]
			continue
		}
		if slug, ok := strings.CutPrefix(line, "## "); ok {
			cur = &entry{}
			sections[strings.TrimSpace(slug)] = cur
			continue
		}
		if cur == nil {
			continue
		}
		if v, ok := strings.CutPrefix(line, "- Title: "); ok {
			cur.title = v
		}
		if v, ok := strings.CutPrefix(line, "- Status: "); ok {
			if cur.status, err = strconv.Atoi(v); err != nil {
				t.Errorf("bad status line %q", line)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for _, pt := range ProblemTypes() {
		e, ok := sections[string(pt)]
		if !ok {
			t.Errorf("docs/problems.md has no section %q", pt)
			continue
		}
		if e.title != pt.Title() || e.status != pt.Status() {
			t.Errorf("docs %s: title %q status %d, code: %q %d", pt, e.title, e.status, pt.Title(), pt.Status())
		}
		if want := pt.Title() + "|" + strconv.Itoa(pt.Status()); rows[string(pt)] != want {
			t.Errorf("docs table row for %s = %q, want %q", pt, rows[string(pt)], want)
		}
		delete(rows, string(pt))
		delete(sections, string(pt))
	}
	for slug := range sections {
		t.Errorf("docs/problems.md documents %q, which the code does not define", slug)
	}
	for slug := range rows {
		t.Errorf("docs/problems.md table lists %q, which the code does not define", slug)
	}
}
