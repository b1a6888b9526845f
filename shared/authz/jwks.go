package authz

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// JWKS fetch limits.
const (
	jwksFetchTimeout = 2 * time.Second
	jwksMaxBytes     = 1 << 20
	// jwksColdRetry bounds how often a verifier that has never fetched a key
	// set retries (capped by JWKSMinRefresh): every token fails until it
	// succeeds, so waiting a whole JWKSMinRefresh after one blip would be
	// long, and retrying on every request would hammer a sick endpoint.
	jwksColdRetry = 5 * time.Second
	maxKIDBytes   = 256
	minRSABits    = 2048
	maxRSABits    = 8192
)

// jwk is one usable verification key from a JWKS.
type jwk struct {
	kid string
	alg string // the JWK's "alg" member; empty when absent
	key any    // *rsa.PublicKey or *ecdsa.PublicKey (P-256)
}

// keySet is a parsed JWKS: the usable keys, in document order.
type keySet struct {
	keys    []jwk
	skipped []string // why keys were left out, for diagnostics
}

// find returns the keys a token with this kid may be verified with (kind and
// alg filtering happens in the caller). A token without kid matches only a
// set of exactly one key; known reports whether the kid is in the set at all.
func (s *keySet) find(kid string) (keys []jwk, known bool) {
	if kid == "" {
		if len(s.keys) == 1 {
			return s.keys, true
		}
		return nil, false
	}
	for _, k := range s.keys {
		if k.kid == kid {
			keys = append(keys, k)
		}
	}
	return keys, len(keys) > 0
}

// jwksCache holds the last good key set of one JWKS URL. It fetches lazily,
// inside Verify calls, and never in the background: a Lambda container is
// frozen between invocations, so no goroutine can be trusted to refresh.
// Refreshes (unknown kid, or older than maxAge) are limited to one per
// minRefresh; concurrent callers that need a refresh share one fetch; a
// failed refresh keeps the last good set.
type jwksCache struct {
	url        string
	client     *http.Client
	minRefresh time.Duration
	maxAge     time.Duration
	now        func() time.Time

	mu        sync.Mutex
	set       *keySet    // last good set; nil until the first successful fetch
	fetchedAt time.Time  // when set was fetched
	attempted time.Time  // when the last fetch started (success or not)
	lastErr   error      // error of the last fetch, nil after a success
	inflight  *jwksFetch // the fetch in progress, if any
	joined    int        // callers that waited on another caller's fetch (tests)
}

// jwksFetch is one fetch in progress; done closes when it ends.
type jwksFetch struct {
	done chan struct{}
	err  error
}

func newJWKSCache(cfg VerifierConfig) *jwksCache {
	client := cfg.HTTPClient
	if client == nil {
		client = defaultJWKSClient()
	}
	return &jwksCache{
		url:        cfg.JWKSURL,
		client:     client,
		minRefresh: cfg.JWKSMinRefresh,
		maxAge:     cfg.JWKSMaxAge,
		now:        cfg.Now,
	}
}

// defaultJWKSClient follows at most three redirects, and only to https (or
// from a loopback http URL to loopback http, for tests).
func defaultJWKSClient() *http.Client {
	return &http.Client{
		Timeout: 2 * jwksFetchTimeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return errors.New("too many redirects")
			}
			if req.URL.Scheme == "https" || (req.URL.Scheme == "http" && isLoopbackHost(req.URL.Hostname())) {
				return nil
			}
			return fmt.Errorf("redirect to %s URL refused", req.URL.Scheme)
		},
	}
}

// since returns now-t, treating a clock that went backwards as "long ago" so
// a jump back cannot lock refreshes out.
func since(now, t time.Time) time.Duration {
	d := now.Sub(t)
	if d < 0 {
		return time.Duration(1<<63 - 1)
	}
	return d
}

