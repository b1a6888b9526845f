package keys

import (
	"errors"
	"strings"
	"testing"
)

func TestKey(t *testing.T) {
	b, err := New("")
	if err != nil {
		t.Fatal(err)
	}
	got, err := b.Key("rl", "u:alice", "per_minute")
	if err != nil {
		t.Fatal(err)
	}
	if want := "lambdis:rl:{u:alice}:per_minute"; got != want {
		t.Fatalf("Key = %q, want %q", got, want)
	}
	b2, err := New("acme")
	if err != nil {
		t.Fatal(err)
	}
	got, err = b2.Key("q", "email")
	if err != nil {
		t.Fatal(err)
	}
	if want := "acme:q:{email}"; got != want {
		t.Fatalf("Key = %q, want %q", got, want)
	}
}

func TestInvalidTags(t *testing.T) {
	b := Builder{}
	for _, tag := range []string{
		"", "a{b", "a}b", "{x}", "has space", "tab\there", "nl\n", "nul\x00", "del\x7f",
		"\xff\xfe", "c1\u0085", strings.Repeat("a", MaxTagLen+1),
	} {
		if _, err := b.Key("rl", tag); !errors.Is(err, ErrInvalid) {
			t.Errorf("Key(tag=%q) err = %v, want ErrInvalid", tag, err)
		}
	}
	if _, err := b.Key("rl", strings.Repeat("a", MaxTagLen)); err != nil {
		t.Errorf("tag of MaxTagLen bytes: %v", err)
	}
	if _, err := b.Key("rl", "ok", "bad}part"); !errors.Is(err, ErrInvalid) {
		t.Errorf("part with brace accepted: %v", err)
	}
}

func TestPrefixFromEnv(t *testing.T) {
	for _, tc := range []struct {
		val, want string
		ok        bool
	}{
		{"", "lambdis", true},
		{"prod", "prod", true},
		{"a:b", "", false},
		{"a{b", "", false},
		{strings.Repeat("p", 65), "", false},
	} {
		b, err := FromEnv(func(string) string { return tc.val })
		if tc.ok != (err == nil) {
			t.Errorf("FromEnv(%q) err = %v", tc.val, err)
			continue
		}
		if err != nil {
			if !strings.Contains(err.Error(), "LAMBDIS_KEY_PREFIX") {
				t.Errorf("error %q does not name the variable", err)
			}
			continue
		}
		if b.Prefix() != tc.want {
			t.Errorf("prefix = %q, want %q", b.Prefix(), tc.want)
		}
	}
}

func FuzzKey(f *testing.F) {
	for _, s := range []string{"u:alice", "ip:203.0.113.7", "{", "a}b", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tag string) {
		k, err := Builder{}.Key("m", tag, "x")
		if err != nil {
			return
		}
		// A valid tag yields exactly one hash tag: the first '{' and the first '}' after it enclose tag.
		i := strings.IndexByte(k, '{')
		j := strings.IndexByte(k[i:], '}')
		if i < 0 || j < 0 || k[i+1:i+j] != tag {
			t.Fatalf("key %q does not hash on tag %q", k, tag)
		}
	})
}
