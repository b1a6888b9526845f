package authz

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/lambdis/lambdis/shared/strictjson"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Claims are the verified claims of a token.
type Claims struct {
	Subject, Issuer, ID string // sub, iss, jti
	Audience            []string
	// NotBefore is zero when the claim is absent; Verify requires exp and
	// iat, so ExpiresAt and IssuedAt are always set on verified claims.
	IssuedAt, ExpiresAt, NotBefore time.Time
	// Scopes come from "scope" (space-separated string, OAuth 2.0) and
	// "scp" (array, or a space-separated string as Entra ID sends), merged
	// without duplicates.
	Scopes []string
}

// HasScope reports whether the token was granted scope.
func (c Claims) HasScope(scope string) bool {
	return scope != "" && slices.Contains(c.Scopes, scope)
}

// maxClaimBytes bounds sub and jti: they end up in Redis keys and logs.
const maxClaimBytes = 256

// scopeList encodes scopes as a space-separated string (OAuth 2.0 "scope").
type scopeList []string

func (s scopeList) MarshalJSON() ([]byte, error) {
	return json.Marshal(strings.Join(s, " "))
}

// tokenClaims is the wire form of the claims SignHS256 writes. Verify reads
// claims from a map instead (mapClaims), so that names match exactly.
type tokenClaims struct {
	jwt.RegisteredClaims
	Scope scopeList `json:"scope,omitempty"`
}

// checkClaimString validates jti (optional).
func checkClaimString(name, v string, required bool) error {
	switch {
	case v == "" && required:
		return fmt.Errorf("%s is missing or empty", name)
	case len(v) > maxClaimBytes:
		return fmt.Errorf("%s is longer than %d bytes", name, maxClaimBytes)
	case hasControl(v):
		return fmt.Errorf("%s contains control characters", name)
	}
	return nil
}

// checkSegments reads the header and payload of a compact JWS the way
// shared/strictjson reads every client JSON: valid UTF-8, one JSON value,
// and no member name twice at any depth. golang-jwt (like encoding/json)
// would keep the last of two "alg" or "sub" members silently; RFC 7519 §4
// lets a parser reject such a token, and this one does.
func checkSegments(token string) error {
	head, rest, _ := strings.Cut(token, ".")
	payload, _, _ := strings.Cut(rest, ".")
	for _, seg := range []struct{ name, b64 string }{{"header", head}, {"payload", payload}} {
		raw, err := base64.RawURLEncoding.Strict().DecodeString(seg.b64)
		if err != nil {
			return invalidf(ReasonMalformed, "token "+seg.name+" is not base64url")
		}
		if err := strictjson.Check(raw); err != nil {
			var se *strictjson.Error
			if errors.As(err, &se) && se.Kind == strictjson.Duplicate {
				return invalidf(ReasonMalformed, "token "+seg.name+" names "+strconv.Quote(se.Pointer)+" twice")
			}
			return invalidf(ReasonMalformed, "token "+seg.name+" is not strict JSON: "+err.Error())
		}
		if len(raw) == 0 || raw[0] != '{' {
			return invalidf(ReasonMalformed, "token "+seg.name+" is not a JSON object")
		}
	}
	return nil
}

// mapClaims reads the verified claims with exact, case-sensitive names (a
// map, not a struct: encoding/json would match "Scope", "SCP" or "ſub"
// against a struct field). Numbers arrive as json.Number (WithJSONNumber).
type mapClaims jwt.MapClaims

// str returns the string claim name: absent is "", any other type an error.
func (m mapClaims) str(name string) (string, error) {
	raw, ok := m[name]
	if !ok {
		return "", nil
	}
	s, ok := raw.(string)
	if !ok {
		return "", fmt.Errorf("%s must be a string", name)
	}
	return s, nil
}

