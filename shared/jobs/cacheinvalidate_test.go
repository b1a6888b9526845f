package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/cache"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/queue"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

func invalidatePayload(keys ...string) string {
	b, _ := json.Marshal(CacheInvalidatePayload{Keys: keys})
	return string(b)
}

// The keys span cluster slots; each is deleted, absent ones are fine, and
// nothing outside the list is touched.
func TestCacheInvalidate(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		reg := registryFor(t, rdb, Config{})
		var doomed []string
		for i := range 20 {
			doomed = append(doomed, fmt.Sprintf("lambdis:cache:{user:%d}", i))
		}
		doomed = append(doomed, "lambdis:cache:plain")
		kept := []string{"lambdis:cache:{user:999}", "lambdis:rl:{u:alice}:per_minute", "other"}
		for _, k := range append(append([]string{}, doomed...), kept...) {
			if err := rdb.Set(ctx, k, "v", 0).Err(); err != nil {
				t.Fatal(err)
			}
		}
		d := delivery(TypeCacheInvalidate, invalidatePayload(append(doomed, "lambdis:cache:{never-set}")...))
		if err := reg.Validate(d.Type, d.Payload); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ { // idempotent: the second run finds nothing and succeeds
			if err := run(t, reg, ctx, d); err != nil {
				t.Fatalf("run %d: %v", i, err)
			}
		}
		for _, k := range doomed {
			if n := rdb.Exists(ctx, k).Val(); n != 0 {
				t.Errorf("%s survived", k)
			}
		}
		for _, k := range kept {
			if n := rdb.Exists(ctx, k).Val(); n != 1 {
				t.Errorf("%s was deleted", k)
			}
		}
	})
}

func TestCacheInvalidateValidation(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	reg := registryFor(t, rdb, Config{})
	var tooMany []string
	for i := range MaxInvalidateKeys + 1 {
		tooMany = append(tooMany, fmt.Sprintf("lambdis:cache:%d", i))
	}
	bad := map[string]string{
		"null":             `null`,
		"no keys member":   `{}`,
		"empty list":       invalidatePayload(),
		"too many":         invalidatePayload(tooMany...),
		"another module":   invalidatePayload("lambdis:rl:{u:alice}:per_minute"),
		"the prefix alone": invalidatePayload("lambdis:cache:"),
		"look-alike":       invalidatePayload("lambdis:cachex:{a}"),
		"no prefix":        invalidatePayload("cache:{a}"),
		"queue data":       invalidatePayload("lambdis:q:{email}:stream"),
		"one bad of many":  invalidatePayload("lambdis:cache:a", "lambdis:auth:{u:bob}:revoked"),
		"space":            invalidatePayload("lambdis:cache:a b"),
		"newline":          invalidatePayload("lambdis:cache:a\nb"),
		"too long":         invalidatePayload("lambdis:cache:" + strings.Repeat("a", MaxCacheKey)),
		"unknown member":   `{"keys":["lambdis:cache:a"],"pattern":"*"}`,
		"wrong type":       `{"keys":"lambdis:cache:a"}`,
	}
	for name, p := range bad {
		if err := reg.Validate(TypeCacheInvalidate, json.RawMessage(p)); !errors.Is(err, queue.ErrInvalidJob) {
			t.Errorf("%s accepted: %v", name, err)
		}
		if err := run(t, reg, context.Background(), delivery(TypeCacheInvalidate, p)); !queue.IsPermanent(err) {
			t.Errorf("%s: the handler answered %v, want a permanent error", name, err)
		}
	}
	var max []string
	for i := range MaxInvalidateKeys {
		max = append(max, fmt.Sprintf("lambdis:cache:{u:%d}:profile", i))
	}
	if err := reg.Validate(TypeCacheInvalidate, json.RawMessage(invalidatePayload(max...))); err != nil {
		t.Errorf("%d keys: %v", MaxInvalidateKeys, err)
	}

	// The prefix follows LAMBDIS_KEY_PREFIX.
	kb, err := keys.New("app")
	if err != nil {
		t.Fatal(err)
	}
	app := registryFor(t, rdb, Config{Keys: kb})
	if err := app.Validate(TypeCacheInvalidate, json.RawMessage(invalidatePayload("app:cache:x"))); err != nil {
		t.Errorf("app prefix: %v", err)
	}
	if err := app.Validate(TypeCacheInvalidate, json.RawMessage(invalidatePayload("lambdis:cache:x"))); err == nil {
		t.Error("the default prefix accepted under LAMBDIS_KEY_PREFIX=app")
	}
}

// A store outage is retried, not dead-lettered.
func TestCacheInvalidateStoreDownRetries(t *testing.T) {
	srv := redistest.StartServer(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	reg := registryFor(t, rdb, Config{})
	srv.Stop()
	err := run(t, reg, context.Background(), delivery(TypeCacheInvalidate, invalidatePayload("lambdis:cache:a")))
	if err == nil || queue.IsPermanent(err) {
		t.Fatalf("store down: %v, want a retryable error", err)
	}
}

// The job is the cache's second delete: it runs the cache's invalidation
// script, so besides deleting the value it kills the lease of a load that
// began before it (that fill is refused), and a value the first delete kept
// as stale stays stale.
func TestCacheInvalidateKillsLeases(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		reg := registryFor(t, rdb, Config{})
		c, err := cache.New(rdb, keys.Builder{}, cache.Options{})
		if err != nil {
			t.Fatal(err)
		}
		k, _ := c.Key("user:7")
		// The reader holds a lease and has read the old row when the job runs.
		v, err := c.GetOrLoad(ctx, "user:7", time.Minute, func(ctx context.Context) ([]byte, error) {
			if err := run(t, reg, ctx, delivery(TypeCacheInvalidate, invalidatePayload(k))); err != nil {
				return nil, err
			}
			return []byte("old"), nil
		})
		if err != nil || string(v) != "old" {
			t.Fatalf("reader: %q %v", v, err)
		}
		if got, err := c.Get(ctx, "user:7"); !errors.Is(err, cache.ErrMiss) {
			t.Errorf("the fill that began before the job was stored: %q %v", got, err)
		}

		// A value kept as stale by the first delete stays stale (and served
		// as such) after the job.
		stale, err := cache.New(rdb, keys.Builder{}, cache.Options{StaleGrace: time.Minute, ServeStale: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := stale.GetOrLoad(ctx, "user:8", time.Hour, func(context.Context) ([]byte, error) { return []byte("v1"), nil }); err != nil {
			t.Fatal(err)
		}
		if err := stale.Invalidate(ctx, "user:8"); err != nil {
			t.Fatal(err)
		}
		k8, _ := stale.Key("user:8")
		if err := run(t, reg, ctx, delivery(TypeCacheInvalidate, invalidatePayload(k8))); err != nil {
			t.Fatal(err)
		}
		if got := rdb.HGet(ctx, k8, "v").Val(); got != "v1" {
			t.Errorf("the stale value is gone: %q", got)
		}
		if _, err := stale.Get(ctx, "user:8"); !errors.Is(err, cache.ErrMiss) {
			t.Errorf("the stale value is served as current: %v", err)
		}
	})
}
