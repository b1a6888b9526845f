package idempotency

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/lambdis/lambdis/shared/keys"
	"github.com/redis/go-redis/v9"
)

// Module is the key module of Store records: <prefix>:idem:{<tag>}:<sha256>.
const Module = "idem"

// Defaults and bounds of Options.
const (
	DefaultRetention  = 24 * time.Hour   // completed records, as Stripe keeps them
	DefaultInProgress = 5 * time.Minute  // lease when the context has no deadline
	MaxInProgress     = 15 * time.Minute // default cap: Lambda's longest timeout
	MinInProgress     = time.Second      // default floor of a lease
	MaxKey            = 64 << 10         // bytes of an idempotency key (it is hashed)
	MaxPayloadHash    = 256              // bytes of a payload hash
	settleTimeout     = 2 * time.Second  // Do's Complete or Release, even after ctx ended
)

// Errors. Each is wrapped with context; test with errors.Is.
var (
	// ErrInProgress: another request with the key is running (HTTP 409).
	ErrInProgress = errors.New("idempotency: a request with this key is in progress")
	// ErrPayloadMismatch: the key was used with another payload (HTTP 422).
	ErrPayloadMismatch = errors.New("idempotency key reused with a different payload")
	// ErrNotOwner: the claim expired and the record is gone or belongs to a
	// newer claim, so nothing was stored or released (a late finisher).
	ErrNotOwner = errors.New("idempotency: the claim is no longer held")
	// ErrInvalid is wrapped by validation errors (empty key, bad options).
	ErrInvalid = errors.New("idempotency: invalid argument")
	// ErrClaimUsed: Complete or Release on a claim already completed or released.
	ErrClaimUsed = errors.New("idempotency: the claim was already completed or released")
)

// Options configure a Store. Zero values take the defaults.
type Options struct {
	// Retention keeps completed records (DefaultRetention).
	Retention time.Duration
	// InProgress is the lease of a claim whose context has no deadline
	// (DefaultInProgress).
	InProgress time.Duration
	// MinInProgress and MaxInProgress bound the lease taken from the
	// context's deadline (MinInProgress, MaxInProgress).
	MinInProgress, MaxInProgress time.Duration
}

// Store keeps idempotency records in Redis under one hash tag.
type Store struct {
	rdb  redis.UniversalClient
	kb   keys.Builder
	tag  string
	opts Options
}

// NewStore returns a Store whose records live under tag, e.g. a tenant or
// "orders"; pick a tag that other keys of the same request use if a script
// of yours must touch both (they then share a cluster slot).
func NewStore(rdb redis.UniversalClient, kb keys.Builder, tag string, opts Options) (*Store, error) {
	if err := keys.ValidateTag(tag); err != nil {
		return nil, fmt.Errorf("%w: tag: %w", ErrInvalid, err)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&opts.Retention, DefaultRetention)
	def(&opts.InProgress, DefaultInProgress)
	def(&opts.MinInProgress, MinInProgress)
	def(&opts.MaxInProgress, MaxInProgress)
	switch {
	case opts.Retention < time.Millisecond || opts.InProgress < time.Millisecond ||
		opts.MinInProgress < time.Millisecond || opts.MaxInProgress < time.Millisecond:
		return nil, fmt.Errorf("%w: durations must be at least 1ms: %+v", ErrInvalid, opts)
	case opts.MinInProgress > opts.MaxInProgress:
		return nil, fmt.Errorf("%w: MinInProgress %v exceeds MaxInProgress %v", ErrInvalid, opts.MinInProgress, opts.MaxInProgress)
	}
	return &Store{rdb: rdb, kb: kb, tag: tag, opts: opts}, nil
}

// KeyHash is the hex SHA-256 of an idempotency key: records are named by it,
// so any key (up to MaxKey bytes, any characters) makes a short, safe name.
func KeyHash(key string) string {
	s := sha256.Sum256([]byte(key))
	return hex.EncodeToString(s[:])
}

