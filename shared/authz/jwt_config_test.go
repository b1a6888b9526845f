package authz

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestVerifierConfigValidate(t *testing.T) {
	secret := testSecret
	tests := []struct {
		name    string
		cfg     VerifierConfig
		wantErr string // substring; "" = valid
	}{
		{"HS256 only", VerifierConfig{HMACSecret: secret}, ""},
		{"JWKS only", VerifierConfig{JWKSURL: "https://idp.example/.well-known/jwks.json"}, ""},
		{"both, explicit algorithms", VerifierConfig{HMACSecret: secret, JWKSURL: "https://idp.example/jwks", Algorithms: []string{"RS256", "HS256"}}, ""},
		{"loopback http", VerifierConfig{JWKSURL: "http://127.0.0.1:8080/jwks"}, ""},
		{"localhost http", VerifierConfig{JWKSURL: "http://localhost:9000/jwks"}, ""},
		{"ipv6 loopback http", VerifierConfig{JWKSURL: "http://[::1]:9000/jwks"}, ""},
		{"max leeway", VerifierConfig{HMACSecret: secret, Leeway: 60 * time.Second}, ""},
		{"no key source", VerifierConfig{}, "no key source"},
		{"short secret", VerifierConfig{HMACSecret: secret[:31]}, "at least 32"},
		{"negative leeway", VerifierConfig{HMACSecret: secret, Leeway: -time.Second}, "Leeway"},
		{"leeway over 60s", VerifierConfig{HMACSecret: secret, Leeway: 61 * time.Second}, "Leeway"},
		{"unknown algorithm", VerifierConfig{HMACSecret: secret, Algorithms: []string{"HS256", "none"}}, `unknown algorithm "none"`},
		{"lowercase algorithm", VerifierConfig{HMACSecret: secret, Algorithms: []string{"hs256"}}, "unknown algorithm"},
		{"PS256 unsupported", VerifierConfig{JWKSURL: "https://idp.example/jwks", Algorithms: []string{"PS256"}}, "unknown algorithm"},
		{"HS256 without secret", VerifierConfig{JWKSURL: "https://idp.example/jwks", Algorithms: []string{"HS256", "RS256"}}, "HS256 allowed"},
		{"RS256 without JWKS", VerifierConfig{HMACSecret: secret, Algorithms: []string{"RS256"}}, "RS256 allowed"},
		{"ES256 without JWKS", VerifierConfig{HMACSecret: secret, Algorithms: []string{"ES256"}}, "ES256 allowed"},
		{"plain http", VerifierConfig{JWKSURL: "http://idp.example/jwks"}, "https required"},
		{"http on a lookalike host", VerifierConfig{JWKSURL: "http://localhost.evil.example/jwks"}, "https required"},
		{"ftp", VerifierConfig{JWKSURL: "ftp://idp.example/jwks"}, "scheme"},
		{"relative URL", VerifierConfig{JWKSURL: "/jwks"}, "absolute"},
		{"no host", VerifierConfig{JWKSURL: "https:///jwks"}, "absolute"},
		{"credentials in URL", VerifierConfig{JWKSURL: "https://user:pw@idp.example/jwks"}, "credentials"},
		{"unparsable URL", VerifierConfig{JWKSURL: "https://idp example/jwks"}, "JWKSURL"},
		{"negative min refresh", VerifierConfig{HMACSecret: secret, JWKSMinRefresh: -1}, "JWKSMinRefresh"},
		{"min refresh above max age", VerifierConfig{JWKSURL: "https://idp.example/jwks", JWKSMinRefresh: 2 * time.Hour}, "exceeds JWKSMaxAge"},
		{"issuer with newline", VerifierConfig{HMACSecret: secret, Issuer: "a\nb"}, "Issuer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				if _, err := NewVerifier(tc.cfg); err != nil {
					t.Fatalf("NewVerifier: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Validate = %v, want an error containing %q", err, tc.wantErr)
			}
			if _, err := NewVerifier(tc.cfg); err == nil {
				t.Fatal("NewVerifier accepted an invalid config")
			}
		})
	}
}

