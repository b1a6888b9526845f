package lock

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/keys"
	"github.com/redis/go-redis/v9"
)

// countingScripter counts the script calls (EVALSHA) a client sends, i.e.
// the attempts Obtain makes.
type countingScripter struct {
	redis.Scripter
	calls atomic.Int64
}

func (c *countingScripter) EvalSha(ctx context.Context, sha1 string, keys []string, args ...any) *redis.Cmd {
	c.calls.Add(1)
	return c.Scripter.EvalSha(ctx, sha1, keys, args...)
}

func newClient(rdb redis.Scripter) *Client { return New(rdb, keys.Builder{}) }

func obtain(t testing.TB, c *Client, name string, ttl time.Duration, opts *Options) *Lock {
	t.Helper()
	l, err := c.Obtain(context.Background(), name, ttl, opts)
	if err != nil {
		t.Fatalf("obtain %q: %v", name, err)
	}
	return l
}

// heldBy returns the owner token stored in key, or "" when it is gone.
func heldBy(t testing.TB, rdb redis.UniversalClient, key string) string {
	t.Helper()
	v, err := rdb.Get(context.Background(), key).Result()
	if err == redis.Nil {
		return ""
	}
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	return v
}

// waitGone polls until key no longer exists (a real expiry). The limit only
// stops a broken test; nothing is asserted about how long expiry takes.
func waitGone(t testing.TB, rdb redis.UniversalClient, key string) {
	t.Helper()
	limit := time.Now().Add(30 * time.Second)
	for {
		n, err := rdb.Exists(context.Background(), key).Result()
		if err != nil {
			t.Fatalf("exists %s: %v", key, err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(limit) {
			t.Fatalf("%s did not expire", key)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
