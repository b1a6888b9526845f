package lock

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/lambdis/lambdis/shared/keys"
	"github.com/redis/go-redis/v9"
)

// Module is the key module of locks: <prefix>:lock:{<name>} and
// <prefix>:lock:{<name>}:fence.
const Module = "lock"

const (
	// MinTTL is the shortest TTL a lock may be given (PX has millisecond
	// resolution).
	MinTTL = time.Millisecond

	// DeadlineMargin is how long a lock may outlive the deadline of the
	// context that obtained or refreshed it (see Options.IgnoreDeadline).
	// A Lambda is stopped at its deadline, so its lock frees itself at most
	// this long after; the margin covers the skew between the deadline the
	// runtime reports and the moment the function is actually stopped, so
	// the next holder cannot start while the previous one may still run.
	DeadlineMargin = 250 * time.Millisecond

	// FenceTTL is how long a lock's fence key survives its last Obtain. The
	// fencing token stays monotonic after the key expires unless Redis's
	// clock steps back by more than this (see the package documentation).
	FenceTTL = 7 * 24 * time.Hour

	// ReleaseTimeout bounds ReleaseDetached.
	ReleaseTimeout = time.Second
)

var (
	// ErrNotObtained is returned by Obtain when the lock stayed taken for
	// every attempt the retry strategy and the context allowed.
	ErrNotObtained = errors.New("lock: not obtained")

	// ErrNotHeld is returned by Release, Refresh and TTL when the lock is no
	// longer held by this owner (it expired, or expired and was taken by
	// another owner). The lock is left as it is.
	ErrNotHeld = errors.New("lock: not held")

	// ErrInvalid is wrapped by argument validation errors (an invalid name
	// also wraps keys.ErrInvalid).
	ErrInvalid = errors.New("lock: invalid argument")
)

// Options tune Obtain. The zero value (or nil) means: no retry, TTL capped by
// the context's deadline.
type Options struct {
	// Retry decides whether and when Obtain tries again while the lock is
	// taken; nil means NoRetry. Waiting always ends with the context; a
	// context without a deadline waits at most the requested TTL (by then a
	// holder that does not refresh has let go).
	Retry RetryStrategy

	// IgnoreDeadline keeps the requested TTL even when it outlives the
	// context's deadline. By default the TTL of Obtain and of every Refresh
	// of the lock is capped at the time left until the deadline plus
	// DeadlineMargin, so a lock held by a Lambda that is stopped at its
	// timeout frees itself soon after instead of blocking others for the
	// full TTL.
	IgnoreDeadline bool
}

// Client obtains locks stored under one key prefix. It is safe for
// concurrent use.
type Client struct {
	rdb  redis.Scripter
	keys keys.Builder
}

// New returns a Client that keeps its locks in rdb under kb's prefix.
func New(rdb redis.Scripter, kb keys.Builder) *Client {
	return &Client{rdb: rdb, keys: kb}
}

// Lock is a held lock. Its methods are safe for concurrent use.
type Lock struct {
	c              *Client
	name           string
	key            string
	token          string
	fence          int64
	ignoreDeadline bool
}

// Name returns the lock's name (its hash tag).
func (l *Lock) Name() string { return l.name }

// Key returns the lock's Redis key.
func (l *Lock) Key() string { return l.key }

// Token returns the random owner token stored in the lock's key.
func (l *Lock) Token() string { return l.token }

// Fence returns the lock's fencing token: larger than the token of every
// earlier holder of the same name. Pass it to the storage the lock protects,
// which must reject writes carrying a token smaller than one it has seen
// (see the package documentation).
func (l *Lock) Fence() int64 { return l.fence }

// Keys returns the lock key and fence key of name.
func (c *Client) Keys(name string) (lockKey, fenceKey string, err error) {
	lockKey, err = c.keys.Key(Module, name)
	if err != nil {
		return "", "", fmt.Errorf("%w: name %q: %w", ErrInvalid, name, err)
	}
	fenceKey, err = c.keys.Key(Module, name, "fence")
	if err != nil {
		return "", "", fmt.Errorf("%w: name %q: %w", ErrInvalid, name, err)
	}
	return lockKey, fenceKey, nil
}

