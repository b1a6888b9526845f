package authz

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func mustVerify(t *testing.T, v *Verifier, tok string) {
	t.Helper()
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

func wantReason(t *testing.T, v *Verifier, tok, reason string) error {
	t.Helper()
	_, err := v.Verify(context.Background(), tok)
	if got := reasonOf(err); got != reason {
		t.Fatalf("reason %q, want %q (%v)", got, reason, err)
	}
	return err
}

func wantCount(t *testing.T, srv *jwksServer, n int64) {
	t.Helper()
	if got := srv.count(); got != n {
		t.Fatalf("JWKS requests = %d, want %d", got, n)
	}
}

func TestJWKSLazyFetch(t *testing.T) {
	srv := newJWKSServer(t, rsaJWK("k1", &rsaKey1().PublicKey))
	v := jwksVerifier(t, srv, newClock())
	wantCount(t, srv, 0) // NewVerifier makes no request
	mustVerify(t, v, signRS(t, rsaKey1(), "k1", longClaims()))
	mustVerify(t, v, signRS(t, rsaKey1(), "k1", longClaims()))
	wantCount(t, srv, 1)
}

func TestJWKSUnknownKidRefreshRateLimited(t *testing.T) {
	clock := newClock()
	srv := newJWKSServer(t, rsaJWK("k1", &rsaKey1().PublicKey))
	v := jwksVerifier(t, srv, clock)

	mustVerify(t, v, signRS(t, rsaKey1(), "k1", longClaims()))
	wantCount(t, srv, 1)

	// The provider publishes k2. Right after the first fetch an unknown kid
	// does not refetch (JWKSMinRefresh, default 1 minute).
	srv.setKeys(rsaJWK("k1", &rsaKey1().PublicKey), rsaJWK("k2", &rsaKey2().PublicKey))
	k2 := signRS(t, rsaKey2(), "k2", longClaims())
	wantReason(t, v, k2, ReasonUnknownKey)
	wantCount(t, srv, 1)

	// Once JWKSMinRefresh has passed, the unknown kid triggers exactly one refresh.
	clock.Advance(DefaultJWKSMinRefresh)
	mustVerify(t, v, k2)
	wantCount(t, srv, 2)

	// A second unknown kid within JWKSMinRefresh does not refetch, however
	// many tokens carry it.
	srv.setKeys(rsaJWK("k1", &rsaKey1().PublicKey), rsaJWK("k2", &rsaKey2().PublicKey), ecJWK("k3", &ecKey1().PublicKey))
	k3 := signES(t, ecKey1(), "k3", longClaims())
	for range 5 {
		wantReason(t, v, k3, ReasonUnknownKey)
	}
	clock.Advance(DefaultJWKSMinRefresh - time.Second)
	wantReason(t, v, k3, ReasonUnknownKey)
	wantCount(t, srv, 2)

	clock.Advance(time.Second)
	mustVerify(t, v, k3)
	wantCount(t, srv, 3)
	// Known kids never refetch.
	mustVerify(t, v, k2)
	mustVerify(t, v, signRS(t, rsaKey1(), "k1", longClaims()))
	wantCount(t, srv, 3)
}

func TestJWKSMaxAgeRefresh(t *testing.T) {
	clock := newClock()
	srv := newJWKSServer(t, rsaJWK("k1", &rsaKey1().PublicKey))
	v := jwksVerifier(t, srv, clock)
	mustVerify(t, v, signRS(t, rsaKey1(), "k1", longClaims()))
	wantCount(t, srv, 1)

	clock.Advance(DefaultJWKSMaxAge - time.Second)
	mustVerify(t, v, signRS(t, rsaKey1(), "k1", longClaims()))
	wantCount(t, srv, 1)

	clock.Advance(time.Second)
	mustVerify(t, v, signRS(t, rsaKey1(), "k1", longClaims()))
	wantCount(t, srv, 2)
}

// TestJWKSKeyRotation: the provider adds a new key, signs with it, and later
// withdraws the old one; the verifier follows without a restart.
func TestJWKSKeyRotation(t *testing.T) {
	clock := newClock()
	srv := newJWKSServer(t, rsaJWK("old", &rsaKey1().PublicKey))
	v := jwksVerifier(t, srv, clock)
	oldTok := signRS(t, rsaKey1(), "old", longClaims())
	newTok := signRS(t, rsaKey2(), "new", longClaims())
	mustVerify(t, v, oldTok)

	// Phase 1: both published; tokens signed with the new key appear.
	srv.setKeys(rsaJWK("old", &rsaKey1().PublicKey), rsaJWK("new", &rsaKey2().PublicKey))
	clock.Advance(2 * time.Minute)
	mustVerify(t, v, newTok)
	mustVerify(t, v, oldTok)

	// Phase 2: the old key is withdrawn; it stops verifying after the next
	// max-age refresh.
	srv.setKeys(rsaJWK("new", &rsaKey2().PublicKey))
	clock.Advance(DefaultJWKSMaxAge)
	mustVerify(t, v, newTok) // triggers the max-age refresh
	wantReason(t, v, oldTok, ReasonUnknownKey)
	wantCount(t, srv, 3)
}

func TestJWKSFailingServerKeepsLastGoodKeys(t *testing.T) {
	clock := newClock()
	srv := newJWKSServer(t, rsaJWK("k1", &rsaKey1().PublicKey))
	v := jwksVerifier(t, srv, clock)
	k1 := signRS(t, rsaKey1(), "k1", longClaims())
	mustVerify(t, v, k1)

	failures := []struct {
		name  string
		apply func()
	}{
		{"HTTP 500", func() { srv.setStatus(http.StatusInternalServerError) }},
		{"not JSON", func() { srv.setStatus(http.StatusOK); srv.setBody([]byte("<html>")) }},
		{"empty set", func() { srv.setBody([]byte(`{"keys":[]}`)) }},
		{"only unusable keys", func() { srv.setBody([]byte(`{"keys":[{"kty":"oct","k":"AAAA"}]}`)) }},
		{"too large", func() { srv.setBody([]byte(`{"keys":[],"pad":"` + strings.Repeat("x", jwksMaxBytes) + `"}`)) }},
	}
	want := int64(1)
	for _, f := range failures {
		t.Run(f.name, func(t *testing.T) {
			f.apply()
			// Stale set: the max-age refresh fails, the cached key still verifies.
			clock.Advance(DefaultJWKSMaxAge)
			mustVerify(t, v, k1)
			want++
			wantCount(t, srv, want)
			// An unknown kid after JWKSMinRefresh: the refresh fails, the
			// token is rejected as invalid (keys are cached), not as an outage.
			clock.Advance(DefaultJWKSMinRefresh)
			err := wantReason(t, v, signRS(t, rsaKey2(), "k2", longClaims()), ReasonUnknownKey)
			if errors.Is(err, ErrKeysUnavailable) {
				t.Fatalf("cached keys exist, got ErrKeysUnavailable: %v", err)
			}
			if !strings.Contains(err.Error(), "refresh failed") {
				t.Errorf("error does not mention the failed refresh: %v", err)
			}
			want++
			wantCount(t, srv, want)
			mustVerify(t, v, k1)
			wantCount(t, srv, want)
		})
	}

	// Recovery.
	srv.setBody(nil)
	srv.setKeys(rsaJWK("k1", &rsaKey1().PublicKey), rsaJWK("k2", &rsaKey2().PublicKey))
	clock.Advance(DefaultJWKSMinRefresh)
	mustVerify(t, v, signRS(t, rsaKey2(), "k2", longClaims()))
}

func TestJWKSUnavailableWithoutCachedKeys(t *testing.T) {
	clock := newClock()
	srv := newJWKSServer(t, rsaJWK("k1", &rsaKey1().PublicKey))
	srv.setStatus(http.StatusServiceUnavailable)
	v := jwksVerifier(t, srv, clock)
	k1 := signRS(t, rsaKey1(), "k1", longClaims())

	_, err := v.Verify(context.Background(), k1)
	if !errors.Is(err, ErrKeysUnavailable) || errors.Is(err, ErrInvalidToken) {
		t.Fatalf("got %v, want ErrKeysUnavailable and not ErrInvalidToken", err)
	}
	wantCount(t, srv, 1)
	// Backoff before retrying a verifier that never had keys.
	clock.Advance(jwksColdRetry - time.Second)
	if _, err := v.Verify(context.Background(), k1); !errors.Is(err, ErrKeysUnavailable) {
		t.Fatalf("got %v, want ErrKeysUnavailable", err)
	}
	wantCount(t, srv, 1)

	srv.setStatus(http.StatusOK)
	clock.Advance(time.Second)
	mustVerify(t, v, k1)
	wantCount(t, srv, 2)
	// A malformed token never needs keys.
	srv.setStatus(http.StatusServiceUnavailable)
	v2 := jwksVerifier(t, srv, clock)
	if _, err := v2.Verify(context.Background(), "a.b.c"); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("got %v", err)
	}
	wantCount(t, srv, 2)
}