// needRefreshLocked decides whether a lookup of kid must (re)fetch first.
func (c *jwksCache) needRefreshLocked(now time.Time, kid string) bool {
	if c.set == nil {
		if c.inflight != nil || c.attempted.IsZero() {
			return true
		}
		return since(now, c.attempted) >= min(jwksColdRetry, c.minRefresh)
	}
	_, known := c.set.find(kid)
	if known && since(now, c.fetchedAt) < c.maxAge {
		return false // fresh and has the key: never wait, even if a fetch runs
	}
	if c.inflight != nil {
		return true // join it: it may bring the key or fresher keys
	}
	return since(now, c.attempted) >= c.minRefresh
}

// lookup returns the keys for kid, refreshing the set first when needed. It
// returns the current set (nil when no fetch ever succeeded) and, when a
// refresh was attempted in this call and failed, its error.
func (c *jwksCache) lookup(ctx context.Context, kid string) (*keySet, error) {
	c.mu.Lock()
	if !c.needRefreshLocked(c.now(), kid) {
		set, err := c.set, error(nil)
		if set == nil {
			err = c.lastErr // still backing off after a failed first fetch
		}
		c.mu.Unlock()
		return set, err
	}
	f := c.inflight
	if f == nil {
		// Lead: fetch in this goroutine, bounded by the caller's context
		// and jwksFetchTimeout; others wait on f.done.
		f = &jwksFetch{done: make(chan struct{})}
		c.inflight = f
		prevAttempt := c.attempted
		c.attempted = c.now()
		c.mu.Unlock()

		fctx, cancel := context.WithTimeout(ctx, jwksFetchTimeout)
		set, err := c.fetch(fctx)
		cancel()

		c.mu.Lock()
		if err == nil {
			c.set, c.fetchedAt, c.lastErr = set, c.now(), nil
		} else {
			c.lastErr = err
			if ctx.Err() != nil {
				// The caller gave up, the endpoint did not fail: do not
				// hold this attempt against the next caller.
				c.attempted = prevAttempt
			}
		}
		f.err = err
		c.inflight = nil
		set = c.set
		c.mu.Unlock()
		close(f.done)
		return set, err
	}
	c.joined++
	c.mu.Unlock()

	select {
	case <-f.done:
	case <-ctx.Done():
		c.mu.Lock()
		set := c.set
		c.mu.Unlock()
		return set, ctx.Err()
	}
	c.mu.Lock()
	set := c.set
	c.mu.Unlock()
	return set, f.err
}

// fetch downloads and parses the JWKS.
func (c *jwksCache) fetch(ctx context.Context) (*keySet, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return nil, fmt.Errorf("jwks request: %w", err)
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("jwks fetch: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil, fmt.Errorf("jwks fetch: HTTP %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, jwksMaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("jwks read: %w", err)
	}
	if len(body) > jwksMaxBytes {
		return nil, fmt.Errorf("jwks larger than %d bytes", jwksMaxBytes)
	}
	return parseJWKS(body)
}

// rawJWK holds the JWK members the parser looks at.
type rawJWK struct {
	Kty    string   `json:"kty"`
	Use    string   `json:"use"`
	KeyOps []string `json:"key_ops"`
	Kid    *string  `json:"kid"`
	Alg    string   `json:"alg"`
	N      string   `json:"n"`
	E      string   `json:"e"`
	Crv    string   `json:"crv"`
	X      string   `json:"x"`
	Y      string   `json:"y"`
	D      string   `json:"d"`
}

