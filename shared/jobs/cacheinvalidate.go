package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/lambdis/lambdis/shared/cache"
	"github.com/lambdis/lambdis/shared/queue"
	"github.com/redis/go-redis/v9"
)

// Bounds of a cache.invalidate payload.
const (
	MaxInvalidateKeys = cache.MaxJobKeys
	MaxCacheKey       = 1024 // bytes
)

// CacheInvalidatePayload is the payload of a cache.invalidate job.
type CacheInvalidatePayload = cache.JobPayload

// cacheInvalidate is the cache.invalidate job type.
type cacheInvalidate struct {
	rdb    redis.UniversalClient
	prefix string // <LAMBDIS_KEY_PREFIX>:cache:
}

func (c *cacheInvalidate) parse(raw json.RawMessage) (CacheInvalidatePayload, error) {
	var p CacheInvalidatePayload
	if err := decodePayload(raw, &p); err != nil {
		return p, err
	}
	if len(p.Keys) == 0 || len(p.Keys) > MaxInvalidateKeys {
		return p, fmt.Errorf("keys: 1 to %d keys, not %d", MaxInvalidateKeys, len(p.Keys))
	}
	for i, k := range p.Keys {
		if err := c.checkKey(k); err != nil {
			return p, fmt.Errorf("keys[%d]: %w", i, err)
		}
	}
	return p, nil
}

func (c *cacheInvalidate) checkKey(k string) error {
	switch {
	case len(k) > MaxCacheKey:
		return fmt.Errorf("longer than %d bytes", MaxCacheKey)
	case len(k) <= len(c.prefix) || k[:len(c.prefix)] != c.prefix:
		return fmt.Errorf("a cache key starts with %q and names an entry", c.prefix)
	case !utf8.ValidString(k):
		return errors.New("not valid UTF-8")
	}
	for _, r := range k {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return errors.New("spaces and control characters are not allowed")
		}
	}
	return nil
}

func (c *cacheInvalidate) validate(raw json.RawMessage) error {
	_, err := c.parse(raw)
	return err
}

// run invalidates the keys through the cache's invalidation script
// (cache.InvalidateKeys): values are deleted, leases are killed (so a fill
// whose load began before this second delete is refused), other keys are
// deleted. One script call per key in one pipeline, since the keys may hash
// to different cluster slots. A key already gone is not an error.
func (c *cacheInvalidate) run(ctx context.Context, d queue.Delivery) error {
	p, err := c.parse(d.Payload)
	if err != nil {
		return queue.Permanent(fmt.Errorf("cache.invalidate: %w", err))
	}
	if err := cache.InvalidateKeys(ctx, c.rdb, p.Keys...); err != nil {
		return fmt.Errorf("cache.invalidate: %w", err)
	}
	return nil
}
