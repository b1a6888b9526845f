package main

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/authz"
)

func verify(t *testing.T, cfg authz.VerifierConfig, token string) authz.Claims {
	t.Helper()
	v, err := authz.NewVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.Verify(context.Background(), token)
	if err != nil {
		t.Fatalf("Verify(%q): %v", token, err)
	}
	return c
}

func TestTokenWithDevSecret(t *testing.T) {
	code, out, errOut := runCLI(t, nil, "token", "--sub", "alice", "--scope", "admin", "--scope", "jobs:read jobs:write")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.HasSuffix(out, "\n") || strings.Count(out, "\n") != 1 {
		t.Errorf("stdout %q, want one line", out)
	}
	if !strings.Contains(errOut, "local development secret") {
		t.Errorf("no note about the development secret on stderr: %q", errOut)
	}
	c := verify(t, authz.VerifierConfig{HMACSecret: []byte(authz.LocalDevSecret)}, strings.TrimSpace(out))
	if c.Subject != "alice" || !slices.Equal(c.Scopes, []string{"admin", "jobs:read", "jobs:write"}) {
		t.Errorf("claims %+v", c)
	}
	if c.ID == "" {
		t.Error("no jti: the token could not be revoked alone")
	}
	if life := c.ExpiresAt.Sub(c.IssuedAt); life != defaultTokenTTL {
		t.Errorf("lifetime %v, want %v", life, defaultTokenTTL)
	}
}

func TestTokenWithJWTSecretIssuerAudience(t *testing.T) {
	secret := strings.Repeat("k", 48)
	vars := map[string]string{authz.EnvJWTSecret: secret, authz.EnvJWTIssuer: "https://issuer.example/", authz.EnvJWTAudience: "lambdis"}
	code, out, errOut := runCLI(t, vars, "token", "--sub", "bob", "--ttl", "2h")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if errOut != "" {
		t.Errorf("stderr %q, want nothing when JWT_SECRET is set", errOut)
	}
	c := verify(t, authz.VerifierConfig{HMACSecret: []byte(secret), Issuer: "https://issuer.example/", Audience: "lambdis"}, strings.TrimSpace(out))
	if c.Subject != "bob" || c.ExpiresAt.Sub(c.IssuedAt) != 2*time.Hour || len(c.Scopes) != 0 {
		t.Errorf("claims %+v", c)
	}
	// Flags win over the environment.
	code, out, _ = runCLI(t, vars, "token", "--sub", "bob", "--iss", "other", "--aud", "a1", "--aud", "a2")
	if code != exitOK {
		t.Fatal(code)
	}
	c = verify(t, authz.VerifierConfig{HMACSecret: []byte(secret), Issuer: "other", Audience: "a2"}, strings.TrimSpace(out))
	if !slices.Equal(c.Audience, []string{"a1", "a2"}) {
		t.Errorf("aud %v", c.Audience)
	}
	// --secret-env reads another variable.
	code, out, _ = runCLI(t, map[string]string{"MY_SECRET": secret}, "token", "--sub", "carol", "--secret-env", "MY_SECRET")
	if code != exitOK {
		t.Fatal(code)
	}
	verify(t, authz.VerifierConfig{HMACSecret: []byte(secret)}, strings.TrimSpace(out))
}

func TestTokenBadFlags(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		args []string
		code int
		want string
	}{
		{"no sub", nil, nil, exitUsage, "--sub is required"},
		{"blank sub", nil, []string{"--sub", "  "}, exitUsage, "--sub is required"},
		{"zero ttl", nil, []string{"--sub", "a", "--ttl", "0s"}, exitUsage, "--ttl must be positive"},
		{"negative ttl", nil, []string{"--sub", "a", "--ttl", "-1m"}, exitUsage, "--ttl must be positive"},
		{"bad ttl", nil, []string{"--sub", "a", "--ttl", "soon"}, exitUsage, "invalid value"},
		{"unknown flag", nil, []string{"--sub", "a", "--admin"}, exitUsage, "flag provided but not defined"},
		{"argument", nil, []string{"--sub", "a", "extra"}, exitUsage, `unexpected argument "extra"`},
		{"empty scope", nil, []string{"--sub", "a", "--scope", " "}, exitUsage, "empty value"},
		{"control character in sub", nil, []string{"--sub", "a\x01b"}, exitUsage, "sub"},
		{"sub too long", nil, []string{"--sub", strings.Repeat("x", 300)}, exitUsage, "sub"},
		{"empty secret env name", nil, []string{"--sub", "a", "--secret-env", ""}, exitUsage, "--secret-env may not be empty"},
		{"secret env unset", nil, []string{"--sub", "a", "--secret-env", "NOPE"}, exitError, "NOPE is not set"},
		{"short secret", map[string]string{authz.EnvJWTSecret: "short"}, []string{"--sub", "a"}, exitError, "at least 32"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tt.vars, append([]string{"token"}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr %q", code, tt.code, errOut)
			}
			if out != "" {
				t.Errorf("stdout %q, want no token", out)
			}
			if !strings.Contains(errOut, tt.want) {
				t.Errorf("stderr %q, want it to contain %q", errOut, tt.want)
			}
		})
	}
}

func TestTokenHelp(t *testing.T) {
	code, out, errOut := runCLI(t, nil, "token", "-h")
	if code != exitOK || errOut != "" || !strings.Contains(out, "usage: lambdis token") || !strings.Contains(out, "-secret-env") {
		t.Errorf("exit %d stdout %q stderr %q", code, out, errOut)
	}
}

func TestTokenWarnsWhenServeWillNotAcceptIt(t *testing.T) {
	code, _, errOut := runCLI(t, map[string]string{authz.EnvJWTJWKSURL: "https://idp.example/jwks"}, "token", "--sub", "a")
	if code != exitOK || !strings.Contains(errOut, "JWT_JWKS_URL is set") {
		t.Errorf("exit %d stderr %q", code, errOut)
	}
}
