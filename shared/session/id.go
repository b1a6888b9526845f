package session

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/lambdis/lambdis/shared/authz"
)

// CookieName is the cookie that carries a session id in a browser
// (lambdis_session=<id>); the authorizer reads it when a request has no
// Authorization header.
const CookieName = "lambdis_session"

// Bounds of a session id.
const (
	// MaxSubjectBytes bounds the subject a session is created for.
	MaxSubjectBytes = authz.MaxSubjectBytes
	// SecretBytes is the size of an id's random part.
	SecretBytes = 32
	// MaxIDLen bounds the text of an id: base64url of MaxSubjectBytes, a dot
	// and base64url of SecretBytes.
	MaxIDLen = (MaxSubjectBytes*8+5)/6 + 1 + (SecretBytes*8+5)/6
)

// ErrMalformedID is wrapped by every error of ParseID.
var ErrMalformedID = errors.New("session: malformed session id")

var b64 = base64.RawURLEncoding.Strict()

// ID is a parsed session id: the subject it belongs to and its secret. The
// zero ID is invalid.
//
// Its text form, base64url(sub) "." base64url(32 random bytes) without
// padding, is what clients hold (Authorization: Session <id>, or the
// lambdis_session cookie). The subject in the clear lets the server find the
// session under the subject's hash tag without another lookup; the subject is
// not a secret, the random part is. Redis stores only a hash of the random
// part (the handle), so a dump of Redis yields no usable id.
type ID struct {
	sub    string
	secret [SecretBytes]byte
}

// newID returns a fresh id for sub (a valid subject).
func newID(sub string) ID {
	id := ID{sub: sub}
	_, _ = rand.Read(id.secret[:]) // never fails (crypto/rand, Go ≥ 1.24)
	return id
}

// ParseID parses the text form of an id. It checks the shape only: whether
// the session exists is for the store to say. It never touches Redis, and
// rejects ids longer than MaxIDLen before looking at them.
func ParseID(s string) (ID, error) {
	if len(s) > MaxIDLen {
		return ID{}, fmt.Errorf("%w: longer than %d bytes", ErrMalformedID, MaxIDLen)
	}
	encSub, encSecret, ok := strings.Cut(s, ".")
	if !ok || encSub == "" || encSecret == "" {
		return ID{}, fmt.Errorf("%w: want <subject>.<secret>", ErrMalformedID)
	}
	if len(encSecret) != b64.EncodedLen(SecretBytes) {
		return ID{}, fmt.Errorf("%w: secret of %d characters, want %d", ErrMalformedID, len(encSecret), b64.EncodedLen(SecretBytes))
	}
	var id ID
	if n, err := b64.Decode(id.secret[:], []byte(encSecret)); err != nil || n != SecretBytes {
		return ID{}, fmt.Errorf("%w: secret is not base64url", ErrMalformedID)
	}
	sub, err := b64.DecodeString(encSub)
	if err != nil {
		return ID{}, fmt.Errorf("%w: subject is not base64url", ErrMalformedID)
	}
	if err := ValidateSubject(string(sub)); err != nil {
		return ID{}, fmt.Errorf("%w: %w", ErrMalformedID, err)
	}
	id.sub = string(sub)
	return id, nil
}

// ValidateSubject reports whether sub can own sessions: the one subject rule
// of Lambdis, authz.ValidateSubject, so that every subject the authorizer
// admits can hold sessions and have them ended by revoke-all.
func ValidateSubject(sub string) error {
	if err := authz.ValidateSubject(sub); err != nil {
		return fmt.Errorf("session: %w", err)
	}
	return nil
}

// Subject returns the subject the id belongs to.
func (id ID) Subject() string { return id.sub }

// Valid reports whether id came from ParseID or Create.
func (id ID) Valid() bool { return id.sub != "" }

// Token returns the text form of id, the value clients present. Never log it.
func (id ID) Token() string {
	if !id.Valid() {
		return ""
	}
	return b64.EncodeToString([]byte(id.sub)) + "." + b64.EncodeToString(id.secret[:])
}

// Handle names the session in Redis keys and logs: the first 128 bits of
// SHA-256 over the secret, in hex. It does not reveal the secret.
func (id ID) Handle() string {
	h := sha256.Sum256(id.secret[:])
	return hex.EncodeToString(h[:authz.SessionHandleLen/2])
}

// String is safe to log: the subject and the handle, never the secret.
func (id ID) String() string {
	if !id.Valid() {
		return "session(invalid)"
	}
	return fmt.Sprintf("session(%s/%s)", authz.UserTag(id.sub), id.Handle())
}

// GoString keeps %#v from printing the secret.
func (id ID) GoString() string { return id.String() }
