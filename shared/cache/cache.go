package cache

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/queue"
	"github.com/redis/go-redis/v9"
)

// Module is the key module of cache entries: <prefix>:cache:{<key>}.
const Module = "cache"

// JobType is the queue job type of the delayed second delete; shared/jobs
// registers its handler, which runs InvalidateKeys.
const JobType = "cache.invalidate"

// MaxJobKeys is the most keys one cache.invalidate job carries; Invalidate
// splits longer lists over several jobs.
const MaxJobKeys = 100

// Defaults of Options.
const (
	DefaultJitter       = 0.1
	DefaultLeaseTTL     = 3 * time.Second
	DefaultPoll         = 10 * time.Millisecond
	DefaultSecondDelete = 5 * time.Second
	DefaultQueue        = "cache"
	// maxPoll caps the doubling poll interval of waiters.
	maxPoll = 100 * time.Millisecond
)

// Errors of the package.
var (
	// ErrNotFound is returned by a loader when the source has no row for the
	// key; with Options.NegativeTTL set it is cached, and GetOrLoad returns
	// it (wrapped) for hits of that negative entry.
	ErrNotFound = errors.New("cache: not found")
	// ErrMiss is returned by Get when no current value is cached.
	ErrMiss = errors.New("cache: miss")
	// ErrInvalid is wrapped by every error about a bad argument.
	ErrInvalid = errors.New("cache: invalid argument")
)

// LoadFunc reads the source of truth (a database) for one key. It returns
// ErrNotFound (possibly wrapped) when the source has no such row.
type LoadFunc func(ctx context.Context) ([]byte, error)

// Enqueuer durably schedules jobs; *queue.Client satisfies it.
type Enqueuer interface {
	Enqueue(ctx context.Context, j queue.Job) (queue.Enqueued, error)
}

// Options tune a Cache; zero fields take the defaults shown.
type Options struct {
	// Jitter removes up to this fraction of every TTL at random (0.1), so
	// entries filled together do not expire together. Negative: none.
	Jitter float64
	// LeaseTTL is how long a loader holds a key's lease (3s): others wait
	// for its fill meanwhile, and take the lease over once it lapses (the
	// loader's Lambda died or froze). It bounds the load: a fill after the
	// lease's entry expired is refused. Make it longer than the slowest load.
	LeaseTTL time.Duration
	// Wait bounds how long a caller polls for another caller's fill
	// (LeaseTTL); the context's deadline bounds it too. When it runs out,
	// the caller loads itself and returns the value without storing it.
	Wait time.Duration
	// Poll is the first interval between polls (10ms); it doubles up to 100ms.
	Poll time.Duration
	// NegativeTTL caches a loader's ErrNotFound this long; 0 (the default)
	// caches nothing for it. Keep it short: an insert must Invalidate it.
	NegativeTTL time.Duration
	// StaleGrace keeps an invalidated value this long as stale; 0 (the
	// default) deletes it.
	StaleGrace time.Duration
	// ServeStale lets GetOrLoad return a stale value (kept by StaleGrace)
	// while another caller loads, instead of waiting. The caller holding
	// the lease always loads.
	ServeStale bool
	// Enqueuer receives Invalidate's delayed second delete as a durable
	// cache.invalidate job; nil sends none (one delete only).
	Enqueuer Enqueuer
	// Queue is the queue of those jobs ("cache"); the worker must drain it.
	Queue string
	// SecondDelete is the delay of the second delete (5s).
	SecondDelete time.Duration
	// OnError is told about failures that did not fail the call: a fill or
	// a lease release that Redis refused (the loaded value is still
	// returned). nil ignores them.
	OnError func(error)
}

func (o Options) withDefaults() Options {
	if o.Jitter == 0 {
		o.Jitter = DefaultJitter
	}
	if o.Jitter < 0 {
		o.Jitter = 0
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = DefaultLeaseTTL
	}
	if o.Wait <= 0 {
		o.Wait = o.LeaseTTL
	}
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
	if o.Queue == "" {
		o.Queue = DefaultQueue
	}
	if o.SecondDelete <= 0 {
		o.SecondDelete = DefaultSecondDelete
	}
	return o
}

