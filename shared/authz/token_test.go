package authz

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestBearerToken(t *testing.T) {
	const tok = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln-_0"
	tests := []struct {
		name   string
		header string
		want   string // "" = error
		reason string
	}{
		{"canonical", "Bearer " + tok, tok, ""},
		{"lowercase scheme", "bearer " + tok, tok, ""},
		{"uppercase scheme", "BEARER " + tok, tok, ""},
		{"surrounding whitespace", " \tBearer  " + tok + " ", tok, ""},
		{"empty", "", "", ReasonMissing},
		{"only spaces", "   ", "", ReasonMissing},
		{"scheme only", "Bearer", "", ReasonMissing},
		{"scheme and space", "Bearer ", "", ReasonMissing},
		{"basic scheme", "Basic dXNlcjpwYXNz", "", ReasonMalformed},
		{"no scheme", tok, "", ReasonMalformed},
		{"scheme glued", "Bearer" + tok, "", ReasonMalformed},
		{"tab separator", "Bearer\t" + tok, "", ReasonMalformed},
		{"two tokens", "Bearer " + tok + " " + tok, "", ReasonMalformed},
		{"comma list", "Bearer " + tok + "," + tok, "", ReasonMalformed},
		{"two segments", "Bearer a.b", "", ReasonMalformed},
		{"four segments", "Bearer a.b.c.d", "", ReasonMalformed},
		{"empty segment", "Bearer a..c", "", ReasonMalformed},
		{"empty signature", "Bearer a.b.", "", ReasonMalformed},
		{"padding", "Bearer a.b.c==", "", ReasonMalformed},
		{"standard base64 chars", "Bearer a+b.c/d.e", "", ReasonMalformed},
		{"control char", "Bearer a.b\x00.c", "", ReasonMalformed},
		{"newline", "Bearer a.b.c\nX-Injected: 1", "", ReasonMalformed},
		{"non-ASCII", "Bearer a.bé.c", "", ReasonMalformed},
		{"8 KiB token", "Bearer " + strings.Repeat("a", MaxTokenBytes-4) + ".b.c", strings.Repeat("a", MaxTokenBytes-4) + ".b.c", ""},
		{"over 8 KiB", "Bearer " + strings.Repeat("a", MaxTokenBytes-3) + ".b.c", "", ReasonMalformed},
		{"huge header", "Bearer " + strings.Repeat("a", 1<<20), "", ReasonMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := BearerToken(tc.header)
			if tc.want != "" {
				if err != nil || got != tc.want {
					t.Fatalf("BearerToken = %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted: %q", got)
			}
			if !errors.Is(err, ErrInvalidToken) || reasonOf(err) != tc.reason {
				t.Fatalf("error %v (reason %q), want reason %q", err, reasonOf(err), tc.reason)
			}
		})
	}
}

func FuzzBearerToken(f *testing.F) {
	for _, s := range []string{
		"", "Bearer", "Bearer ", "bearer a.b.c", "Bearer a.b.c", "BEARER  x.y.z ",
		"Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln", "Basic abc", "Bearer a.b.c d",
		"Bearer a..c", "Bearer ...", "Bearer \x00.\x00.\x00", "Bearer é.é.é",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		tok, err := BearerToken(h)
		if err != nil {
			if !errors.Is(err, ErrInvalidToken) || tok != "" {
				t.Fatalf("bad error result %q, %v", tok, err)
			}
			return
		}
		if len(tok) == 0 || len(tok) > MaxTokenBytes || !strings.Contains(h, tok) {
			t.Fatalf("token %q from %q", tok, h)
		}
		if strings.Count(tok, ".") != 2 || strings.ContainsAny(tok, " \t\r\n=+/") || !utf8.ValidString(tok) {
			t.Fatalf("token %q has a bad shape", tok)
		}
		for _, seg := range strings.Split(tok, ".") {
			if seg == "" {
				t.Fatalf("token %q has an empty segment", tok)
			}
		}
	})
}

// FuzzVerify feeds arbitrary strings to a verifier accepting HS256, RS256
// and ES256 (JWKS from a local server): it must never panic, and whatever it
// accepts must satisfy the documented claim rules.
func FuzzVerify(f *testing.F) {
	clock := newClock()
	srv := newJWKSServer(f, rsaJWK("r1", &rsaKey1().PublicKey), ecJWK("e1", &ecKey1().PublicKey))
	v, err := NewVerifier(VerifierConfig{
		HMACSecret: testSecret,
		JWKSURL:    srv.URL,
		Leeway:     10 * time.Second,
		Now:        clock.Now,
		HTTPClient: &http.Client{Timeout: 2 * time.Second},
	})
	if err != nil {
		f.Fatal(err)
	}
	valid := signHS(f, baseClaims())
	parts := strings.Split(valid, ".")
	for _, s := range []string{
		valid,
		signRS(f, rsaKey1(), "r1", baseClaims()),
		signES(f, ecKey1(), "e1", baseClaims()),
		signRS(f, rsaKey1(), "unknown", baseClaims()),
		b64JSON(f, map[string]any{"alg": "none"}) + "." + parts[1] + ".",
		b64JSON(f, map[string]any{"alg": "none"}) + "." + parts[1] + "." + parts[2],
		b64JSON(f, map[string]any{"alg": "RS256", "kid": "r1"}) + "." + parts[1] + "." + parts[2],
		b64JSON(f, map[string]any{"alg": "ES256", "kid": "e1"}) + "." + parts[1] + ".AAAA",
		b64JSON(f, map[string]any{"alg": "HS256", "crit": []string{"b64"}}) + "." + parts[1] + "." + parts[2],
		parts[0] + "." + b64JSON(f, map[string]any{"sub": "x", "exp": 1e300, "iat": -1e300}) + "." + parts[2],
		parts[0] + "." + b64JSON(f, map[string]any{"sub": []any{1}, "aud": map[string]any{}}) + "." + parts[2],
		parts[0] + "." + b64([]byte("null")) + "." + parts[2],
		"", "a.b.c", "..", "e30.e30.e30", strings.Repeat(".", 3), valid + valid,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := v.Verify(context.Background(), tok)
		if err != nil {
			if !errors.Is(err, ErrInvalidToken) && !errors.Is(err, ErrKeysUnavailable) {
				t.Fatalf("unclassified error %v", err)
			}
			if c.Subject != "" || c.Scopes != nil {
				t.Fatalf("claims with an error: %+v", c)
			}
			return
		}
		if c.Subject == "" || len(c.Subject) > maxClaimBytes || hasControl(c.Subject) ||
			len(c.ID) > maxClaimBytes || hasControl(c.ID) || c.ExpiresAt.IsZero() || c.IssuedAt.IsZero() ||
			!c.ExpiresAt.Add(10*time.Second).After(clock.Now()) {
			t.Fatalf("accepted claims break the rules: %+v", c)
		}
	})
}

func FuzzParseJWKS(f *testing.F) {
	for _, s := range []string{
		`{"keys":[]}`,
		`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}`,
		`{"keys":[{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}]}`,
		`{"keys":[{"kty":"RSA","kid":"a","n":"` + b64(rsaKey1().N.Bytes()) + `","e":"AQAB"}]}`,
		`{"keys":[null,1,"x",{"kty":null}]}`,
		`[]`, `null`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := parseJWKS(data)
		if err != nil {
			if set != nil {
				t.Fatal("set with error")
			}
			return
		}
		if len(set.keys) == 0 {
			t.Fatal("empty set without error")
		}
		for _, k := range set.keys {
			if k.kid == "" && len(set.keys) > 1 {
				t.Fatal("kid-less key in a set of several")
			}
		}
	})
}
