package authz

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"

	"github.com/lambdis/lambdis/shared/keys"
)

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