func (o Options) validate() error {
	switch {
	case o.Jitter >= 1:
		return fmt.Errorf("%w: jitter %v: must be below 1", ErrInvalid, o.Jitter)
	case o.LeaseTTL < time.Millisecond:
		return fmt.Errorf("%w: lease ttl %v: at least 1ms", ErrInvalid, o.LeaseTTL)
	case o.NegativeTTL < 0 || (o.NegativeTTL > 0 && o.NegativeTTL < time.Millisecond):
		return fmt.Errorf("%w: negative ttl %v: 0 or at least 1ms", ErrInvalid, o.NegativeTTL)
	case o.StaleGrace < 0 || (o.StaleGrace > 0 && o.StaleGrace < time.Millisecond):
		return fmt.Errorf("%w: stale grace %v: 0 or at least 1ms", ErrInvalid, o.StaleGrace)
	case o.SecondDelete > queue.MaxDelay:
		return fmt.Errorf("%w: second delete %v: at most %v", ErrInvalid, o.SecondDelete, queue.MaxDelay)
	}
	if err := queue.ValidateQueueName(o.Queue); err != nil {
		return fmt.Errorf("%w: queue: %w", ErrInvalid, err)
	}
	return nil
}

// Cache is cache-aside over Redis with leases, safe fills and durable
// invalidation. It is safe for concurrent use; build one per policy (a
// Cache is small and shares the client).
type Cache struct {
	rdb  redis.UniversalClient
	keys keys.Builder
	opt  Options
}

// New returns a Cache storing entries under kb's prefix. It fails on
// options out of range.
func New(rdb redis.UniversalClient, kb keys.Builder, opt Options) (*Cache, error) {
	if rdb == nil {
		return nil, fmt.Errorf("%w: no Redis client", ErrInvalid)
	}
	opt = opt.withDefaults()
	if err := opt.validate(); err != nil {
		return nil, err
	}
	return &Cache{rdb: rdb, keys: kb, opt: opt}, nil
}

// Options returns the effective options.
func (c *Cache) Options() Options { return c.opt }

// Key returns the Redis key of key's entry, <prefix>:cache:{<key>}: what a
// cache.invalidate job names. key is 1 to 256 bytes without braces, spaces
// or control characters (keys.ValidateTag).
func (c *Cache) Key(key string) (string, error) {
	k, err := c.keys.Key(Module, key)
	if err != nil {
		return "", fmt.Errorf("%w: key %q: %w", ErrInvalid, key, err)
	}
	return k, nil
}

// GetOrLoad returns key's cached value, or loads it: on a miss exactly one
// caller (across every process) gets the lease and runs load; the others
// poll until its fill lands (or take the stale value, see
// Options.ServeStale). The loaded value is stored for ttl (less jitter) only
// if no Invalidate of key happened since the lease was granted; the caller
// gets it either way. A load error is returned as is (the lease is given
// up); ErrNotFound is cached when Options.NegativeTTL is set.
//
// A hit is one round trip; a miss is one (get or lease), the load, and one
// (the fill).
func (c *Cache) GetOrLoad(ctx context.Context, key string, ttl time.Duration, load LoadFunc) ([]byte, error) {
	k, err := c.Key(key)
	if err != nil {
		return nil, err
	}
	return c.getOrLoad(ctx, key, []string{k}, ttl, load)
}

// Get returns key's current value without loading: ErrMiss when none is
// cached (or only a stale one), ErrNotFound for a cached "not found".
func (c *Cache) Get(ctx context.Context, key string) ([]byte, error) {
	k, err := c.Key(key)
	if err != nil {
		return nil, err
	}
	return c.get(ctx, key, []string{k})
}

// Invalidate ends the cached values of keys and kills their leases, so a
// fill whose load began before this call is refused; then, with an
// Enqueuer, it enqueues the delayed second delete as a durable
// cache.invalidate job (Options.SecondDelete later).
//
// Call it after the database transaction commits. A caller that
// invalidates before the commit (or whose commit becomes visible late)
// leaves a window in which a reader loads the old row under a fresh lease;
// the second delete closes it. The job outlives the Lambda: no timer or
// goroutine is trusted across a freeze.
func (c *Cache) Invalidate(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return fmt.Errorf("%w: invalidate: no keys", ErrInvalid)
	}
	ks := make([]string, len(keys))
	for i, key := range keys {
		k, err := c.Key(key)
		if err != nil {
			return err
		}
		ks[i] = k
	}
	return c.invalidate(ctx, ks)
}

func (c *Cache) invalidate(ctx context.Context, redisKeys []string) error {
	err := runInvalidate(ctx, c.rdb, redisKeys, c.opt.StaleGrace)
	if err != nil {
		err = fmt.Errorf("cache: invalidate: %w", err)
	}
	// The second delete is enqueued even when the first failed: it is the
	// durable half.
	if qerr := c.enqueueSecondDelete(ctx, redisKeys); qerr != nil {
		err = errors.Join(err, qerr)
	}
	return err
}

