package session

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/authz"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/redis/go-redis/v9"
)

func newStore(t testing.TB, rdb redis.UniversalClient, cfg Config) *Store {
	t.Helper()
	s, err := NewStore(rdb, keys.Builder{}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustCreate(t testing.TB, s *Store, sub string, opts CreateOptions) (ID, Session) {
	t.Helper()
	id, sess, err := s.Create(context.Background(), sub, opts)
	if err != nil {
		t.Fatalf("create for %q: %v", sub, err)
	}
	return id, sess
}

func mustGet(t testing.TB, s *Store, id ID) Session {
	t.Helper()
	sess, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("get %v: %v", id, err)
	}
	return sess
}

func wantGone(t testing.TB, s *Store, id ID, why string) {
	t.Helper()
	if _, err := s.Peek(context.Background(), id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("%s: %v is still there (err %v)", why, id, err)
	}
}

// sessionKeys returns the hash and index keys of id.
func sessionKeys(t testing.TB, id ID) (string, string) {
	t.Helper()
	sk, err := authz.SessionKey(keys.Builder{}, id.Subject(), id.Handle())
	if err != nil {
		t.Fatal(err)
	}
	ik, err := authz.SessionIndexKey(keys.Builder{}, id.Subject())
	if err != nil {
		t.Fatal(err)
	}
	return sk, ik
}

func exists(t testing.TB, rdb redis.UniversalClient, key string) bool {
	t.Helper()
	n, err := rdb.Exists(context.Background(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func pttl(t testing.TB, rdb redis.UniversalClient, key string) time.Duration {
	t.Helper()
	d, err := rdb.PTTL(context.Background(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func redisNow(t testing.TB, rdb redis.UniversalClient) time.Time {
	t.Helper()
	now, err := rdb.Time(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	return now
}
