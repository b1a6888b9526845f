package authz

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestVerifyHS256(t *testing.T) {
	clock := newClock()
	v := hsVerifier(t, clock)
	now := t0.Unix()

	valid := signHS(t, baseClaims())
	parts := strings.Split(valid, ".")

	tamperedPayload := parts[0] + "." + b64JSON(t, with(baseClaims(), "sub", "mallory")) + "." + parts[2]
	sig := []byte(parts[2])
	if sig[0] == 'A' {
		sig[0] = 'B'
	} else {
		sig[0] = 'A'
	}
	tamperedSig := parts[0] + "." + parts[1] + "." + string(sig)

	tests := []struct {
		name   string
		token  string
		reason string // "" = valid
	}{
		{"valid", valid, ""},
		{"aud as array", signHS(t, with(baseClaims(), "aud", []string{"other", "lambdis"})), ""},
		{"no jti", signHS(t, with(baseClaims(), "jti", nil)), ""},
		{"missing iat", signHS(t, with(baseClaims(), "iat", nil)), ReasonMissingClaim},
		{"expired within leeway", signHS(t, with(baseClaims(), "iat", now-60, "exp", now-29)), ""},
		{"expired beyond leeway", signHS(t, with(baseClaims(), "iat", now-60, "exp", now-31)), ReasonExpired},
		{"missing exp", signHS(t, with(baseClaims(), "exp", nil)), ReasonMissingClaim},
		{"nbf within leeway", signHS(t, with(baseClaims(), "nbf", now+29)), ""},
		{"nbf beyond leeway", signHS(t, with(baseClaims(), "nbf", now+31)), ReasonNotYetValid},
		{"iat in the future", signHS(t, with(baseClaims(), "iat", now+120)), ReasonNotYetValid},
		{"wrong iss", signHS(t, with(baseClaims(), "iss", "https://evil.example")), ReasonIssuer},
		{"missing iss", signHS(t, with(baseClaims(), "iss", nil)), ReasonMissingClaim},
		{"wrong aud", signHS(t, with(baseClaims(), "aud", "someone-else")), ReasonAudience},
		{"missing aud", signHS(t, with(baseClaims(), "aud", nil)), ReasonMissingClaim},
		{"missing sub", signHS(t, with(baseClaims(), "sub", nil)), ReasonSubject},
		{"empty sub", signHS(t, with(baseClaims(), "sub", "")), ReasonSubject},
		{"sub with control char", signHS(t, with(baseClaims(), "sub", "ali\nce")), ReasonSubject},
		{"sub too long", signHS(t, with(baseClaims(), "sub", strings.Repeat("a", 257))), ReasonSubject},
		{"sub 256 bytes", signHS(t, with(baseClaims(), "sub", strings.Repeat("a", 256))), ""},
		{"sub not a string", signHS(t, with(baseClaims(), "sub", 42)), ReasonMalformed},
		{"jti too long", signHS(t, with(baseClaims(), "jti", strings.Repeat("j", 257))), ReasonTokenID},
		{"jti with control char", signHS(t, with(baseClaims(), "jti", "a\x00b")), ReasonTokenID},
		{"exp not a number", signHS(t, with(baseClaims(), "exp", "tomorrow")), ReasonMalformed},
		{"scope not a string", signHS(t, with(baseClaims(), "scope", 7)), ReasonMalformed},
		{"tampered payload", tamperedPayload, ReasonSignature},
		{"tampered signature", tamperedSig, ReasonSignature},
		{"wrong secret", sign(t, jwt.SigningMethodHS256, []byte(strings.Repeat("x", 32)), baseClaims(), nil), ReasonSignature},
		{"HS384 not pinned", sign(t, jwt.SigningMethodHS384, testSecret, baseClaims(), nil), ReasonAlgorithm},
		{"HS512 not pinned", sign(t, jwt.SigningMethodHS512, testSecret, baseClaims(), nil), ReasonAlgorithm},
		{"crit header", sign(t, jwt.SigningMethodHS256, testSecret, baseClaims(), map[string]any{"crit": []string{"exp"}}), ReasonHeader},
		{"kid not a string", sign(t, jwt.SigningMethodHS256, testSecret, baseClaims(), map[string]any{"kid": 5}), ReasonHeader},
		{"no alg", b64JSON(t, map[string]any{"typ": "JWT"}) + "." + parts[1] + "." + parts[2], ReasonAlgorithm},
		{"unknown alg", b64JSON(t, map[string]any{"alg": "XX999"}) + "." + parts[1] + "." + parts[2], ReasonAlgorithm},
		{"alg none with empty signature", b64JSON(t, map[string]any{"alg": "none"}) + "." + parts[1] + ".", ReasonMalformed},
		{"alg none with a signature", b64JSON(t, map[string]any{"alg": "none"}) + "." + parts[1] + "." + parts[2], ReasonAlgorithm},
		{"alg None", b64JSON(t, map[string]any{"alg": "None"}) + "." + parts[1] + "." + parts[2], ReasonAlgorithm},
		{"header not JSON", b64([]byte("{not json")) + "." + parts[1] + "." + parts[2], ReasonMalformed},
		{"payload not JSON", parts[0] + "." + b64([]byte("[1,2")) + "." + parts[2], ReasonMalformed},
		{"padded segment", parts[0] + "=." + parts[1] + "." + parts[2], ReasonMalformed},
		{"empty", "", ReasonMissing},
		{"short", "abc", ReasonMalformed},
		{"two segments", "a.b", ReasonMalformed},
		{"four segments", valid + ".x", ReasonMalformed},
		{"spaces", parts[0] + " ." + parts[1] + "." + parts[2], ReasonMalformed},
		{"bearer prefix", "Bearer " + valid, ReasonMalformed},
		{"huge", strings.Repeat("a", MaxTokenBytes) + ".b.c", ReasonMalformed},
		{"non-base64 byte", parts[0] + ".\xff." + parts[2], ReasonMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Verify(context.Background(), tc.token)
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if c.Subject == "" || c.ExpiresAt.IsZero() {
					t.Fatalf("claims incomplete: %+v", c)
				}
				return
			}
			if err == nil {
				t.Fatalf("Verify accepted the token: %+v", c)
			}
			if !errors.Is(err, ErrInvalidToken) || errors.Is(err, ErrKeysUnavailable) {
				t.Fatalf("error %v: want ErrInvalidToken only", err)
			}
			if got := reasonOf(err); got != tc.reason {
				t.Fatalf("reason %q, want %q (%v)", got, tc.reason, err)
			}
			if c.Subject != "" {
				t.Fatalf("claims returned with an error: %+v", c)
			}
		})
	}
}