// parseJWKS parses a JWK Set (RFC 7517). Keys that cannot be used (not for
// signatures, unknown kty or curve, malformed or weak) are skipped, not fatal;
// a set with no usable key is an error, so the last good set stays.
func parseJWKS(data []byte) (*keySet, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("jwks: not a JSON key set: %w", err)
	}
	if doc.Keys == nil {
		return nil, errors.New(`jwks: no "keys" member`)
	}
	set := &keySet{}
	skip := func(i int, why string) {
		set.skipped = append(set.skipped, fmt.Sprintf("key %d: %s", i, why))
	}
	var noKID []int
	for i, raw := range doc.Keys {
		var r rawJWK
		if err := json.Unmarshal(raw, &r); err != nil {
			skip(i, "not a JWK object")
			continue
		}
		if r.Use != "" && r.Use != "sig" {
			skip(i, "use is not sig")
			continue
		}
		if r.KeyOps != nil && !slices.Contains(r.KeyOps, "verify") {
			skip(i, "key_ops lacks verify")
			continue
		}
		if r.D != "" {
			skip(i, "contains private key material")
			continue
		}
		kid := ""
		if r.Kid != nil {
			kid = *r.Kid
			if kid == "" || len(kid) > maxKIDBytes || hasControl(kid) {
				skip(i, "invalid kid")
				continue
			}
		}
		var key any
		var err error
		switch r.Kty {
		case "RSA":
			if r.Alg != "" && r.Alg != AlgRS256 {
				skip(i, "alg "+r.Alg+" not supported for RSA")
				continue
			}
			key, err = parseRSAJWK(r.N, r.E)
		case "EC":
			if r.Alg != "" && r.Alg != AlgES256 {
				skip(i, "alg "+r.Alg+" not supported for EC")
				continue
			}
			key, err = parseECJWK(r.Crv, r.X, r.Y)
		default:
			skip(i, fmt.Sprintf("kty %q not supported", r.Kty))
			continue
		}
		if err != nil {
			skip(i, err.Error())
			continue
		}
		if kid == "" {
			noKID = append(noKID, len(set.keys))
		}
		set.keys = append(set.keys, jwk{kid: kid, alg: r.Alg, key: key})
	}
	if len(noKID) > 0 && len(set.keys) > 1 {
		// A key without kid is only unambiguous as the set's only key.
		for j := len(noKID) - 1; j >= 0; j-- {
			set.keys = slices.Delete(set.keys, noKID[j], noKID[j]+1)
		}
		set.skipped = append(set.skipped, fmt.Sprintf("%d key(s) without kid in a set of several", len(noKID)))
	}
	if len(set.keys) == 0 {
		return nil, fmt.Errorf("jwks: no usable keys (%s)", strings.Join(set.skipped, "; "))
	}
	return set, nil
}

// decodeB64URL decodes unpadded base64url (tolerating padding some
// providers add).
func decodeB64URL(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// parseRSAJWK builds an RSA public key from the JWK n and e members,
// requiring a modulus of 2048..8192 bits and an odd exponent 3..2^31-1.
func parseRSAJWK(n64, e64 string) (*rsa.PublicKey, error) {
	nb, err := decodeB64URL(n64)
	if err != nil || len(nb) == 0 {
		return nil, errors.New("RSA n is not base64url")
	}
	eb, err := decodeB64URL(e64)
	if err != nil || len(eb) == 0 {
		return nil, errors.New("RSA e is not base64url")
	}
	n := new(big.Int).SetBytes(nb)
	if bits := n.BitLen(); bits < minRSABits || bits > maxRSABits {
		return nil, fmt.Errorf("RSA modulus of %d bits (need %d..%d)", bits, minRSABits, maxRSABits)
	}
	if n.Bit(0) == 0 {
		return nil, errors.New("RSA modulus is even")
	}
	e := new(big.Int).SetBytes(eb)
	if e.BitLen() > 31 || e.Int64() < 3 || e.Bit(0) == 0 {
		return nil, errors.New("RSA exponent out of range or even")
	}
	return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
}

// parseECJWK builds a P-256 public key from the JWK crv, x and y members;
// the point must be on the curve.
func parseECJWK(crv, x64, y64 string) (*ecdsa.PublicKey, error) {
	if crv != "P-256" {
		return nil, fmt.Errorf("EC curve %q not supported", crv)
	}
	x, err := decodeB64URL(x64)
	if err != nil || len(x) != 32 {
		return nil, errors.New("EC x is not 32 bytes of base64url")
	}
	y, err := decodeB64URL(y64)
	if err != nil || len(y) != 32 {
		return nil, errors.New("EC y is not 32 bytes of base64url")
	}
	point := make([]byte, 0, 65)
	point = append(point, 4)
	point = append(point, x...)
	point = append(point, y...)
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point)
	if err != nil {
		return nil, fmt.Errorf("EC point: %w", err)
	}
	return pub, nil
}