// JobPayload is the payload of a cache.invalidate job: full Redis keys.
type JobPayload struct {
	Keys []string `json:"keys"`
}

func (c *Cache) enqueueSecondDelete(ctx context.Context, redisKeys []string) error {
	if c.opt.Enqueuer == nil {
		return nil
	}
	for start := 0; start < len(redisKeys); start += MaxJobKeys {
		chunk := redisKeys[start:min(start+MaxJobKeys, len(redisKeys))]
		payload, err := json.Marshal(JobPayload{Keys: chunk})
		if err != nil {
			return fmt.Errorf("cache: second delete payload: %w", err)
		}
		j := queue.Job{Queue: c.opt.Queue, Type: JobType, Payload: payload, Delay: c.opt.SecondDelete}
		if _, err := c.opt.Enqueuer.Enqueue(ctx, j); err != nil {
			return fmt.Errorf("cache: enqueue the second delete of %d keys: %w", len(chunk), err)
		}
	}
	return nil
}

// InvalidateKeys runs the invalidation on full Redis keys (as Key returns
// them, or a namespace's generation key): values are deleted (a value
// already marked stale stays stale until its grace ends), leases are
// killed, other key types are deleted. It enqueues nothing: it is what a
// cache.invalidate job runs. Keys may span cluster slots (one script call
// per key, pipelined); absent keys are not an error.
func InvalidateKeys(ctx context.Context, rdb redis.UniversalClient, redisKeys ...string) error {
	if len(redisKeys) == 0 {
		return nil
	}
	if err := runInvalidate(ctx, rdb, redisKeys, 0); err != nil {
		return fmt.Errorf("cache: invalidate: %w", err)
	}
	return nil
}

func runInvalidate(ctx context.Context, rdb redis.UniversalClient, redisKeys []string, grace time.Duration) error {
	graceMS := grace.Milliseconds()
	if len(redisKeys) == 1 {
		return invalidateScript.Run(ctx, rdb, redisKeys, graceMS).Err()
	}
	cmds := make([]*redis.Cmd, len(redisKeys))
	_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range redisKeys {
			cmds[i] = invalidateScript.EvalSha(ctx, p, []string{k}, graceMS)
		}
		return nil
	})
	if isNoScript(err) {
		// First use on this node: load the script and go again.
		if err := invalidateScript.Load(ctx, rdb).Err(); err != nil {
			return fmt.Errorf("load script: %w", err)
		}
		return runInvalidate(ctx, rdb, redisKeys, grace)
	}
	if err != nil {
		return err
	}
	for i, cmd := range cmds {
		if err := cmd.Err(); err != nil {
			return fmt.Errorf("%s: %w", redisKeys[i], err)
		}
	}
	return nil
}

func isNoScript(err error) bool {
	return err != nil && strings.Contains(err.Error(), "NOSCRIPT")
}

// Reply codes of get.lua.
const (
	replyHit   = 0
	replyLease = 1
	replyBusy  = 2
	replyMiss  = 3
)

type getReply struct {
	code  int64
	kind  string
	value []byte
	stale bool // value is a stale value (replyBusy)
}

func (c *Cache) run(ctx context.Context, ks []string, mode, token string) (getReply, error) {
	serveStale := "0"
	if c.opt.ServeStale {
		serveStale = "1"
	}
	res, err := getScript.Run(ctx, c.rdb, ks, mode, token, c.opt.LeaseTTL.Milliseconds(), serveStale).Slice()
	if err != nil {
		return getReply{}, err
	}
	if len(res) == 0 {
		return getReply{}, errors.New("empty reply")
	}
	code, ok := res[0].(int64)
	if !ok {
		return getReply{}, fmt.Errorf("reply code is %T", res[0])
	}
	r := getReply{code: code}
	switch {
	case code == replyHit && len(res) == 3:
		kind, _ := res[1].(string)
		val, _ := res[2].(string)
		r.kind, r.value = kind, []byte(val)
	case code == replyBusy && len(res) == 2:
		val, _ := res[1].(string)
		r.value, r.stale = []byte(val), true
	}
	return r, nil
}

func (c *Cache) get(ctx context.Context, key string, ks []string) ([]byte, error) {
	r, err := c.run(ctx, ks, "p", "")
	if err != nil {
		return nil, fmt.Errorf("cache: get %q: %w", key, err)
	}
	return hit(key, r)
}

