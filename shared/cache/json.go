package cache

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Loader is what GetOrLoadJSON reads through: a *Cache or a *Namespace.
type Loader interface {
	GetOrLoad(ctx context.Context, key string, ttl time.Duration, load LoadFunc) ([]byte, error)
}

// GetOrLoadJSON is GetOrLoad for a value stored as JSON: load returns a T,
// which is encoded on a fill and decoded on a hit.
func GetOrLoadJSON[T any](ctx context.Context, c Loader, key string, ttl time.Duration, load func(ctx context.Context) (T, error)) (T, error) {
	var out T
	raw, err := c.GetOrLoad(ctx, key, ttl, func(ctx context.Context) ([]byte, error) {
		v, err := load(ctx)
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("cache: encode %q: %w", key, err)
		}
		return b, nil
	})
	if err != nil {
		return out, err
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return out, fmt.Errorf("cache: decode %q: %w", key, err)
	}
	return out, nil
}