// HashPayload is the hex SHA-256 of a request payload, for Claim.
func HashPayload(payload []byte) string {
	s := sha256.Sum256(payload)
	return hex.EncodeToString(s[:])
}

// ValidateKey accepts 1 to MaxKey bytes.
func ValidateKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: empty idempotency key", ErrInvalid)
	case len(key) > MaxKey:
		return fmt.Errorf("%w: idempotency key of %d bytes, the limit is %d", ErrInvalid, len(key), MaxKey)
	}
	return nil
}

// RecordKey is the Store record key of an idempotency key under tag:
// <prefix>:idem:{<tag>}:<KeyHash(key)>.
func RecordKey(kb keys.Builder, tag, key string) (string, error) {
	if err := ValidateKey(key); err != nil {
		return "", err
	}
	k, err := kb.Key(Module, tag, KeyHash(key))
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return k, nil
}

// RecordKeyIn is the record key of an idempotency key inside another
// module's keyspace: <prefix>:<module>:{<tag>}:idem:<KeyHash(key)>. The
// queue keeps its enqueue records so, in the queue's hash tag.
func RecordKeyIn(kb keys.Builder, module, tag, key string) (string, error) {
	if err := ValidateKey(key); err != nil {
		return "", err
	}
	k, err := kb.Key(module, tag, "idem", KeyHash(key))
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return k, nil
}

// Key returns the record key of an idempotency key in this store.
func (s *Store) Key(key string) (string, error) { return RecordKey(s.kb, s.tag, key) }

// Response is what a completed record replays.
type Response struct {
	Status int    // e.g. the HTTP status; 0 when not applicable
	Body   []byte // stored and replayed byte for byte
}

// Claim is the outcome of Store.Claim: either the caller owns the key and
// must Complete or Release it, or Replayed is set and Response holds the
// stored response.
type Claim struct {
	s        *Store
	key      string // record key
	owner    string
	Replayed bool
	Response Response
	used     bool
}

// Owner is the claim's owner token (or, for a replay, the token of the
// claim that completed the record).
func (c *Claim) Owner() string { return c.owner }

// Lease is the in-progress lease Claim takes for ctx: the time left before
// ctx's deadline (the Lambda's remaining time) bounded to [MinInProgress,
// MaxInProgress], or InProgress when ctx has no deadline.
func (s *Store) Lease(ctx context.Context) time.Duration {
	d, ok := ctx.Deadline()
	if !ok {
		return s.opts.InProgress
	}
	return min(max(time.Until(d), s.opts.MinInProgress), s.opts.MaxInProgress)
}

// Claim claims key for a request whose payload hashes to payloadHash (see
// HashPayload), in one round trip. It returns a Claim the caller owns; or a
// Claim with Replayed set when the key completed before with the same
// payload; or an error wrapping ErrInProgress (another claim is running and
// its lease has not expired) or ErrPayloadMismatch (another payload). The
// in-progress record expires after Lease(ctx), so a claim whose Lambda died
// is claimable again.
func (s *Store) Claim(ctx context.Context, key, payloadHash string) (*Claim, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("idempotency: claim: %w", err)
	}
	if payloadHash == "" || len(payloadHash) > MaxPayloadHash {
		return nil, fmt.Errorf("%w: payload hash: 1 to %d bytes, not %d", ErrInvalid, MaxPayloadHash, len(payloadHash))
	}
	rk, err := s.Key(key)
	if err != nil {
		return nil, err
	}
	owner := newOwner()
	res, err := claimScript.Run(ctx, s.rdb, []string{rk}, owner, payloadHash, s.Lease(ctx).Milliseconds()).Slice()
	if err != nil {
		return nil, fmt.Errorf("idempotency: claim %s: %w", rk, err)
	}
	if len(res) < 2 {
		return nil, fmt.Errorf("idempotency: claim %s: malformed reply %v", rk, res)
	}
	code, _ := res[0].(int64)
	holder, _ := res[1].(string)
	switch code {
	case codeClaimed:
		return &Claim{s: s, key: rk, owner: owner}, nil
	case codeReplay:
		if len(res) != 4 {
			return nil, fmt.Errorf("idempotency: claim %s: malformed reply %v", rk, res)
		}
		body, _ := res[2].(string)
		status, _ := res[3].(int64)
		return &Claim{s: s, key: rk, owner: holder, Replayed: true, used: true,
			Response: Response{Status: int(status), Body: []byte(body)}}, nil
	case codeInProgress:
		return nil, fmt.Errorf("%w (record %s)", ErrInProgress, rk)
	case codeMismatch:
		return nil, fmt.Errorf("%w (record %s)", ErrPayloadMismatch, rk)
	}
	return nil, fmt.Errorf("idempotency: claim %s: unexpected reply %v", rk, res)
}