func TestVerifyClaimsMapping(t *testing.T) {
	clock := newClock()
	v := hsVerifier(t, clock)
	tests := []struct {
		name   string
		claims jwt.MapClaims
		scopes []string
	}{
		{"scope string", with(baseClaims(), "scope", "read:jobs  write:jobs"), []string{"read:jobs", "write:jobs"}},
		{"scp array", with(baseClaims(), "scp", []string{"read:jobs", "admin"}), []string{"read:jobs", "admin"}},
		{"scp string (Entra ID)", with(baseClaims(), "scp", "a b"), []string{"a", "b"}},
		{"both merged, deduplicated", with(baseClaims(), "scope", "a b", "scp", []string{"b", "c"}), []string{"a", "b", "c"}},
		{"none", baseClaims(), nil},
		{"null scope", with(baseClaims(), "scope", nil), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Verify(context.Background(), signHS(t, tc.claims))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(c.Scopes, tc.scopes) {
				t.Fatalf("scopes %q, want %q", c.Scopes, tc.scopes)
			}
			for _, s := range tc.scopes {
				if !c.HasScope(s) {
					t.Errorf("HasScope(%q) = false", s)
				}
			}
			if c.HasScope("nope") || c.HasScope("") {
				t.Error("HasScope true for a scope not granted")
			}
			if c.Subject != "alice" || c.Issuer != "https://issuer.example" || c.ID != "jti-1" ||
				!slices.Equal(c.Audience, []string{"lambdis"}) ||
				!c.IssuedAt.Equal(t0) || !c.ExpiresAt.Equal(t0.Add(5*time.Minute)) || !c.NotBefore.IsZero() {
				t.Fatalf("claims %+v", c)
			}
		})
	}
}

