package authz

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"slices"
	"testing"
)

// signRawHS signs a header and payload given as raw JSON text, so that a test
// can send what a map cannot hold (duplicates, invalid UTF-8, exact forms).
func signRawHS(header, payload string) string {
	in := b64([]byte(header)) + "." + b64([]byte(payload))
	mac := hmac.New(sha256.New, testSecret)
	mac.Write([]byte(in))
	return in + "." + b64(mac.Sum(nil))
}

// rawClaims is a valid payload for hsVerifier with extra members appended.
func rawClaims(extra string) string {
	return fmt.Sprintf(`{"iss":"https://issuer.example","aud":"lambdis","iat":%d,"exp":%d,"jti":"j1"%s}`,
		t0.Unix(), t0.Unix()+300, extra)
}

const hsHeader = `{"alg":"HS256","typ":"JWT"}`

// Issue 12, item 1: the review's tokens, each signed with the right key.
// Claim names are exact (case-sensitive, no Unicode folding), a member named
// twice anywhere in the header or payload rejects the token, and exp, iat
// and nbf are JSON numbers with exp after iat.
func TestVerifyStrictClaims(t *testing.T) {
	v := hsVerifier(t, newClock())
	accepted := []struct {
		name, payload string
		sub           string
		scopes        []string
	}{
		{"Scope is not scope", rawClaims(`,"sub":"alice","scope":"read","Scope":"admin"`), "alice", []string{"read"}},
		{"SCP is not scp", rawClaims(`,"sub":"alice","SCP":["admin"]`), "alice", nil},
		{"Sub and SUB are not sub", rawClaims(`,"sub":"alice","Sub":"bob","SUB":"eve"`), "alice", nil},
		{"ſub (U+017F) is not sub", rawClaims(`,"sub":"alice","ſub":"kelvin"`), "alice", nil},
		{"U+FFFD is a character", rawClaims(`,"sub":"al\ufffdice"`), "al\ufffdice", nil},
		{"fractional dates", fmt.Sprintf(`{"iss":"https://issuer.example","aud":"lambdis","sub":"a","iat":%d.5,"exp":%d.25}`, t0.Unix(), t0.Unix()+60), "a", nil},
	}
	for _, tc := range accepted {
		c, err := v.Verify(context.Background(), signRawHS(hsHeader, tc.payload))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if c.Subject != tc.sub || !slices.Equal(c.Scopes, tc.scopes) {
			t.Errorf("%s: sub %q scopes %v, want %q %v", tc.name, c.Subject, c.Scopes, tc.sub, tc.scopes)
		}
	}
	rejected := []struct {
		name, header, payload, reason string
	}{
		{"sub twice", hsHeader, rawClaims(`,"sub":"alice","sub":"bob"`), ReasonMalformed},
		{"sub twice, escaped", hsHeader, rawClaims(`,"sub":"alice","\u0073ub":"bob"`), ReasonMalformed},
		{"scope twice", hsHeader, rawClaims(`,"sub":"alice","scope":"read","scope":"admin"`), ReasonMalformed},
		{"duplicate deep in a claim", hsHeader, rawClaims(`,"sub":"alice","ext":{"a":[{"b":1,"b":2}]}`), ReasonMalformed},
		{"alg twice in the header", `{"alg":"none","alg":"HS256"}`, rawClaims(`,"sub":"alice"`), ReasonMalformed},
		{"kid twice in the header", `{"alg":"HS256","kid":"a","kid":"b"}`, rawClaims(`,"sub":"alice"`), ReasonMalformed},
		{"invalid UTF-8 in sub", hsHeader, rawClaims(",\"sub\":\"al\xffice\""), ReasonMalformed},
		{"exp as a string", hsHeader, fmt.Sprintf(`{"iss":"https://issuer.example","aud":"lambdis","sub":"a","iat":%d,"exp":"%d"}`, t0.Unix(), t0.Unix()+300), ReasonMalformed},
		{"iat as a string", hsHeader, fmt.Sprintf(`{"iss":"https://issuer.example","aud":"lambdis","sub":"a","iat":"%d","exp":%d}`, t0.Unix(), t0.Unix()+300), ReasonMalformed},
		{"nbf as a string", hsHeader, rawClaims(fmt.Sprintf(`,"sub":"a","nbf":"%d"`, t0.Unix())), ReasonMalformed},
		{"exp before iat", hsHeader, fmt.Sprintf(`{"iss":"https://issuer.example","aud":"lambdis","sub":"a","iat":%d,"exp":%d}`, t0.Unix(), t0.Unix()-1), ReasonInvalidClaims},
		{"exp equal to iat", hsHeader, fmt.Sprintf(`{"iss":"https://issuer.example","aud":"lambdis","sub":"a","iat":%d,"exp":%d}`, t0.Unix(), t0.Unix()), ReasonInvalidClaims},
		{"sub as an array", hsHeader, rawClaims(`,"sub":["alice"]`), ReasonMalformed},
		{"payload an array", hsHeader, `[1]`, ReasonMalformed},
	}
	for _, tc := range rejected {
		c, err := v.Verify(context.Background(), signRawHS(tc.header, tc.payload))
		if err == nil {
			t.Errorf("%s: accepted, sub %q scopes %v", tc.name, c.Subject, c.Scopes)
			continue
		}
		if got := reasonOf(err); got != tc.reason {
			t.Errorf("%s: reason %q, want %q (%v)", tc.name, got, tc.reason, err)
		}
	}
}