func TestVerifierConfigFromEnv(t *testing.T) {
	secret := string(testSecret)
	tests := []struct {
		name    string
		env     map[string]string
		wantErr []string // substrings; nil = valid
		check   func(t *testing.T, c VerifierConfig)
	}{
		{
			name: "secret only: defaults",
			env:  map[string]string{"JWT_SECRET": secret},
			check: func(t *testing.T, c VerifierConfig) {
				if string(c.HMACSecret) != secret || c.Leeway != 30*time.Second || !slices.Equal(c.Algorithms, []string{"HS256"}) {
					t.Fatalf("%+v", c)
				}
			},
		},
		{
			name: "JWKS with issuer and audience",
			env: map[string]string{
				"JWT_JWKS_URL": " https://cognito-idp.eu-west-1.amazonaws.com/pool/.well-known/jwks.json ",
				"JWT_ISSUER":   "https://cognito-idp.eu-west-1.amazonaws.com/pool",
				"JWT_AUDIENCE": "client-id",
				"JWT_LEEWAY":   "5s",
			},
			check: func(t *testing.T, c VerifierConfig) {
				if c.JWKSURL != "https://cognito-idp.eu-west-1.amazonaws.com/pool/.well-known/jwks.json" ||
					c.Issuer == "" || c.Audience != "client-id" || c.Leeway != 5*time.Second ||
					!slices.Equal(c.Algorithms, []string{"RS256", "ES256"}) {
					t.Fatalf("%+v", c)
				}
			},
		},
		{
			name: "both sources: union of defaults",
			env:  map[string]string{"JWT_SECRET": secret, "JWT_JWKS_URL": "https://idp.example/jwks"},
			check: func(t *testing.T, c VerifierConfig) {
				if !slices.Equal(c.Algorithms, []string{"HS256", "RS256", "ES256"}) {
					t.Fatalf("%v", c.Algorithms)
				}
			},
		},
		{
			name: "explicit algorithms, zero leeway",
			env:  map[string]string{"JWT_JWKS_URL": "https://idp.example/jwks", "JWT_ALGORITHMS": " RS256 , RS256", "JWT_LEEWAY": "0s"},
			check: func(t *testing.T, c VerifierConfig) {
				if !slices.Equal(c.Algorithms, []string{"RS256"}) || c.Leeway != 0 {
					t.Fatalf("%+v", c)
				}
			},
		},
		{
			name: "secret ARN: HS256 pending the caller's secret",
			env:  map[string]string{"JWT_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:jwt"},
			check: func(t *testing.T, c VerifierConfig) {
				if len(c.HMACSecret) != 0 || !slices.Equal(c.Algorithms, []string{"HS256"}) {
					t.Fatalf("%+v", c)
				}
				c.HMACSecret = testSecret
				if _, err := NewVerifier(c); err != nil {
					t.Fatal(err)
				}
			},
		},
		{name: "nothing set", env: map[string]string{}, wantErr: []string{"no key source", "JWT_SECRET", "JWT_JWKS_URL"}},
		{name: "short secret", env: map[string]string{"JWT_SECRET": "short"}, wantErr: []string{"JWT_SECRET", "at least 32"}},
		{name: "secret with newline", env: map[string]string{"JWT_SECRET": secret + "\n"}, wantErr: []string{"JWT_SECRET", "whitespace"}},
		{name: "secret and ARN", env: map[string]string{"JWT_SECRET": secret, "JWT_SECRET_ARN": "arn:x"}, wantErr: []string{"JWT_SECRET", "JWT_SECRET_ARN"}},
		{name: "bad leeway", env: map[string]string{"JWT_SECRET": secret, "JWT_LEEWAY": "30"}, wantErr: []string{"JWT_LEEWAY"}},
		{name: "leeway too big", env: map[string]string{"JWT_SECRET": secret, "JWT_LEEWAY": "2m"}, wantErr: []string{"JWT_LEEWAY"}},
		{name: "negative leeway", env: map[string]string{"JWT_SECRET": secret, "JWT_LEEWAY": "-1s"}, wantErr: []string{"JWT_LEEWAY"}},
		{name: "unknown algorithm", env: map[string]string{"JWT_SECRET": secret, "JWT_ALGORITHMS": "HS256,none"}, wantErr: []string{"JWT_ALGORITHMS", `"none"`}},
		{name: "empty algorithm item", env: map[string]string{"JWT_SECRET": secret, "JWT_ALGORITHMS": "HS256,"}, wantErr: []string{"JWT_ALGORITHMS"}},
		{name: "RS256 without JWKS", env: map[string]string{"JWT_SECRET": secret, "JWT_ALGORITHMS": "RS256"}, wantErr: []string{"JWT_ALGORITHMS", "JWT_JWKS_URL"}},
		{name: "HS256 without secret", env: map[string]string{"JWT_JWKS_URL": "https://idp.example/jwks", "JWT_ALGORITHMS": "HS256"}, wantErr: []string{"JWT_ALGORITHMS", "JWT_SECRET"}},
		{name: "http JWKS", env: map[string]string{"JWT_JWKS_URL": "http://idp.example/jwks"}, wantErr: []string{"JWT_JWKS_URL", "https"}},
		{name: "several problems at once", env: map[string]string{"JWT_SECRET": "x", "JWT_LEEWAY": "soon", "JWT_ALGORITHMS": "XS1"}, wantErr: []string{"JWT_LEEWAY", "JWT_ALGORITHMS"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := VerifierConfigFromEnv(func(k string) string { return tc.env[k] })
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("error: %v", err)
				}
				tc.check(t, c)
				return
			}
			if err == nil {
				t.Fatalf("no error, config %+v", c)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}