func TestVerifyNoIssuerAudienceConfigured(t *testing.T) {
	clock := newClock()
	v, err := NewVerifier(VerifierConfig{HMACSecret: testSecret, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	// Without configured iss/aud any values (or none) pass; exp is still required.
	ok := signHS(t, with(baseClaims(), "iss", nil, "aud", nil))
	if _, err := v.Verify(context.Background(), ok); err != nil {
		t.Fatal(err)
	}
	noExp := signHS(t, with(baseClaims(), "exp", nil))
	if _, err := v.Verify(context.Background(), noExp); reasonOf(err) != ReasonMissingClaim {
		t.Fatalf("missing exp: %v", err)
	}
	// Zero leeway: one second past exp is expired.
	exp := signHS(t, with(baseClaims(), "exp", t0.Unix()-1))
	if _, err := v.Verify(context.Background(), exp); reasonOf(err) != ReasonExpired {
		t.Fatalf("expired: %v", err)
	}
}

func TestVerifyRS256AndES256(t *testing.T) {
	clock := newClock()
	srv := newJWKSServer(t,
		rsaJWK("rsa-1", &rsaKey1().PublicKey),
		ecJWK("ec-1", &ecKey1().PublicKey),
		noAlg(rsaJWK("rsa-noalg", &rsaKey1().PublicKey)),
		noAlg(ecJWK("ec-noalg", &ecKey1().PublicKey)),
	)
	v := jwksVerifier(t, srv, clock)
	ctx := context.Background()

	tests := []struct {
		name   string
		token  string
		reason string
	}{
		{"RS256 valid", signRS(t, rsaKey1(), "rsa-1", baseClaims()), ""},
		{"ES256 valid", signES(t, ecKey1(), "ec-1", baseClaims()), ""},
		{"RS256 wrong key, same kid", signRS(t, rsaKey2(), "rsa-1", baseClaims()), ReasonSignature},
		{"ES256 wrong key, same kid", signES(t, ecKey2(), "ec-1", baseClaims()), ReasonSignature},
		{"RS256 against the EC key", signRS(t, rsaKey1(), "ec-1", baseClaims()), ReasonKeyMismatch},
		{"ES256 against the RSA key", signES(t, ecKey1(), "rsa-1", baseClaims()), ReasonKeyMismatch},
		{"RS256 valid, JWK without alg", signRS(t, rsaKey1(), "rsa-noalg", baseClaims()), ""},
		{"ES256 valid, JWK without alg", signES(t, ecKey1(), "ec-noalg", baseClaims()), ""},
		{"RS256 against an EC JWK without alg", signRS(t, rsaKey1(), "ec-noalg", baseClaims()), ReasonKeyMismatch},
		{"ES256 against an RSA JWK without alg", signES(t, ecKey1(), "rsa-noalg", baseClaims()), ReasonKeyMismatch},
		{"RS256 no kid, several keys", sign(t, jwt.SigningMethodRS256, rsaKey1(), baseClaims(), nil), ReasonUnknownKey},
		{"RS256 expired", signRS(t, rsaKey1(), "rsa-1", with(baseClaims(), "exp", t0.Unix()-60)), ReasonExpired},
		{"RS256 wrong aud", signRS(t, rsaKey1(), "rsa-1", with(baseClaims(), "aud", "x")), ReasonAudience},
		{"PS256 not pinned", sign(t, jwt.SigningMethodPS256, rsaKey1(), baseClaims(), map[string]any{"kid": "rsa-1"}), ReasonAlgorithm},
		{"RS512 not pinned", sign(t, jwt.SigningMethodRS512, rsaKey1(), baseClaims(), map[string]any{"kid": "rsa-1"}), ReasonAlgorithm},
		{"HS256 on a JWKS-only verifier", signHS(t, baseClaims()), ReasonAlgorithm},
		{"kid with control chars", signRS(t, rsaKey1(), "rsa\x001", baseClaims()), ReasonHeader},
		{"kid too long", signRS(t, rsaKey1(), strings.Repeat("k", 257), baseClaims()), ReasonHeader},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Verify(ctx, tc.token)
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if c.Subject != "alice" {
					t.Fatalf("claims %+v", c)
				}
				return
			}
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("error %v: want ErrInvalidToken", err)
			}
			if got := reasonOf(err); got != tc.reason {
				t.Fatalf("reason %q, want %q (%v)", got, tc.reason, err)
			}
		})
	}
	if n := srv.count(); n != 1 {
		t.Fatalf("JWKS fetched %d times, want 1 (lazily, once)", n)
	}
}

