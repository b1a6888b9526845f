package keys

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// DefaultPrefix is the prefix used when LAMBDIS_KEY_PREFIX is unset.
const DefaultPrefix = "lambdis"

// MaxTagLen bounds a hash tag in bytes.
const MaxTagLen = 256

// ErrInvalid is wrapped by every validation error of this package.
var ErrInvalid = errors.New("invalid key part")

// Builder builds keys under one prefix. The zero value uses DefaultPrefix.
type Builder struct {
	prefix string
}

// New returns a Builder for prefix; an empty prefix means DefaultPrefix.
func New(prefix string) (Builder, error) {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if err := checkPart("prefix", prefix, 64, false); err != nil {
		return Builder{}, err
	}
	if strings.ContainsAny(prefix, ":") {
		return Builder{}, fmt.Errorf("keys: prefix %q: %w: must not contain ':'", prefix, ErrInvalid)
	}
	return Builder{prefix: prefix}, nil
}

// FromEnv returns a Builder for the LAMBDIS_KEY_PREFIX variable read by getenv.
func FromEnv(getenv func(string) string) (Builder, error) {
	b, err := New(getenv("LAMBDIS_KEY_PREFIX"))
	if err != nil {
		return Builder{}, fmt.Errorf("LAMBDIS_KEY_PREFIX: %w", err)
	}
	return b, nil
}

// Prefix returns the builder's prefix.
func (b Builder) Prefix() string {
	if b.prefix == "" {
		return DefaultPrefix
	}
	return b.prefix
}

// Key returns <prefix>:<module>:{<tag>} followed by ":"+part for each part.
// It fails when tag or a part is invalid (see ValidateTag).
func (b Builder) Key(module, tag string, parts ...string) (string, error) {
	if err := ValidateTag(tag); err != nil {
		return "", err
	}
	n := len(b.Prefix()) + len(module) + len(tag) + 6
	for _, p := range parts {
		if err := checkPart("key part", p, 1024, true); err != nil {
			return "", err
		}
		n += len(p) + 1
	}
	var sb strings.Builder
	sb.Grow(n)
	sb.WriteString(b.Prefix())
	sb.WriteByte(':')
	sb.WriteString(module)
	sb.WriteString(":{")
	sb.WriteString(tag)
	sb.WriteByte('}')
	for _, p := range parts {
		sb.WriteByte(':')
		sb.WriteString(p)
	}
	return sb.String(), nil
}

// ValidateTag reports whether tag can be used as a hash tag: 1 to MaxTagLen
// bytes of valid UTF-8 without braces, spaces or control characters.
func ValidateTag(tag string) error {
	return checkPart("tag", tag, MaxTagLen, true)
}

func checkPart(what, s string, max int, allowColon bool) error {
	switch {
	case s == "":
		return fmt.Errorf("keys: %s: %w: empty", what, ErrInvalid)
	case len(s) > max:
		return fmt.Errorf("keys: %s: %w: %d bytes, the limit is %d", what, ErrInvalid, len(s), max)
	case !utf8.ValidString(s):
		return fmt.Errorf("keys: %s: %w: not valid UTF-8", what, ErrInvalid)
	}
	for _, r := range s {
		switch {
		case r == '{' || r == '}':
			return fmt.Errorf("keys: %s %q: %w: braces are not allowed", what, s, ErrInvalid)
		case r <= ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029':
			return fmt.Errorf("keys: %s %q: %w: spaces and control characters are not allowed", what, s, ErrInvalid)
		case r == ':' && !allowColon:
			return fmt.Errorf("keys: %s %q: %w: ':' is not allowed", what, s, ErrInvalid)
		}
	}
	return nil
}