// strs returns a claim that is a string or an array of strings.
func (m mapClaims) strs(name string) ([]string, error) {
	switch v := m[name].(type) {
	case nil: // absent, or null (as encoding/json has always read it)
		return nil, nil
	case string:
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			s, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("%s must be a string or an array of strings", name)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s must be a string or an array of strings", name)
}

// date returns the NumericDate claim name (RFC 7519 §2: a JSON number of
// seconds; a string is refused even when it holds digits).
func (m mapClaims) date(name string) (time.Time, error) {
	raw, ok := m[name]
	if !ok {
		return time.Time{}, nil
	}
	n, ok := raw.(json.Number)
	if !ok {
		return time.Time{}, fmt.Errorf("%s must be a JSON number", name)
	}
	f, err := n.Float64()
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || math.Abs(f) > 1<<53 {
		return time.Time{}, fmt.Errorf("%s is out of range", name)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), nil
}

// claims converts and checks the verified wire claims: names are exact;
// exp, iat and nbf are JSON numbers; exp is after iat; sub follows the
// subject rule (ValidateSubject).
func (m mapClaims) claims() (Claims, error) {
	var c Claims
	var err error
	for _, d := range []struct {
		name string
		dst  *time.Time
	}{{"exp", &c.ExpiresAt}, {"iat", &c.IssuedAt}, {"nbf", &c.NotBefore}} {
		if *d.dst, err = m.date(d.name); err != nil {
			return Claims{}, invalid(ReasonMalformed, err)
		}
	}
	if c.IssuedAt.IsZero() {
		// The per-user revoke-all cut-off compares iat (Store.DecideToken).
		return Claims{}, invalidf(ReasonMissingClaim, "token is missing required claim: iat claim is required")
	}
	if !c.ExpiresAt.After(c.IssuedAt) {
		return Claims{}, invalidf(ReasonInvalidClaims, "exp must be after iat")
	}
	if c.Subject, err = m.str("sub"); err != nil {
		return Claims{}, invalid(ReasonMalformed, err)
	}
	if err := ValidateSubject(c.Subject); err != nil {
		return Claims{}, invalid(ReasonSubject, err)
	}
	if c.ID, err = m.str("jti"); err != nil {
		return Claims{}, invalid(ReasonMalformed, err)
	}
	if err := checkClaimString("jti", c.ID, false); err != nil {
		return Claims{}, invalid(ReasonTokenID, err)
	}
	if c.Issuer, err = m.str("iss"); err != nil {
		return Claims{}, invalid(ReasonMalformed, err)
	}
	if c.Audience, err = m.strs("aud"); err != nil {
		return Claims{}, invalid(ReasonMalformed, err)
	}
	for _, name := range []string{"scope", "scp"} {
		vals, err := m.strs(name)
		if err != nil {
			return Claims{}, invalid(ReasonMalformed, err)
		}
		for _, v := range vals {
			for _, s := range strings.Fields(v) {
				if !slices.Contains(c.Scopes, s) {
					c.Scopes = append(c.Scopes, s)
				}
			}
		}
	}
	return c, nil
}

// Verifier verifies bearer JWTs against a pinned set of algorithms, an HS256
// secret and/or a JWKS. It is safe for concurrent use; build one per
// container (at init) so the JWKS cache survives between invocations.
type Verifier struct {
	algs   []string
	leeway time.Duration
	secret []byte
	jwks   *jwksCache // nil without a JWKS URL
	parser *jwt.Parser
}

// NewVerifier validates cfg (see VerifierConfig.Validate) and builds a
// Verifier. It makes no network call: the JWKS is fetched on first use.
func NewVerifier(cfg VerifierConfig) (*Verifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(cfg.Algorithms),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithTimeFunc(cfg.Now),
		jwt.WithStrictDecoding(), // base64url without padding or stray bits
		jwt.WithJSONNumber(),     // numbers stay numbers; mapClaims checks their type
	}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	if cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(cfg.Audience))
	}
	v := &Verifier{
		algs:   cfg.Algorithms,
		leeway: cfg.Leeway,
		parser: jwt.NewParser(opts...),
	}
	if len(cfg.HMACSecret) > 0 {
		v.secret = slices.Clone(cfg.HMACSecret)
	}
	if cfg.JWKSURL != "" {
		v.jwks = newJWKSCache(cfg)
	}
	return v, nil
}