func TestJWKSCancelledCallerDoesNotBlockRetry(t *testing.T) {
	clock := newClock()
	srv := newJWKSServer(t, rsaJWK("k1", &rsaKey1().PublicKey))
	v := jwksVerifier(t, srv, clock)
	k1 := signRS(t, rsaKey1(), "k1", longClaims())

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := v.Verify(ctx, k1); !errors.Is(err, ErrKeysUnavailable) {
		t.Fatalf("got %v, want ErrKeysUnavailable", err)
	}
	// The cancelled attempt does not count against the backoff.
	mustVerify(t, v, k1)
}

// TestJWKSConcurrentUnknownKid: many concurrent Verify calls with a kid that
// needs a refresh share one fetch. The server holds the fetch until all
// other callers have joined it (run with -race).
func TestJWKSConcurrentUnknownKid(t *testing.T) {
	clock := newClock()
	srv := newJWKSServer(t, rsaJWK("k1", &rsaKey1().PublicKey))
	v := jwksVerifier(t, srv, clock)
	mustVerify(t, v, signRS(t, rsaKey1(), "k1", longClaims()))
	wantCount(t, srv, 1)

	gate := make(chan struct{})
	srv.mu.Lock()
	srv.gate = gate
	srv.mu.Unlock()
	srv.setKeys(rsaJWK("k1", &rsaKey1().PublicKey), rsaJWK("k2", &rsaKey2().PublicKey))
	clock.Advance(DefaultJWKSMinRefresh)
	k2 := signRS(t, rsaKey2(), "k2", longClaims())

	const n = 32
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := v.Verify(context.Background(), k2)
			errs <- err
		})
	}
	// Release the fetch once every other caller is waiting on it (no
	// sleeps: poll the cache's join counter).
	joined := func() int {
		v.jwks.mu.Lock()
		defer v.jwks.mu.Unlock()
		return v.jwks.joined
	}
	for joined() < n-1 {
		runtime.Gosched()
	}
	close(gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Verify: %v", err)
		}
	}
	wantCount(t, srv, 2)
}