// Complete stores resp as the key's response and keeps the record for the
// store's retention, in one round trip. It fails with ErrNotOwner when the
// claim expired and the record is gone or was claimed again: a late finisher
// never overwrites a newer record.
func (c *Claim) Complete(ctx context.Context, resp Response) error {
	if c.used {
		return ErrClaimUsed
	}
	n, err := completeScript.Run(ctx, c.s.rdb, []string{c.key}, c.owner, resp.Body, resp.Status, c.s.opts.Retention.Milliseconds()).Int()
	if err != nil {
		return fmt.Errorf("idempotency: complete %s: %w", c.key, err)
	}
	c.used = true
	if n != 1 {
		return fmt.Errorf("%w: complete %s", ErrNotOwner, c.key)
	}
	return nil
}

// Release drops the claim so that the next request with the key runs (call
// it when the request failed), in one round trip. ErrNotOwner when the claim
// had already expired and been taken over (the newer record is left alone).
func (c *Claim) Release(ctx context.Context) error {
	if c.used {
		return ErrClaimUsed
	}
	n, err := releaseScript.Run(ctx, c.s.rdb, []string{c.key}, c.owner).Int()
	if err != nil {
		return fmt.Errorf("idempotency: release %s: %w", c.key, err)
	}
	c.used = true
	if n != 1 {
		return fmt.Errorf("%w: release %s", ErrNotOwner, c.key)
	}
	return nil
}

// Result is the outcome of Do.
type Result struct {
	Response
	Replayed bool // fn did not run: the stored response of an earlier request
}

// Do runs fn at most once per key and payload: the first request claims the
// key, runs fn and stores its response; a repeat gets that response back
// (Replayed). While the first runs, a repeat fails with ErrInProgress; a
// repeat with another payload fails with ErrPayloadMismatch. When fn returns
// an error (or panics) the claim is released and the error returned, so the
// next request runs fn again; to store a failure for replay, return it as a
// Response with a nil error. If fn succeeded but its response could not be
// stored (ErrNotOwner: fn outlived its lease), Do returns the response and
// the error.
func (s *Store) Do(ctx context.Context, key string, payload []byte, fn func(ctx context.Context) (Response, error)) (Result, error) {
	c, err := s.Claim(ctx, key, HashPayload(payload))
	if err != nil {
		return Result{}, err
	}
	if c.Replayed {
		return Result{Response: c.Response, Replayed: true}, nil
	}
	// The claim is settled even when ctx ended while fn ran.
	settle := func(op func(context.Context) error) error {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
		defer cancel()
		return op(sctx)
	}
	release := func() error { return settle(c.Release) }
	var resp Response
	func() {
		defer func() {
			if p := recover(); p != nil {
				_ = release()
				panic(p)
			}
		}()
		resp, err = fn(ctx)
	}()
	if err != nil {
		if rerr := release(); rerr != nil {
			return Result{}, errors.Join(err, rerr)
		}
		return Result{}, err
	}
	if err := settle(func(ctx context.Context) error { return c.Complete(ctx, resp) }); err != nil {
		return Result{Response: resp}, err
	}
	return Result{Response: resp}, nil
}

func newOwner() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