// Leeway returns the configured clock-skew allowance; add it to revocation
// TTLs so a denylist entry cannot expire before the token it denies.
func (v *Verifier) Leeway() time.Duration { return v.leeway }

// Verify checks token (the compact JWT, without "Bearer ") and returns its
// claims. The signature must verify with a key of the kind its alg demands:
// HS256 only with the HMAC secret, RS256 only with a JWKS RSA key, ES256 only
// with a JWKS P-256 key; the alg must be in the pinned set. exp and iat are
// required (iat drives the per-user revoke-all cut-off); exp, nbf and iat
// (not in the future) are checked with the leeway; iss and aud when
// configured; sub must be present, at most 256 bytes, without control
// characters; jti, when present, likewise.
//
// Every rejection matches ErrInvalidToken (a *TokenError with a Reason).
// When the JWKS cannot be fetched and no keys are cached, the error matches
// ErrKeysUnavailable instead. A JWKS fetch happens inside Verify, bounded by
// ctx and a 2s timeout, only on first use, for an unknown kid (at most once
// per JWKSMinRefresh), or when the cached set is older than JWKSMaxAge; a
// failed refresh keeps the cached set. Until the first fetch succeeds, a
// failed one is retried at most every 5s (or JWKSMinRefresh, if shorter).
func (v *Verifier) Verify(ctx context.Context, token string) (Claims, error) {
	if err := checkCompactShape(token); err != nil {
		return Claims{}, err
	}
	if err := checkSegments(token); err != nil {
		return Claims{}, err
	}
	var keyErr error
	mc := jwt.MapClaims{}
	tok, err := v.parser.ParseWithClaims(token, mc, func(t *jwt.Token) (any, error) {
		k, err := v.key(ctx, t)
		keyErr = err
		return k, err
	})
	if keyErr != nil {
		return Claims{}, keyErr
	}
	if err != nil {
		return Claims{}, v.classify(tok, err)
	}
	return mapClaims(mc).claims()
}

// key is the jwt.Keyfunc: it picks the key for the token's alg and kid and
// refuses any key whose kind does not match the alg (algorithm confusion).
func (v *Verifier) key(ctx context.Context, t *jwt.Token) (any, error) {
	alg := t.Method.Alg()
	if !slices.Contains(v.algs, alg) { // the parser checked already; keep it local too
		return nil, invalidf(ReasonAlgorithm, "alg "+alg+" not allowed")
	}
	if _, ok := t.Header["crit"]; ok {
		return nil, invalidf(ReasonHeader, "crit header not supported")
	}
	kid := ""
	if raw, ok := t.Header["kid"]; ok {
		s, isString := raw.(string)
		if !isString || s == "" || len(s) > maxKIDBytes || hasControl(s) {
			return nil, invalidf(ReasonHeader, "invalid kid")
		}
		kid = s
	}

	switch alg {
	case AlgHS256:
		if t.Method != jwt.SigningMethodHS256 || len(v.secret) == 0 {
			return nil, invalidf(ReasonAlgorithm, "HS256 not available")
		}
		return v.secret, nil
	case AlgRS256, AlgES256:
		if v.jwks == nil {
			return nil, invalidf(ReasonAlgorithm, alg+" not available without a JWKS")
		}
		if (alg == AlgRS256 && t.Method != jwt.SigningMethodRS256) || (alg == AlgES256 && t.Method != jwt.SigningMethodES256) {
			return nil, invalidf(ReasonAlgorithm, alg+" has an unexpected signing method")
		}
		set, fetchErr := v.jwks.lookup(ctx, kid)
		if set == nil {
			if fetchErr == nil {
				fetchErr = errors.New("no key set")
			}
			return nil, fmt.Errorf("%w: %w", ErrKeysUnavailable, fetchErr)
		}
		candidates, known := set.find(kid)
		if !known {
			detail := fmt.Sprintf("no key with kid %q", kid)
			if kid == "" {
				detail = "token has no kid and the key set has several keys"
			}
			if fetchErr != nil {
				detail += " (refresh failed: " + fetchErr.Error() + ")"
			}
			return nil, invalidf(ReasonUnknownKey, detail)
		}
		var keys []jwt.VerificationKey
		for _, k := range candidates {
			if k.alg != "" && k.alg != alg {
				continue
			}
			switch pub := k.key.(type) {
			case *rsa.PublicKey:
				if alg == AlgRS256 {
					keys = append(keys, pub)
				}
			case *ecdsa.PublicKey:
				if alg == AlgES256 && pub.Curve == elliptic.P256() {
					keys = append(keys, pub)
				}
			}
		}
		switch len(keys) {
		case 0:
			return nil, invalidf(ReasonKeyMismatch, fmt.Sprintf("key %q cannot verify %s", kid, alg))
		case 1:
			return keys[0], nil
		default: // several keys share the kid: any one may verify
			return jwt.VerificationKeySet{Keys: keys}, nil
		}
	}
	return nil, invalidf(ReasonAlgorithm, "alg "+alg+" not supported")
}

