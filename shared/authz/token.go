package authz

import (
	"errors"
	"strings"
)

// ErrInvalidToken is matched (errors.Is) by every rejection of a token: a
// missing or malformed Authorization header, a bad signature, a failed claim
// check. The concrete error is a *TokenError carrying a stable Reason.
var ErrInvalidToken = errors.New("authz: invalid token")

// ErrKeysUnavailable is returned by Verify when the JWKS could not be fetched
// and no previously fetched keys are cached. It does not match
// ErrInvalidToken: the token may be fine, the verifier cannot tell. The
// authorizer answers 401 for both but logs this one as an outage.
var ErrKeysUnavailable = errors.New("authz: signing keys unavailable")

// MaxTokenBytes bounds the length of a compact JWT accepted by BearerToken
// and Verify.
const MaxTokenBytes = 8 << 10

// Reasons carried by TokenError.Reason: stable, low-cardinality values fit
// for a log field or a metric dimension. (They are plain strings; the
// decision reasons of type Reason are a different family.)
const (
	ReasonMissing       = "missing"        // no Authorization header or empty token
	ReasonMalformed     = "malformed"      // not a bearer JWT: scheme, shape, base64, JSON
	ReasonAlgorithm     = "algorithm"      // alg not allowed (none, or not pinned)
	ReasonHeader        = "header"         // unsupported header (crit) or bad kid
	ReasonUnknownKey    = "unknown_key"    // no key with the token's kid
	ReasonKeyMismatch   = "key_mismatch"   // key kind does not match alg
	ReasonSignature     = "signature"      // signature does not verify
	ReasonExpired       = "expired"        // exp (plus leeway) has passed
	ReasonNotYetValid   = "not_yet_valid"  // nbf or iat in the future (beyond leeway)
	ReasonIssuer        = "issuer"         // iss differs from the configured issuer
	ReasonAudience      = "audience"       // aud lacks the configured audience
	ReasonMissingClaim  = "missing_claim"  // exp, iat (or configured iss/aud) absent
	ReasonSubject       = "subject"        // sub missing, too long or with control characters
	ReasonTokenID       = "token_id"       // jti too long or with control characters
	ReasonInvalidClaims = "invalid_claims" // any other claim check
)

// TokenError is the concrete error for a rejected token. errors.Is(err,
// ErrInvalidToken) holds for every *TokenError.
type TokenError struct {
	Reason string // one of the token Reason* constants above, e.g. ReasonExpired
	Err    error  // detail, for logs; never shown to clients
}

func (e *TokenError) Error() string {
	if e.Err == nil {
		return ErrInvalidToken.Error() + ": " + e.Reason
	}
	return ErrInvalidToken.Error() + ": " + e.Reason + ": " + e.Err.Error()
}

// Is makes errors.Is(err, ErrInvalidToken) true.
func (e *TokenError) Is(target error) bool { return target == ErrInvalidToken }

// Unwrap returns the detail.
func (e *TokenError) Unwrap() error { return e.Err }

func invalid(reason string, detail error) *TokenError {
	return &TokenError{Reason: reason, Err: detail}
}

func invalidf(reason string, detail string) *TokenError {
	return &TokenError{Reason: reason, Err: errors.New(detail)}
}

// BearerToken extracts the token from an Authorization header value: the
// scheme "Bearer" (any case), one or more spaces, then exactly one token in
// compact JWT shape (three non-empty base64url segments, no padding), at most
// MaxTokenBytes long. Surrounding spaces and tabs are ignored. Errors are
// *TokenError (ReasonMissing or ReasonMalformed).
func BearerToken(authorization string) (string, error) {
	const scheme = "Bearer"
	// Cheap bound before any other work: scheme, separator and token.
	if len(authorization) > MaxTokenBytes+len(scheme)+64 {
		return "", invalidf(ReasonMalformed, "authorization header too long")
	}
	h := strings.Trim(authorization, " \t")
	if h == "" {
		return "", invalidf(ReasonMissing, "no authorization header")
	}
	name, rest, ok := strings.Cut(h, " ")
	if !strings.EqualFold(name, scheme) {
		return "", invalidf(ReasonMalformed, "authorization scheme is not Bearer")
	}
	tok := strings.TrimLeft(rest, " ")
	if !ok || tok == "" {
		return "", invalidf(ReasonMissing, "bearer token is empty")
	}
	if err := checkCompactShape(tok); err != nil {
		return "", err
	}
	return tok, nil
}

// checkCompactShape checks that tok looks like a compact JWS: at most
// MaxTokenBytes, exactly three non-empty segments of base64url characters.
func checkCompactShape(tok string) error {
	if tok == "" {
		return invalidf(ReasonMissing, "token is empty")
	}
	if len(tok) > MaxTokenBytes {
		return invalidf(ReasonMalformed, "token too long")
	}
	dots := 0
	segLen := 0
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		switch {
		case c == '.':
			if segLen == 0 {
				return invalidf(ReasonMalformed, "empty token segment")
			}
			dots++
			segLen = 0
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
			segLen++
		case c == ' ' || c == '\t':
			return invalidf(ReasonMalformed, "more than one token")
		default:
			return invalidf(ReasonMalformed, "token contains a character outside base64url")
		}
	}
	if dots != 2 {
		return invalidf(ReasonMalformed, "token does not have three segments")
	}
	if segLen == 0 {
		return invalidf(ReasonMalformed, "empty token segment")
	}
	return nil
}
