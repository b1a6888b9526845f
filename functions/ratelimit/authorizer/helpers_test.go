package authorizer

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/golang-jwt/jwt/v5"
	"github.com/lambdis/lambdis/shared/authz"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/ratelimit"
	"github.com/lambdis/lambdis/shared/session"
	"github.com/lambdis/lambdis/shared/telemetry"
	"github.com/redis/go-redis/v9"
)

var (
	secret = []byte("authorizer-test-secret-0123456789abcdef")
	rsaKey = sync.OnceValue(func() *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		return k
	})
)

const (
	testIss = "https://issuer.test"
	testAud = "lambdis-api"
)

// jwksServer serves the RSA test key as a JWKS with kid "k1".
func jwksServer(t testing.TB) string {
	pub := rsaKey().PublicKey
	body, _ := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256",
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

type fixture struct {
	h        *Handler
	logs     *bytes.Buffer
	metrics  *telemetry.Metrics
	rdb      redis.UniversalClient
	sessions *session.Store
	// ahead moves the verifier's clock forward (nanoseconds), to check a
	// token at a later moment than now.
	ahead *atomic.Int64
}

func newFixture(t testing.TB, rdb redis.UniversalClient, cfg Config) *fixture {
	t.Helper()
	ahead := new(atomic.Int64)
	v, err := authz.NewVerifier(authz.VerifierConfig{
		HMACSecret: secret, JWKSURL: jwksServer(t), Issuer: testIss, Audience: testAud,
		Leeway: 5 * time.Second, Algorithms: []string{authz.AlgHS256, authz.AlgRS256},
		Now: func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxTokenTTL == 0 {
		cfg.MaxTokenTTL = 24 * time.Hour
	}
	if cfg.RedisTimeout == 0 {
		cfg.RedisTimeout = 200 * time.Millisecond
	}
	store, err := authz.NewStore(rdb, keys.Builder{}, authz.StoreConfig{Leeway: 5 * time.Second, MaxTokenTTL: cfg.MaxTokenTTL})
	if err != nil {
		t.Fatal(err)
	}
	sessions, err := session.NewStore(rdb, keys.Builder{}, session.Config{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := telemetry.NewMetrics("Test")
	if err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	return &fixture{
		h:    &Handler{Config: cfg, Verifier: v, Store: store, Sessions: sessions, Log: telemetry.NewLogger(logs, "ratelimit"), Metrics: m},
		logs: logs, metrics: m, rdb: rdb, sessions: sessions, ahead: ahead,
	}
}

func policies(t testing.TB, s string) []ratelimit.Policy {
	t.Helper()
	ps, err := ratelimit.ParsePolicies(s)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// claims returns standard valid claims for sub.
func claims(sub, jti string) jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{
		"sub": sub, "jti": jti, "iss": testIss, "aud": testAud, "scope": "read write",
		"iat": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix(),
	}
}

func hs256(t testing.TB, c jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func rs256(t testing.TB, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	tok.Header["kid"] = "k1"
	s, err := tok.SignedString(rsaKey())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// algConfusion signs HS256 with the RSA public key's PEM as the HMAC secret.
func algConfusion(t testing.TB, c jwt.MapClaims) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(&rsaKey().PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
	tok.Header["kid"] = "k1"
	s, err := tok.SignedString(pemKey)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func algNone(t testing.TB, c jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodNone, c).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// request is an authorizer event loaded from testdata with the given
// Authorization header (none when auth is "").
func request(t testing.TB, auth string) events.APIGatewayCustomAuthorizerRequestTypeRequest {
	t.Helper()
	raw, err := os.ReadFile("testdata/request.json")
	if err != nil {
		t.Fatal(err)
	}
	var req events.APIGatewayCustomAuthorizerRequestTypeRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		t.Fatal(err)
	}
	req.Headers = map[string]string{"Host": "api.example.test"}
	req.MultiValueHeaders = map[string][]string{"Host": {"api.example.test"}}
	if auth != "" {
		req.Headers["Authorization"] = auth
		req.MultiValueHeaders["Authorization"] = []string{auth}
	}
	return req
}

func (f *fixture) handle(t testing.TB, auth string) (events.APIGatewayCustomAuthorizerResponse, error) {
	t.Helper()
	return f.h.Handle(context.Background(), request(t, auth))
}

// flushed returns the EMF documents written by a flush of f's metrics.
func (f *fixture) flushed(t testing.TB) string {
	t.Helper()
	var buf bytes.Buffer
	if err := f.metrics.Flush(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func effect(resp events.APIGatewayCustomAuthorizerResponse) string {
	if len(resp.PolicyDocument.Statement) != 1 {
		return ""
	}
	return resp.PolicyDocument.Statement[0].Effect
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