// classify maps a golang-jwt error to a TokenError.
func (v *Verifier) classify(tok *jwt.Token, err error) error {
	reason := ReasonInvalidClaims
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed), errors.Is(err, jwt.ErrInvalidType):
		reason = ReasonMalformed // a claim of the wrong JSON type (exp as a string)
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		reason = ReasonAlgorithm // alg missing or unknown to the library
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		reason = ReasonSignature
		if tok != nil && tok.Method != nil && !slices.Contains(v.algs, tok.Method.Alg()) {
			reason = ReasonAlgorithm // not in the pinned set, "none" included
		}
	case errors.Is(err, jwt.ErrTokenExpired):
		reason = ReasonExpired
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		reason = ReasonNotYetValid
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		reason = ReasonIssuer
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		reason = ReasonAudience
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		reason = ReasonMissingClaim
	}
	return invalid(reason, err)
}

// SignHS256 signs c with secret (at least 32 bytes) for local development
// (`lambdis token`) and tests. It sets iat to now and exp to now+ttl unless
// c already has them, jti to 128 random bits in hex unless c.ID is set, and
// "scope" to the space-joined Scopes. sub is required.
func SignHS256(secret []byte, c Claims, now time.Time, ttl time.Duration) (string, error) {
	if len(secret) < MinHMACSecretBytes {
		return "", fmt.Errorf("authz: HS256 secret is %d bytes, need at least %d", len(secret), MinHMACSecretBytes)
	}
	if err := ValidateSubject(c.Subject); err != nil {
		return "", err
	}
	if c.ID == "" {
		var b [16]byte
		_, _ = rand.Read(b[:]) // never fails (crypto/rand, Go ≥ 1.24)
		c.ID = hex.EncodeToString(b[:])
	}
	if err := checkClaimString("jti", c.ID, false); err != nil {
		return "", fmt.Errorf("authz: %w", err)
	}
	for _, s := range c.Scopes {
		if s == "" || strings.ContainsFunc(s, func(r rune) bool { return r == ' ' || r < 0x21 || r == 0x7f }) {
			return "", fmt.Errorf("authz: scope %q is empty or contains spaces or control characters", s)
		}
	}
	if c.IssuedAt.IsZero() {
		c.IssuedAt = now
	}
	if c.ExpiresAt.IsZero() {
		if ttl <= 0 {
			return "", errors.New("authz: ttl must be positive")
		}
		c.ExpiresAt = now.Add(ttl)
	}
	tc := tokenClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   c.Subject,
			Issuer:    c.Issuer,
			ID:        c.ID,
			IssuedAt:  jwt.NewNumericDate(c.IssuedAt),
			ExpiresAt: jwt.NewNumericDate(c.ExpiresAt),
		},
		Scope: scopeList(c.Scopes),
	}
	if len(c.Audience) > 0 {
		tc.Audience = jwt.ClaimStrings(c.Audience)
	}
	if !c.NotBefore.IsZero() {
		tc.NotBefore = jwt.NewNumericDate(c.NotBefore)
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, tc).SignedString(secret)
}
