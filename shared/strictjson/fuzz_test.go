package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// seeds are the review's inputs (issue 12) and the forms around them:
// duplicates at any depth, case variants, escaped names, number forms.
var seeds = []string{
	`{"sub":"alice","scope":"read","Scope":"admin","exp":2000000000,"iat":1000000000}`,
	`{"sub":"alice","SCP":["admin"],"exp":2000000000,"iat":1000000000}`,
	`{"sub":"alice","Sub":"bob","SUB":"eve","exp":2000000000,"iat":1000000000}`,
	`{"sub":"alice","exp":2000000000,"iat":1000000000,"ſub":"kelvin"}`,
	`{"sub":"alice","sub":"bob","exp":2000000000,"iat":1000000000}`,
	`{"sub":"alice","exp":"2000000000","iat":"1000000000"}`,
	`{"sub":"alice","exp":1000000000,"iat":2000000000}`,
	"{\"sub\":\"al\xffice\",\"exp\":2000000000,\"iat\":1000000000}",
	`{"queue":"q","type":"webhook","payload":{"url":"https://h/NOTALLOWED","url":"https://h/hooks/ok"}}`,
	`{"queue":"q","type":"webhook","payload":{"URL":"https://h/NOTALLOWED","url":"https://h/hooks/ok"}}`,
	`{"a":[{"b":{"c":1,"\u0063":2}}]}`,
	`{"n":1e400,"m":-0,"k":1.0e-5,"j":0.1E+2}`,
	`[1,2,[3,[4,{"x":[{"y":1,"y":1}]}]]]`,
}

func FuzzCheck(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := Check(data)
		want := utf8.Valid(data) && json.Valid(data) && !hasDuplicate(data)
		if (err == nil) != want {
			t.Fatalf("Check(%q) = %v, want accepted=%v", data, err, want)
		}
		var e *Error
		if err != nil && !errors.As(err, &e) {
			t.Fatalf("Check(%q) returned %T", data, err)
		}
	})
}

// hasDuplicate is a second, independent reading: recursive decoding into
// raw members.
func hasDuplicate(data []byte) bool {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return false
	}
	switch data[0] {
	case '[':
		var items []json.RawMessage
		if json.Unmarshal(data, &items) != nil {
			return false
		}
		for _, it := range items {
			if hasDuplicate(it) {
				return true
			}
		}
	case '{':
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.Token()
		seen := map[string]bool{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return false
			}
			name := tok.(string)
			if seen[name] {
				return true
			}
			seen[name] = true
			var raw json.RawMessage
			if dec.Decode(&raw) != nil || hasDuplicate(raw) {
				return raw != nil
			}
		}
	}
	return false
}

type claimsLike struct {
	Sub    string   `json:"sub"`
	Scope  string   `json:"scope"`
	Scp    []string `json:"scp"`
	Exp    int64    `json:"exp"`
	Iat    int64    `json:"iat"`
	Nested struct {
		URL string `json:"url"`
	} `json:"payload"`
}

func FuzzUnmarshal(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var v claimsLike
		err := Unmarshal(data, &v)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Unmarshal(%q) returned %T: %v", data, err, err)
			}
			if shown := e.Pointer + e.Message; strings.Contains(shown, "Go ") || strings.Contains(shown, "claimsLike") || strings.Contains(shown, "int64") {
				t.Fatalf("Unmarshal(%q): %q shows Go", data, shown)
			}
			return
		}
		// Accepted: every member name at the top level is an exact field
		// name, once, and the value is what encoding/json reads too.
		var m map[string]json.RawMessage
		if json.Unmarshal(data, &m) != nil {
			return // a top-level null
		}
		for k := range m {
			switch k {
			case "sub", "scope", "scp", "exp", "iat", "payload":
			default:
				t.Fatalf("Unmarshal(%q) accepted member %q", data, k)
			}
		}
		if Check(data) != nil {
			t.Fatalf("Unmarshal(%q) accepted what Check refuses", data)
		}
	})
}