func TestParseJWKS(t *testing.T) {
	rsaPub := &rsaKey1().PublicKey
	ecPub := &ecKey1().PublicKey
	small := func() map[string]any {
		n, _ := rand.Prime(rand.Reader, 1024)
		return map[string]any{"kty": "RSA", "kid": "small", "n": b64(n.Bytes()), "e": "AQAB"}
	}
	mod := func(m map[string]any, kv ...any) map[string]any {
		out := map[string]any{}
		for k, v := range m {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(out, kv[i].(string))
			} else {
				out[kv[i].(string)] = kv[i+1]
			}
		}
		return out
	}
	offCurve := mod(ecJWK("off", ecPub), "y", b64(make([]byte, 32)))
	evenE := mod(rsaJWK("even", rsaPub), "e", b64(big.NewInt(65536).Bytes()))
	hugeE := mod(rsaJWK("huge", rsaPub), "e", b64(big.NewInt(1<<40+1).Bytes()))

	tests := []struct {
		name    string
		keys    []map[string]any
		raw     string // used instead of keys when set
		kids    []string
		wantErr bool
	}{
		{"rsa and ec", []map[string]any{rsaJWK("r", rsaPub), ecJWK("e", ecPub)}, "", []string{"r", "e"}, false},
		{"use enc skipped", []map[string]any{mod(rsaJWK("enc", rsaPub), "use", "enc"), ecJWK("e", ecPub)}, "", []string{"e"}, false},
		{"use absent kept", []map[string]any{mod(rsaJWK("r", rsaPub), "use", nil, "alg", nil)}, "", []string{"r"}, false},
		{"key_ops without verify skipped", []map[string]any{mod(rsaJWK("r", rsaPub), "key_ops", []string{"encrypt"}), ecJWK("e", ecPub)}, "", []string{"e"}, false},
		{"unknown kty skipped", []map[string]any{{"kty": "OKP", "crv": "Ed25519", "kid": "ed", "x": "AAAA"}, {"kty": "oct", "kid": "o", "k": "AAAA"}, rsaJWK("r", rsaPub)}, "", []string{"r"}, false},
		{"1024-bit RSA skipped", []map[string]any{small(), rsaJWK("r", rsaPub)}, "", []string{"r"}, false},
		{"even exponent skipped", []map[string]any{evenE, rsaJWK("r", rsaPub)}, "", []string{"r"}, false},
		{"huge exponent skipped", []map[string]any{hugeE, rsaJWK("r", rsaPub)}, "", []string{"r"}, false},
		{"EC point off curve skipped", []map[string]any{offCurve, rsaJWK("r", rsaPub)}, "", []string{"r"}, false},
		{"P-384 skipped", []map[string]any{mod(ecJWK("p384", ecPub), "crv", "P-384"), rsaJWK("r", rsaPub)}, "", []string{"r"}, false},
		{"short EC coordinate skipped", []map[string]any{mod(ecJWK("s", ecPub), "x", "AAAA"), rsaJWK("r", rsaPub)}, "", []string{"r"}, false},
		{"RS512 alg skipped", []map[string]any{mod(rsaJWK("r5", rsaPub), "alg", "RS512"), rsaJWK("r", rsaPub)}, "", []string{"r"}, false},
		{"private key skipped", []map[string]any{mod(rsaJWK("p", rsaPub), "d", "AAAA"), rsaJWK("r", rsaPub)}, "", []string{"r"}, false},
		{"bad kid skipped", []map[string]any{mod(rsaJWK("x", rsaPub), "kid", strings.Repeat("k", 300)), rsaJWK("r", rsaPub)}, "", []string{"r"}, false},
		{"single key without kid", []map[string]any{rsaJWK("", rsaPub)}, "", []string{""}, false},
		{"kid-less key among several dropped", []map[string]any{rsaJWK("", rsaPub), ecJWK("e", ecPub)}, "", []string{"e"}, false},
		{"padded base64 tolerated", []map[string]any{mod(rsaJWK("r", rsaPub), "e", "AQAB==")}, "", []string{"r"}, false},
		{"no usable key", []map[string]any{small()}, "", nil, true},
		{"empty keys", []map[string]any{}, "", nil, true},
		{"no keys member", nil, `{"kty":"RSA"}`, nil, true},
		{"not JSON", nil, `nope`, nil, true},
		{"keys not an array", nil, `{"keys":{}}`, nil, true},
		{"key not an object", nil, `{"keys":[1,"x",null]}`, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte(tc.raw)
			if tc.raw == "" {
				data, _ = json.Marshal(map[string]any{"keys": tc.keys})
			}
			set, err := parseJWKS(data)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("no error, keys %+v", set.keys)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var kids []string
			for _, k := range set.keys {
				kids = append(kids, k.kid)
			}
			if strings.Join(kids, ",") != strings.Join(tc.kids, ",") {
				t.Fatalf("kids %q, want %q (skipped: %q)", kids, tc.kids, set.skipped)
			}
		})
	}
}

