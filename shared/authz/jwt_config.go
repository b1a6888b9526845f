package authz

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Algorithm names a Verifier can be configured to accept. Each one is tied to
// exactly one kind of key: HS256 to the configured HMAC secret, RS256 to RSA
// keys from the JWKS, ES256 to P-256 keys from the JWKS.
const (
	AlgHS256 = "HS256"
	AlgRS256 = "RS256"
	AlgES256 = "ES256"
)

// Limits and defaults of a VerifierConfig.
const (
	// MinHMACSecretBytes is the shortest HS256 secret accepted (RFC 7518 §3.2:
	// a key of the same size as the hash output).
	MinHMACSecretBytes = 32
	// MaxLeeway bounds the clock-skew allowance (RFC 8725 / OWASP: keep it small).
	MaxLeeway = 60 * time.Second
	// DefaultEnvLeeway is the leeway VerifierConfigFromEnv uses when JWT_LEEWAY is unset.
	DefaultEnvLeeway = 30 * time.Second
	// DefaultJWKSMinRefresh is the least time between two JWKS fetches.
	DefaultJWKSMinRefresh = time.Minute
	// DefaultJWKSMaxAge is the age after which the JWKS is refetched on the next Verify.
	DefaultJWKSMaxAge = time.Hour
)

// Environment variables read by VerifierConfigFromEnv (see JWT_ENV.md).
const (
	EnvJWTSecret     = "JWT_SECRET"
	EnvJWTSecretARN  = "JWT_SECRET_ARN"
	EnvJWTJWKSURL    = "JWT_JWKS_URL"
	EnvJWTIssuer     = "JWT_ISSUER"
	EnvJWTAudience   = "JWT_AUDIENCE"
	EnvJWTLeeway     = "JWT_LEEWAY"
	EnvJWTAlgorithms = "JWT_ALGORITHMS"
)

// VerifierConfig configures a Verifier. At least one key source (HMACSecret or
// JWKSURL) is required. Zero values mean: no leeway; Algorithms derived from
// the key sources (HS256 with a secret, RS256 and ES256 with a JWKS URL);
// JWKSMinRefresh DefaultJWKSMinRefresh; JWKSMaxAge DefaultJWKSMaxAge;
// HTTPClient a client that follows only https redirects; Now time.Now.
type VerifierConfig struct {
	// HMACSecret is the HS256 key, at least 32 bytes. JWT_SECRET_ARN is
	// resolved by the caller (shared/secrets) and passed in here.
	HMACSecret []byte
	// JWKSURL is the provider's jwks_uri (https; http only for 127.0.0.1,
	// ::1 and localhost, for tests).
	JWKSURL string
	// Issuer, when set, must equal the token's iss.
	Issuer string
	// Audience, when set, must be one of the token's aud values.
	Audience string
	// Leeway is the clock-skew allowance for exp, nbf and iat, 0..60s. Add the
	// same leeway to denylist TTLs so an entry cannot expire before its token.
	Leeway time.Duration
	// Algorithms is the pinned set of accepted "alg" values.
	Algorithms []string
	// HTTPClient fetches the JWKS.
	HTTPClient *http.Client
	// JWKSMinRefresh is the least time between two JWKS fetches (an unknown
	// kid triggers at most one fetch per period).
	JWKSMinRefresh time.Duration
	// JWKSMaxAge is the age after which the next Verify refetches the JWKS.
	JWKSMaxAge time.Duration
	// Now is the clock used for exp/nbf/iat and the JWKS cache ages.
	Now func() time.Time
}

// knownAlgorithms lists every alg a Verifier can accept.
var knownAlgorithms = []string{AlgHS256, AlgRS256, AlgES256}

