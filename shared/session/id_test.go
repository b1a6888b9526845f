package session

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func TestIDRoundTrip(t *testing.T) {
	for _, sub := range []string{"alice", "a}{b", "user with spaces", "ünïcødé", strings.Repeat("s", MaxSubjectBytes)} {
		id := newID(sub)
		tok := id.Token()
		if len(tok) > MaxIDLen {
			t.Fatalf("%q: token of %d bytes > MaxIDLen %d", sub, len(tok), MaxIDLen)
		}
		got, err := ParseID(tok)
		if err != nil {
			t.Fatalf("%q: %v", sub, err)
		}
		if got != id || got.Subject() != sub || got.Handle() != id.Handle() {
			t.Fatalf("%q: round trip %v != %v", sub, got, id)
		}
		if len(id.Handle()) != 32 {
			t.Fatalf("handle %q", id.Handle())
		}
		secret := strings.SplitN(tok, ".", 2)[1]
		for _, s := range []string{id.String(), id.GoString(), id.Handle()} {
			if strings.Contains(s, secret) {
				t.Fatalf("%q reveals the secret", s)
			}
		}
	}
	if newID("x").Token() == newID("x").Token() {
		t.Fatal("two ids for one subject are equal")
	}
}

func TestParseIDRejects(t *testing.T) {
	enc := base64.RawURLEncoding.EncodeToString
	secret := enc(make([]byte, SecretBytes))
	cases := map[string]string{
		"empty":               "",
		"no dot":              enc([]byte("alice")) + secret,
		"empty subject":       "." + secret,
		"empty secret":        enc([]byte("alice")) + ".",
		"short secret":        enc([]byte("alice")) + "." + secret[:42],
		"long secret":         enc([]byte("alice")) + "." + secret + "A",
		"padded subject":      base64.URLEncoding.EncodeToString([]byte("alice")) + "." + secret,
		"std alphabet":        "+/+/." + secret,
		"non-canonical bits":  enc([]byte("alice"))[:6] + "x." + secret,
		"two dots":            enc([]byte("alice")) + "." + secret[:21] + "." + secret[22:],
		"control in subject":  enc([]byte("al\nice")) + "." + secret,
		"nul in subject":      enc([]byte("a\x00")) + "." + secret,
		"bad utf-8 subject":   enc([]byte{0xff, 0xfe}) + "." + secret,
		"line separator":      enc([]byte("a\u2028b")) + "." + secret,
		"oversize subject":    enc([]byte(strings.Repeat("a", MaxSubjectBytes+1))) + "." + secret,
		"oversize id":         strings.Repeat("A", MaxIDLen+1),
		"huge id":             strings.Repeat("A.", 1<<20),
		"spaces":              " " + enc([]byte("alice")) + "." + secret,
		"percent-encoded dot": enc([]byte("alice")) + "%2E" + secret,
		"jwt":                 "eyJhbGciOiJIUzI1NiJ9.e30.x",
	}
	for name, s := range cases {
		id, err := ParseID(s)
		if !errors.Is(err, ErrMalformedID) {
			t.Errorf("%s: %v, %v; want ErrMalformedID", name, id, err)
		}
		if id.Valid() {
			t.Errorf("%s: a valid id came back", name)
		}
	}
	if (ID{}).Token() != "" || (ID{}).Valid() {
		t.Error("zero id is usable")
	}
}

// FuzzParseID: never a panic; whatever parses is canonical (its token is
// the input), bounded and has a valid subject.
func FuzzParseID(f *testing.F) {
	for _, s := range []string{"", ".", "a.b", newID("alice").Token(), newID("a}{b").Token(), "YQ." + strings.Repeat("A", 43), "YQ." + strings.Repeat("_", 43)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseID(s)
		if err != nil {
			if !errors.Is(err, ErrMalformedID) || id.Valid() {
				t.Fatalf("%q: %v %v", s, id, err)
			}
			return
		}
		if id.Token() != s || len(s) > MaxIDLen || ValidateSubject(id.Subject()) != nil {
			t.Fatalf("%q parsed as %v (token %q)", s, id, id.Token())
		}
	})
}