// Obtain takes the lock name for ttl with a fresh random owner token and
// mints its fencing token, in one script call per attempt. When the lock is
// taken it retries as opts.Retry says and returns an error wrapping
// ErrNotObtained (and the context's error, if that ended the wait) when it
// gives up. A Redis error, or the context ending before the lock was ever
// found taken, ends Obtain at once with that error; the lock may then have
// been taken, and frees itself after its TTL.
//
// Unless opts.IgnoreDeadline is set, the TTL is capped at the time left
// until ctx's deadline plus DeadlineMargin.
func (c *Client) Obtain(ctx context.Context, name string, ttl time.Duration, opts *Options) (*Lock, error) {
	if opts == nil {
		opts = &Options{}
	}
	if err := checkTTL(ttl); err != nil {
		return nil, err
	}
	key, fenceKey, err := c.Keys(name)
	if err != nil {
		return nil, err
	}
	retry := opts.Retry
	if retry == nil {
		retry = NoRetry()
	}
	deadline, hasDeadline := ctx.Deadline()
	if !hasDeadline {
		deadline = time.Now().Add(ttl)
	}
	token := rand.Text()
	keysArg := []string{key, fenceKey}
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	// fail reports err; when the context ended after the lock was found
	// taken, that is a wait that ran out: ErrNotObtained.
	fail := func(attempts int, err error) error {
		if attempts > 0 && ctx.Err() != nil {
			return fmt.Errorf("%w: %q still held after %d attempts: %w", ErrNotObtained, name, attempts, ctx.Err())
		}
		return fmt.Errorf("lock: obtain %q: %w", name, err)
	}
	for attempt := 0; ; attempt++ {
		eff, err := effectiveTTL(ctx, ttl, opts.IgnoreDeadline)
		if err != nil {
			return nil, fail(attempt, err)
		}
		fence, err := obtainScript.Run(ctx, c.rdb, keysArg, token, eff.Milliseconds(), FenceTTL.Milliseconds()).Int64()
		if err != nil {
			return nil, fail(attempt, err)
		}
		if fence > 0 {
			return &Lock{c: c, name: name, key: key, token: token, fence: fence, ignoreDeadline: opts.IgnoreDeadline}, nil
		}
		wait, ok := retry.Wait(attempt + 1)
		if !ok {
			return nil, fmt.Errorf("%w: %q is held by another owner", ErrNotObtained, name)
		}
		if time.Until(deadline) < wait {
			return nil, fmt.Errorf("%w: %q still held after %d attempts; the next would pass the deadline", ErrNotObtained, name, attempt+1)
		}
		if timer == nil {
			timer = time.NewTimer(wait)
		} else {
			timer.Reset(wait)
		}
		select {
		case <-ctx.Done():
			return nil, fail(attempt+1, ctx.Err())
		case <-timer.C:
		}
	}
}

// Release deletes the lock if this owner still holds it, and returns an
// error wrapping ErrNotHeld (changing nothing) otherwise.
func (l *Lock) Release(ctx context.Context) error {
	n, err := releaseScript.Run(ctx, l.c.rdb, []string{l.key}, l.token).Int64()
	if err != nil {
		return fmt.Errorf("lock: release %q: %w", l.name, err)
	}
	if n == 0 {
		return fmt.Errorf("%w: release %q", ErrNotHeld, l.name)
	}
	return nil
}

// ReleaseDetached is Release on a context that ctx's cancellation does not
// reach, bounded by ReleaseTimeout: made for defer, where the request's
// context may already be cancelled.
func (l *Lock) ReleaseDetached(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ReleaseTimeout)
	defer cancel()
	return l.Release(ctx)
}

// Refresh sets the lock's TTL to ttl (capped by ctx's deadline unless the
// lock was obtained with IgnoreDeadline) if this owner still holds it, and
// returns an error wrapping ErrNotHeld (changing nothing) otherwise. A lost
// lock cannot be refreshed back: obtain it again for a new fencing token.
func (l *Lock) Refresh(ctx context.Context, ttl time.Duration) error {
	if err := checkTTL(ttl); err != nil {
		return err
	}
	eff, err := effectiveTTL(ctx, ttl, l.ignoreDeadline)
	if err != nil {
		return fmt.Errorf("lock: refresh %q: %w", l.name, err)
	}
	n, err := refreshScript.Run(ctx, l.c.rdb, []string{l.key}, l.token, eff.Milliseconds()).Int64()
	if err != nil {
		return fmt.Errorf("lock: refresh %q: %w", l.name, err)
	}
	if n == 0 {
		return fmt.Errorf("%w: refresh %q", ErrNotHeld, l.name)
	}
	return nil
}

// TTL returns the lock's remaining TTL as Redis counts it, or an error
// wrapping ErrNotHeld when this owner no longer holds it.
func (l *Lock) TTL(ctx context.Context) (time.Duration, error) {
	ms, err := pttlScript.Run(ctx, l.c.rdb, []string{l.key}, l.token).Int64()
	if err != nil {
		return 0, fmt.Errorf("lock: ttl %q: %w", l.name, err)
	}
	if ms < 0 {
		return 0, fmt.Errorf("%w: ttl %q", ErrNotHeld, l.name)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

func checkTTL(ttl time.Duration) error {
	if ttl < MinTTL {
		return fmt.Errorf("%w: ttl %v is below %v", ErrInvalid, ttl, MinTTL)
	}
	return nil
}

// effectiveTTL caps ttl at the time left until ctx's deadline plus
// DeadlineMargin, unless ignore is set, and fails when ctx has ended.
func effectiveTTL(ctx context.Context, ttl time.Duration, ignore bool) (time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if d, ok := ctx.Deadline(); ok && !ignore {
		left := time.Until(d) + DeadlineMargin
		if left < MinTTL {
			return 0, context.DeadlineExceeded
		}
		ttl = min(ttl, left)
	}
	// PX counts whole milliseconds: round down, never to zero.
	return max(ttl.Truncate(time.Millisecond), MinTTL), nil
}
