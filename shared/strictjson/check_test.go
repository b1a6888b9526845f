package strictjson

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

// The inputs of the hostile-input review (issue 12, item 1), and their
// neighbours: every one must be refused, with the pointer of the value.
func TestCheckRejects(t *testing.T) {
	for _, tt := range []struct {
		in   string
		kind Kind
		ptr  string
	}{
		{`{"sub":"alice","sub":"bob"}`, Duplicate, "/sub"},
		{`{"sub":"alice","\u0073ub":"bob"}`, Duplicate, "/sub"},
		{`{"payload":{"url":"https://x/NOTALLOWED","url":"https://x/hooks/ok"}}`, Duplicate, "/payload/url"},
		{`{"a":[{"b":1},{"b":2,"b":3}]}`, Duplicate, "/a/1/b"},
		{`[[[{"x":{"y":{"z":0,"z":0}}}]]]`, Duplicate, "/0/0/0/x/y/z"},
		{`{"a/b~":1,"a/b~":2}`, Duplicate, "/a~1b~0"},
		{"{\"sub\":\"al\xffice\"}", Syntax, ""},
		{`{"a":1} {"a":2}`, Syntax, ""},
		{`{"a":1`, Syntax, ""},
		{``, Syntax, ""},
		{`{"a":1,}`, Syntax, ""},
	} {
		err := Check([]byte(tt.in))
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Check(%q) = %v, want an *Error", tt.in, err)
			continue
		}
		if e.Kind != tt.kind || e.Pointer != tt.ptr {
			t.Errorf("Check(%q): kind %d pointer %q, want kind %d pointer %q (%v)", tt.in, e.Kind, e.Pointer, tt.kind, tt.ptr, e)
		}
	}
}

func TestCheckAccepts(t *testing.T) {
	for _, in := range []string{
		`{"sub":"alice","Sub":"bob","SUB":"eve","ſub":"kelvin"}`, // distinct names: Check alone allows them
		`{"a":{"x":1},"b":{"x":1}}`,                              // the same name in two objects
		`[{"x":1},{"x":2}]`,
		` 1e400 `, `"\ud800"`, `null`, `[]`, `{}`,
	} {
		if err := Check([]byte(in)); err != nil {
			t.Errorf("Check(%q) = %v, want nil", in, err)
		}
	}
}

type inner struct {
	Name string   `json:"name"`
	Keys []string `json:"keys"`
}

type outer struct {
	Payload inner            `json:"payload"`
	Count   int32            `json:"count"`
	Labels  map[string]inner `json:"labels"`
	Items   []inner          `json:"items"`
	Ok      *bool            `json:"ok"`
}

// goIdentifier matches what an encoding/json error shows of Go: type names,
// struct field paths, package names.
var goIdentifier = regexp.MustCompile(`Go |struct|\[\]|int32|int64|float64|map\[|json:|strictjson\.|outer|inner|Payload\b|Keys\b`)

func TestUnmarshalRejects(t *testing.T) {
	for _, tt := range []struct {
		in, ptr, msg string
		kind         Kind
	}{
		{`{"payload":{"keys":"a"}}`, "/payload/keys", "must be an array of strings", Type},
		{`{"payload":{"keys":["a",1]}}`, "/payload/keys/1", "must be a string", Type},
		{`{"count":1.5}`, "/count", "must be an integer from -2147483648 to 2147483647", Type},
		{`{"count":"1"}`, "/count", "must be an integer from -2147483648 to 2147483647", Type},
		{`{"count":2147483648}`, "/count", "must be an integer from -2147483648 to 2147483647", Type},
		{`{"ok":"true"}`, "/ok", "must be true or false", Type},
		{`{"items":[{},{"NAME":"x"}]}`, "/items/1/NAME", `unknown member (names are case-sensitive: the member is "name")`, Unknown},
		{`{"payload":{"ſame":"x"}}`, "/payload/ſame", "unknown member", Unknown},
		{`{"labels":{"k":{"nope":1}}}`, "/labels/k/nope", "unknown member", Unknown},
		{`{"payload":[]}`, "/payload", "must be an object", Type},
		{`[]`, "", "must be an object", Type},
	} {
		var v outer
		err := Unmarshal([]byte(tt.in), &v)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Unmarshal(%q) = %v, want an *Error", tt.in, err)
			continue
		}
		if e.Kind != tt.kind || e.Pointer != tt.ptr || e.Message != tt.msg {
			t.Errorf("Unmarshal(%q) = kind %d %q %q, want kind %d %q %q", tt.in, e.Kind, e.Pointer, e.Message, tt.kind, tt.ptr, tt.msg)
		}
		if shown := e.Pointer + ": " + e.Message; goIdentifier.MatchString(shown) {
			t.Errorf("Unmarshal(%q): %q shows a Go identifier", tt.in, shown)
		}
	}
}

func TestUnmarshalAccepts(t *testing.T) {
	var v outer
	in := `{"payload":{"name":"n","keys":["a","b"]},"count":-7,"labels":{"x":{"name":"y"}},"items":[{"keys":null}],"ok":true}`
	if err := Unmarshal([]byte(in), &v); err != nil {
		t.Fatal(err)
	}
	if v.Payload.Name != "n" || len(v.Payload.Keys) != 2 || v.Count != -7 || v.Labels["x"].Name != "y" || len(v.Items) != 1 || v.Ok == nil || !*v.Ok {
		t.Fatalf("decoded %+v", v)
	}
}

func TestUnmarshalProgrammingError(t *testing.T) {
	var v outer
	err := Unmarshal([]byte(`{}`), v)
	var e *Error
	if err == nil || errors.As(err, &e) {
		t.Fatalf("Unmarshal into a non-pointer = %v, want a plain error", err)
	}
}

// Deep nesting is one pass, and the pointer still names the duplicate.
func TestCheckDeep(t *testing.T) {
	const depth = 2000 // 4000 levels: encoding/json allows 10000
	in := strings.Repeat(`[{"a":`, depth) + `{"x":1,"x":2}` + strings.Repeat(`}]`, depth)
	err := Check([]byte(in))
	var e *Error
	if !errors.As(err, &e) || e.Kind != Duplicate || !strings.HasSuffix(e.Pointer, "/0/a/x") || strings.Count(e.Pointer, "/a") != depth {
		t.Fatalf("Check(deep) = %v", err)
	}
}
