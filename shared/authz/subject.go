package authz

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/lambdis/lambdis/shared/keys"
)

// MaxSubjectBytes bounds a subject (a token's sub, a session's owner).
const MaxSubjectBytes = 256

// ErrInvalidSubject is the error ValidateSubject wraps.
var ErrInvalidSubject = errors.New("authz: invalid subject")

// ValidateSubject is the one subject rule of Lambdis: a subject is 1 to
// MaxSubjectBytes bytes of valid UTF-8 without control characters (Unicode
// Cc: C0, DEL, C1) or line/paragraph separators (U+2028, U+2029). Every
// other character is allowed, U+FFFD, braces, spaces and ':' included: keys
// hold a subject through UserTag, which hashes what is not a safe tag.
//
// The authorizer admits a token only if its sub passes (and the token's JSON
// is valid UTF-8, so no byte is ever turned into U+FFFD on the way in);
// revocation, revoke-all and sessions accept exactly the same subjects, so
// whatever is admitted can be revoked. Leaderboards are the exception that
// proves the rule: a player id is a narrower, documented form
// (shared/leaderboard), and a caller whose subject is not a valid player id
// can read boards but submits only with the submit or admin scope.
func ValidateSubject(sub string) error {
	switch {
	case sub == "":
		return fmt.Errorf("%w: empty", ErrInvalidSubject)
	case len(sub) > MaxSubjectBytes:
		return fmt.Errorf("%w: %d bytes, the limit is %d", ErrInvalidSubject, len(sub), MaxSubjectBytes)
	case !utf8.ValidString(sub):
		return fmt.Errorf("%w: not valid UTF-8", ErrInvalidSubject)
	}
	for _, r := range sub {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return fmt.Errorf("%w: control characters are not allowed", ErrInvalidSubject)
		}
	}
	return nil
}

// UserTag returns the hash tag of a token subject: "u:<sub>" when sub is
// short and safe as a tag, otherwise "uh:<sha256 hex>", so that whatever a
// token's sub holds (braces, spaces, 256 bytes) it maps to one valid tag.
func UserTag(sub string) string {
	if len(sub) <= 200 && keys.ValidateTag(sub) == nil {
		return "u:" + sub
	}
	h := sha256.Sum256([]byte(sub))
	return "uh:" + hex.EncodeToString(h[:])
}

// IPTag returns the hash tag of an anonymous caller's source IP: the
// address for IPv4, the /64 network for IPv6 (one subscriber holds a whole
// /64, so limiting single IPv6 addresses limits nothing).
func IPTag(ip string) (string, error) {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return "", fmt.Errorf("authz: source ip %q: %w", ip, err)
	}
	a = a.Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		return "ip6:" + p.String(), nil
	}
	return "ip:" + a.String(), nil
}

// tokenID names the revocation of (iss, jti) in a key: 128 bits of SHA-256
// over the length-prefixed pair, so that no two pairs share an id and any
// issuer or jti fits a key. (OWASP warns against keying on a hash of the
// token itself, which JWT malleability can dodge; (iss, jti) is what is
// hashed here.)
func tokenID(iss, jti string) string {
	h := sha256.Sum256([]byte(strconv.Itoa(len(iss)) + ":" + iss + ":" + jti))
	return hex.EncodeToString(h[:16])
}