// TestJWKSSingleKeyWithoutKid: a set of one kid-less key verifies tokens
// without kid; tokens with a kid find no key.
func TestJWKSSingleKeyWithoutKid(t *testing.T) {
	srv := newJWKSServer(t, ecJWK("", &ecKey1().PublicKey))
	v := jwksVerifier(t, srv, newClock())
	noKid := sign(t, jwt.SigningMethodES256, ecKey1(), longClaims(), nil)
	mustVerify(t, v, noKid)
	wantReason(t, v, signES(t, ecKey1(), "some-kid", longClaims()), ReasonUnknownKey)
}

func TestJWKSDuplicateKid(t *testing.T) {
	// Two RSA keys share a kid (a sloppy rotation): either one verifies.
	srv := newJWKSServer(t, rsaJWK("dup", &rsaKey1().PublicKey), rsaJWK("dup", &rsaKey2().PublicKey))
	v := jwksVerifier(t, srv, newClock())
	mustVerify(t, v, signRS(t, rsaKey1(), "dup", longClaims()))
	mustVerify(t, v, signRS(t, rsaKey2(), "dup", longClaims()))
}

func TestJWKSRedirectPolicy(t *testing.T) {
	check := defaultJWKSClient().CheckRedirect
	mk := func(raw string) *http.Request {
		r, err := http.NewRequest(http.MethodGet, raw, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if err := check(mk("https://idp.example/jwks"), nil); err != nil {
		t.Errorf("https redirect refused: %v", err)
	}
	if err := check(mk("http://idp.example/jwks"), nil); err == nil {
		t.Error("redirect to plain http allowed")
	}
	if err := check(mk("https://idp.example/jwks"), make([]*http.Request, 3)); err == nil {
		t.Error("fourth redirect allowed")
	}
}

// longClaims are valid for 30 days from t0, so tests can advance the clock
// past JWKS ages without expiring their tokens.
func longClaims() map[string]any {
	return with(baseClaims(), "exp", t0.Add(30*24*time.Hour).Unix())
}