// withDefaults returns c with its zero values replaced by the documented
// defaults. It does not validate.
func (c VerifierConfig) withDefaults() VerifierConfig {
	if len(c.Algorithms) == 0 {
		var algs []string
		if len(c.HMACSecret) > 0 {
			algs = append(algs, AlgHS256)
		}
		if c.JWKSURL != "" {
			algs = append(algs, AlgRS256, AlgES256)
		}
		c.Algorithms = algs
	} else {
		c.Algorithms = slices.Clone(c.Algorithms)
	}
	if c.JWKSMinRefresh == 0 {
		c.JWKSMinRefresh = DefaultJWKSMinRefresh
	}
	if c.JWKSMaxAge == 0 {
		c.JWKSMaxAge = DefaultJWKSMaxAge
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Validate reports every problem with c (joined), or nil. Zero values are
// judged after the documented defaults are applied.
func (c VerifierConfig) Validate() error {
	c = c.withDefaults()
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("authz: "+format, args...))
	}

	hasSecret := len(c.HMACSecret) > 0
	hasJWKS := c.JWKSURL != ""
	if !hasSecret && !hasJWKS {
		bad("no key source: set HMACSecret (%s or %s) or JWKSURL (%s)", EnvJWTSecret, EnvJWTSecretARN, EnvJWTJWKSURL)
	}
	if hasSecret && len(c.HMACSecret) < MinHMACSecretBytes {
		bad("HMACSecret (%s) is %d bytes, need at least %d", EnvJWTSecret, len(c.HMACSecret), MinHMACSecretBytes)
	}
	if hasJWKS {
		if err := validateJWKSURL(c.JWKSURL); err != nil {
			bad("JWKSURL (%s): %v", EnvJWTJWKSURL, err)
		}
	}
	if c.Leeway < 0 || c.Leeway > MaxLeeway {
		bad("Leeway (%s) %v out of range 0..%v", EnvJWTLeeway, c.Leeway, MaxLeeway)
	}
	if hasControl(c.Issuer) {
		bad("Issuer (%s) contains control characters", EnvJWTIssuer)
	}
	if hasControl(c.Audience) {
		bad("Audience (%s) contains control characters", EnvJWTAudience)
	}
	if len(c.Algorithms) == 0 {
		bad("no algorithms allowed (%s)", EnvJWTAlgorithms)
	}
	for _, alg := range c.Algorithms {
		switch alg {
		case AlgHS256:
			if !hasSecret {
				bad("algorithm %s allowed (%s) but no HMACSecret (%s) is set", alg, EnvJWTAlgorithms, EnvJWTSecret)
			}
		case AlgRS256, AlgES256:
			if !hasJWKS {
				bad("algorithm %s allowed (%s) but no JWKSURL (%s) is set", alg, EnvJWTAlgorithms, EnvJWTJWKSURL)
			}
		default:
			bad("unknown algorithm %q (%s); known: %s", alg, EnvJWTAlgorithms, strings.Join(knownAlgorithms, ","))
		}
	}
	if c.JWKSMinRefresh < 0 {
		bad("JWKSMinRefresh %v is negative", c.JWKSMinRefresh)
	}
	if c.JWKSMaxAge < 0 {
		bad("JWKSMaxAge %v is negative", c.JWKSMaxAge)
	}
	if c.JWKSMaxAge > 0 && c.JWKSMinRefresh > c.JWKSMaxAge {
		bad("JWKSMinRefresh %v exceeds JWKSMaxAge %v", c.JWKSMinRefresh, c.JWKSMaxAge)
	}
	return errors.Join(errs...)
}

// validateJWKSURL requires an absolute https URL without credentials; plain
// http is allowed only for loopback hosts (tests, local development).
func validateJWKSURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if !u.IsAbs() || u.Opaque != "" || u.Host == "" {
		return fmt.Errorf("%q is not an absolute URL with a host", raw)
	}
	if u.User != nil {
		return errors.New("must not contain credentials")
	}
	if u.Fragment != "" {
		return errors.New("must not contain a fragment")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopbackHost(u.Hostname()) {
			return nil
		}
		return errors.New("https required (http only for 127.0.0.1, ::1 or localhost)")
	default:
		return fmt.Errorf("scheme %q not allowed, https required", u.Scheme)
	}
}

func isLoopbackHost(h string) bool {
	return h == "127.0.0.1" || h == "::1" || strings.EqualFold(h, "localhost")
}