func hit(key string, r getReply) ([]byte, error) {
	if r.code != replyHit {
		return nil, fmt.Errorf("%w: %q", ErrMiss, key)
	}
	if r.kind == kindNotFound {
		return nil, fmt.Errorf("%w: %q (cached)", ErrNotFound, key)
	}
	return r.value, nil
}

// Entry kinds (the k field).
const (
	kindValue    = "v"
	kindNotFound = "n"
)

func (c *Cache) getOrLoad(ctx context.Context, key string, ks []string, ttl time.Duration, load LoadFunc) ([]byte, error) {
	if ttl < time.Millisecond {
		return nil, fmt.Errorf("%w: %q: ttl %v: at least 1ms", ErrInvalid, key, ttl)
	}
	if load == nil {
		return nil, fmt.Errorf("%w: %q: no load function", ErrInvalid, key)
	}
	token := newToken()
	poll := c.opt.Poll
	waitUntil := time.Now().Add(c.opt.Wait)
	for {
		r, err := c.run(ctx, ks, "l", token)
		if err != nil {
			return nil, fmt.Errorf("cache: get %q: %w", key, err)
		}
		switch r.code {
		case replyHit:
			return hit(key, r)
		case replyLease:
			return c.loadAndFill(ctx, key, ks, token, ttl, load)
		case replyBusy:
			if r.stale {
				return r.value, nil
			}
		default:
			return nil, fmt.Errorf("cache: get %q: unexpected reply %d", key, r.code)
		}
		// Another caller loads: wait for its fill.
		sleep := poll/2 + rand.N(poll/2+1) // jittered, so waiters spread out
		if time.Now().Add(sleep).After(waitUntil) {
			// Waited long enough: read the source without storing (this
			// caller holds no lease, so its value cannot be proven fresh).
			v, err := load(ctx)
			if err != nil {
				return nil, loadError(key, err)
			}
			return v, nil
		}
		t := time.NewTimer(sleep)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("cache: waiting for the fill of %q: %w", key, context.Cause(ctx))
		case <-t.C:
		}
		poll = min(poll*2, maxPoll)
	}
}

func loadError(key string, err error) error {
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("cache: load %q: %w", key, err)
	}
	return err
}

func (c *Cache) loadAndFill(ctx context.Context, key string, ks []string, token string, ttl time.Duration, load LoadFunc) ([]byte, error) {
	v, err := load(ctx)
	if err != nil {
		if errors.Is(err, ErrNotFound) && c.opt.NegativeTTL > 0 {
			c.fill(ctx, key, ks, token, kindNotFound, nil, c.jitter(c.opt.NegativeTTL))
		} else {
			// Give the lease up so that a waiter can load now.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			if rerr := releaseScript.Run(rctx, c.rdb, ks[:1], token).Err(); rerr != nil {
				c.report(fmt.Errorf("cache: release the lease of %q: %w", key, rerr))
			}
			cancel()
		}
		return nil, loadError(key, err)
	}
	if v == nil {
		v = []byte{}
	}
	c.fill(ctx, key, ks, token, kindValue, v, c.jitter(ttl))
	return v, nil
}

// fill stores a loaded value if the lease still holds; a refusal is the
// normal outcome of a concurrent Invalidate, not an error.
// It runs on a detached, bounded context: a load that succeeded just as the
// caller's context ended is still worth storing, and a lost fill would leave
// waiters polling until the lease lapses.
func (c *Cache) fill(ctx context.Context, key string, ks []string, token, kind string, v []byte, ttl time.Duration) {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	if err := fillScript.Run(fctx, c.rdb, ks, token, kind, v, ttl.Milliseconds()).Err(); err != nil {
		c.report(fmt.Errorf("cache: fill %q: %w", key, err))
	}
}

func (c *Cache) report(err error) {
	if c.opt.OnError != nil {
		c.opt.OnError(err)
	}
}

// jitter returns ttl less up to Jitter of it, at least 1ms.
func (c *Cache) jitter(ttl time.Duration) time.Duration {
	if c.opt.Jitter > 0 {
		ttl -= time.Duration(rand.Float64() * c.opt.Jitter * float64(ttl))
	}
	return max(ttl, time.Millisecond)
}

// newToken returns a lease token: 128 random bits (math/rand/v2's global
// source is ChaCha8, seeded from the system), so that a token never repeats
// and a killed lease can never come back.
func newToken() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:], rand.Uint64())
	return hex.EncodeToString(b[:])
}
