package authz

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// t0 is the fixed "now" of the tests (a whole second: NumericDate truncates).
var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

var testSecret = []byte("0123456789abcdef0123456789abcdef-test-secret")

// Test keys are generated once per test binary.
var (
	rsaKey1 = sync.OnceValue(func() *rsa.PrivateKey { return mustRSA() })
	rsaKey2 = sync.OnceValue(func() *rsa.PrivateKey { return mustRSA() })
	ecKey1  = sync.OnceValue(func() *ecdsa.PrivateKey { return mustEC() })
	ecKey2  = sync.OnceValue(func() *ecdsa.PrivateKey { return mustEC() })
)

func mustRSA() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

func mustEC() *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}

// fakeClock is a settable clock safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: t0} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func b64JSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b64(b)
}

// baseClaims are valid claims at t0 (exp in 5 minutes).
func baseClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"sub": "alice",
		"iss": "https://issuer.example",
		"aud": "lambdis",
		"iat": t0.Unix(),
		"exp": t0.Add(5 * time.Minute).Unix(),
		"jti": "jti-1",
	}
}

// sign signs claims with method and key, adding header fields.
func sign(t testing.TB, method jwt.SigningMethod, key any, claims jwt.MapClaims, header map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	for k, v := range header {
		if v == nil {
			delete(tok.Header, k)
			continue
		}
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func signHS(t testing.TB, claims jwt.MapClaims) string {
	return sign(t, jwt.SigningMethodHS256, testSecret, claims, nil)
}

func signRS(t testing.TB, k *rsa.PrivateKey, kid string, claims jwt.MapClaims) string {
	return sign(t, jwt.SigningMethodRS256, k, claims, map[string]any{"kid": kid})
}

func signES(t testing.TB, k *ecdsa.PrivateKey, kid string, claims jwt.MapClaims) string {
	return sign(t, jwt.SigningMethodES256, k, claims, map[string]any{"kid": kid})
}

// with returns a copy of c with the given changes (nil deletes).
func with(c jwt.MapClaims, kv ...any) jwt.MapClaims {
	out := jwt.MapClaims{}
	for k, v := range c {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		k := kv[i].(string)
		if kv[i+1] == nil {
			delete(out, k)
		} else {
			out[k] = kv[i+1]
		}
	}
	return out
}

func rsaJWK(kid string, pub *rsa.PublicKey) map[string]any {
	m := map[string]any{
		"kty": "RSA", "use": "sig", "alg": "RS256",
		"n": b64(pub.N.Bytes()),
		"e": b64(big.NewInt(int64(pub.E)).Bytes()),
	}
	if kid != "" {
		m["kid"] = kid
	}
	return m
}

func ecJWK(kid string, pub *ecdsa.PublicKey) map[string]any {
	raw, err := pub.Bytes()
	if err != nil {
		panic(err)
	}
	m := map[string]any{
		"kty": "EC", "use": "sig", "alg": "ES256", "crv": "P-256",
		"x": b64(raw[1:33]), "y": b64(raw[33:]),
	}
	if kid != "" {
		m["kid"] = kid
	}
	return m
}

// jwksServer serves a mutable JWKS and counts requests.
type jwksServer struct {
	*httptest.Server
	requests atomic.Int64

	mu     sync.Mutex
	keys   []map[string]any
	status int           // non-200 to fail
	body   []byte        // raw body override
	gate   chan struct{} // when set, requests wait for it to close
}

func newJWKSServer(t testing.TB, keys ...map[string]any) *jwksServer {
	s := &jwksServer{keys: keys, status: http.StatusOK}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		s.mu.Lock()
		gate, status, body := s.gate, s.status, s.body
		if body == nil {
			body, _ = json.Marshal(map[string]any{"keys": s.keys})
		}
		s.mu.Unlock()
		if gate != nil {
			<-gate
		}
		if status != http.StatusOK {
			http.Error(w, "boom", status)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) setKeys(keys ...map[string]any) {
	s.mu.Lock()
	s.keys = keys
	s.mu.Unlock()
}

func (s *jwksServer) setStatus(code int) {
	s.mu.Lock()
	s.status = code
	s.mu.Unlock()
}

func (s *jwksServer) setBody(b []byte) {
	s.mu.Lock()
	s.body = b
	s.mu.Unlock()
}

func (s *jwksServer) count() int64 { return s.requests.Load() }

// hsVerifier is an HS256-only verifier with issuer, audience and 30s leeway.
func hsVerifier(t testing.TB, clock *fakeClock) *Verifier {
	t.Helper()
	v, err := NewVerifier(VerifierConfig{
		HMACSecret: testSecret,
		Issuer:     "https://issuer.example",
		Audience:   "lambdis",
		Leeway:     30 * time.Second,
		Now:        clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// jwksVerifier is an RS256+ES256 verifier on srv.
func jwksVerifier(t testing.TB, srv *jwksServer, clock *fakeClock) *Verifier {
	t.Helper()
	v, err := NewVerifier(VerifierConfig{
		JWKSURL:  srv.URL + "/.well-known/jwks.json",
		Issuer:   "https://issuer.example",
		Audience: "lambdis",
		Leeway:   30 * time.Second,
		Now:      clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func reasonOf(err error) string {
	var te *TokenError
	if errors.As(err, &te) {
		return te.Reason
	}
	return ""
}