// VerifierConfigFromEnv builds a VerifierConfig from the environment (pass
// os.Getenv), with defaults filled in, and validates it. Every invalid value
// yields an error naming its variable; all problems are reported together.
//
//   - JWT_SECRET: the HS256 secret, at least 32 bytes, no leading or trailing
//     whitespace. JWT_SECRET_ARN is not read here: the caller resolves it
//     (shared/secrets) and sets HMACSecret on the returned config, then
//     calls Validate again (or NewVerifier, which does).
//   - JWT_JWKS_URL: the provider's jwks_uri (https).
//   - JWT_ISSUER, JWT_AUDIENCE: checked against iss/aud when set.
//   - JWT_LEEWAY: a Go duration (e.g. "30s"), default 30s, at most 60s.
//   - JWT_ALGORITHMS: comma-separated list of HS256, RS256, ES256; default
//     HS256 with a secret, RS256,ES256 with a JWKS URL.
//
// When JWT_SECRET_ARN is set (and JWT_SECRET is not, which is an error) the
// default algorithms include HS256 and the config is validated as if the
// secret were present; the returned HMACSecret is empty until the caller sets
// it, and NewVerifier validates again.
func VerifierConfigFromEnv(getenv func(string) string) (VerifierConfig, error) {
	var cfg VerifierConfig
	var errs []error

	if s := getenv(EnvJWTSecret); s != "" {
		if strings.TrimSpace(s) != s {
			errs = append(errs, fmt.Errorf("authz: %s has leading or trailing whitespace", EnvJWTSecret))
		}
		cfg.HMACSecret = []byte(s)
	}
	cfg.JWKSURL = strings.TrimSpace(getenv(EnvJWTJWKSURL))
	cfg.Issuer = strings.TrimSpace(getenv(EnvJWTIssuer))
	cfg.Audience = strings.TrimSpace(getenv(EnvJWTAudience))

	cfg.Leeway = DefaultEnvLeeway
	if s := strings.TrimSpace(getenv(EnvJWTLeeway)); s != "" {
		d, err := time.ParseDuration(s)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("authz: %s=%q is not a duration (e.g. 30s): %w", EnvJWTLeeway, s, err))
		case d < 0 || d > MaxLeeway:
			errs = append(errs, fmt.Errorf("authz: %s=%q out of range 0s..%v", EnvJWTLeeway, s, MaxLeeway))
		default:
			cfg.Leeway = d
		}
	}

	if s := strings.TrimSpace(getenv(EnvJWTAlgorithms)); s != "" {
		for a := range strings.SplitSeq(s, ",") {
			a = strings.TrimSpace(a)
			if !slices.Contains(knownAlgorithms, a) {
				errs = append(errs, fmt.Errorf("authz: %s=%q: unknown algorithm %q; known: %s",
					EnvJWTAlgorithms, s, a, strings.Join(knownAlgorithms, ",")))
				continue
			}
			if !slices.Contains(cfg.Algorithms, a) {
				cfg.Algorithms = append(cfg.Algorithms, a)
			}
		}
	}

	// JWT_SECRET_ARN is resolved by the caller after this returns; until then
	// a placeholder secret stands in for it when validating.
	secretPending := strings.TrimSpace(getenv(EnvJWTSecretARN)) != ""
	if secretPending && len(cfg.HMACSecret) > 0 {
		errs = append(errs, fmt.Errorf("authz: set only one of %s and %s", EnvJWTSecret, EnvJWTSecretARN))
	}
	if len(cfg.Algorithms) == 0 {
		if len(cfg.HMACSecret) > 0 || secretPending {
			cfg.Algorithms = append(cfg.Algorithms, AlgHS256)
		}
		if cfg.JWKSURL != "" {
			cfg.Algorithms = append(cfg.Algorithms, AlgRS256, AlgES256)
		}
	}
	cfg = cfg.withDefaults()
	if len(errs) == 0 {
		probe := cfg
		if secretPending {
			probe.HMACSecret = make([]byte, MinHMACSecretBytes)
		}
		if err := probe.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return VerifierConfig{}, errors.Join(errs...)
	}
	return cfg, nil
}

// hasControl reports whether s is invalid UTF-8 or contains a control character.
func hasControl(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return true
		}
	}
	return false
}