// TestVerifyAlgorithmConfusion signs HS256 tokens with the RSA public key's
// bytes as the HMAC secret (the classic confusion attack) against a verifier
// that allows both HS256 and RS256: HS256 is only ever checked with the
// configured secret, so every variant fails.
func TestVerifyAlgorithmConfusion(t *testing.T) {
	clock := newClock()
	srv := newJWKSServer(t, rsaJWK("rsa-1", &rsaKey1().PublicKey))
	v, err := NewVerifier(VerifierConfig{
		HMACSecret: testSecret,
		JWKSURL:    srv.URL,
		Algorithms: []string{AlgHS256, AlgRS256},
		Now:        clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	pub := &rsaKey1().PublicKey
	pkix, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1 := x509.MarshalPKCS1PublicKey(pub)
	secrets := map[string][]byte{
		"PKIX PEM":  pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix}),
		"PKCS1 PEM": pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: pkcs1}),
		"PKIX DER":  pkix,
		"PKCS1 DER": pkcs1,
		"modulus":   pub.N.Bytes(),
	}
	for name, secret := range secrets {
		for _, kid := range []any{"rsa-1", nil} {
			tok := sign(t, jwt.SigningMethodHS256, secret, baseClaims(), map[string]any{"kid": kid})
			_, err := v.Verify(context.Background(), tok)
			if reasonOf(err) != ReasonSignature {
				t.Errorf("%s, kid %v: got %v, want a signature failure", name, kid, err)
			}
		}
	}
	// The same verifier does accept genuine tokens of both kinds.
	for _, tok := range []string{signHS(t, baseClaims()), signRS(t, rsaKey1(), "rsa-1", baseClaims())} {
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Fatalf("genuine token rejected: %v", err)
		}
	}
}

func TestVerifyRS256WithHSOnlyVerifier(t *testing.T) {
	v := hsVerifier(t, newClock())
	for _, tok := range []string{
		signRS(t, rsaKey1(), "rsa-1", baseClaims()),
		signES(t, ecKey1(), "ec-1", baseClaims()),
	} {
		_, err := v.Verify(context.Background(), tok)
		if reasonOf(err) != ReasonAlgorithm {
			t.Fatalf("got %v, want an algorithm rejection", err)
		}
	}
}

func TestSignHS256(t *testing.T) {
	clock := newClock()
	v := hsVerifier(t, clock)
	c := Claims{Subject: "bob", Issuer: "https://issuer.example", Audience: []string{"lambdis"}, Scopes: []string{"jobs:write", "boards:read"}}
	tok, err := SignHS256(testSecret, c, t0, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	got, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject != "bob" || !got.IssuedAt.Equal(t0) || !got.ExpiresAt.Equal(t0.Add(10*time.Minute)) ||
		!slices.Equal(got.Scopes, c.Scopes) || len(got.ID) != 32 || strings.Trim(got.ID, "0123456789abcdef") != "" {
		t.Fatalf("claims %+v", got)
	}
	tok2, err := SignHS256(testSecret, c, t0, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	got2, _ := v.Verify(context.Background(), tok2)
	if got2.ID == got.ID {
		t.Fatal("two tokens share a jti")
	}

	// Explicit times and jti are kept (this is how tests mint expired tokens).
	old := c
	old.ID, old.IssuedAt, old.ExpiresAt = "fixed", t0.Add(-time.Hour), t0.Add(-time.Minute)
	tok3, err := SignHS256(testSecret, old, t0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), tok3); reasonOf(err) != ReasonExpired {
		t.Fatalf("want expired, got %v", err)
	}

	bad := []struct {
		name   string
		secret []byte
		c      Claims
		ttl    time.Duration
	}{
		{"short secret", testSecret[:31], c, time.Minute},
		{"no sub", testSecret, Claims{}, time.Minute},
		{"sub with newline", testSecret, Claims{Subject: "a\nb"}, time.Minute},
		{"zero ttl", testSecret, Claims{Subject: "a"}, 0},
		{"scope with space", testSecret, Claims{Subject: "a", Scopes: []string{"a b"}}, time.Minute},
		{"empty scope", testSecret, Claims{Subject: "a", Scopes: []string{""}}, time.Minute},
	}
	for _, tc := range bad {
		if _, err := SignHS256(tc.secret, tc.c, t0, tc.ttl); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

func noAlg(m map[string]any) map[string]any {
	delete(m, "alg")
	return m
}
