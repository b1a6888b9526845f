package authz

import (
	"context"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

// TestPeekSpendsNothing: Peek reports each policy's remaining budget as the
// decisions left it, and peeking twice (or a thousand times) changes nothing.
func TestPeekSpendsNothing(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		s := newStore(t, rdb, StoreConfig{Leeway: 5 * time.Second})
		st, err := s.Peek(ctx, "alice", testPolicies)
		if err != nil {
			t.Fatal(err)
		}
		if st.RevokedAll || len(st.Limits) != 2 || st.Limits[0].Remaining != 100 || st.Limits[1].Remaining != 5 {
			t.Fatalf("fresh subject: %+v", st)
		}
		now := redisNow(t, rdb)
		tok := claims("alice", "j1", now.Add(-time.Minute))
		mustDecide(t, s, tok, 1)
		d := mustDecide(t, s, tok, 1)
		for i := 0; i < 3; i++ {
			st, err = s.Peek(ctx, "alice", testPolicies)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := st.Limits[1].Remaining, d.Limit.Results[1].Remaining; got != want || want != 3 {
				t.Fatalf("peek %d: per_hour remaining %d, the last decision left %d (want 3)", i, got, want)
			}
			if st.Limits[1].ResetAfter <= 0 || st.Limits[1].Policy.Name != "per_hour" {
				t.Fatalf("peek %d: %+v", i, st.Limits[1])
			}
		}
		// Another subject's state is its own.
		if other, err := s.Peek(ctx, "bob", testPolicies); err != nil || other.Limits[1].Remaining != 5 {
			t.Fatalf("bob: %+v %v", other, err)
		}
	})
}

// TestPeekRevokeAll: after a revoke-all Peek says since when and until when
// the cut-off is kept, and NotBefore is the cut-off RevokeAll returned.
func TestPeekRevokeAll(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		s := newStore(t, rdb, StoreConfig{Leeway: 5 * time.Second, MaxTokenTTL: time.Hour})
		cut, err := s.RevokeAll(ctx, "carol")
		if err != nil {
			t.Fatal(err)
		}
		st, err := s.Peek(ctx, "carol", nil)
		if err != nil {
			t.Fatal(err)
		}
		if !st.RevokedAll || !st.NotBefore.Equal(cut) || !st.RevokedAt.Equal(cut.Add(-5*time.Second)) {
			t.Fatalf("after revoke-all at %v: %+v", cut, st)
		}
		if st.Until.IsZero() || st.Until.Before(cut) || st.Until.After(cut.Add(time.Hour+time.Minute)) {
			t.Fatalf("until %v: want about an hour and 5s after %v", st.Until, st.RevokedAt)
		}
		forever := newStore(t, rdb, StoreConfig{MaxTokenTTL: Unbounded})
		if _, err := forever.RevokeAll(ctx, "dave"); err != nil {
			t.Fatal(err)
		}
		if st, err := forever.Peek(ctx, "dave", nil); err != nil || !st.RevokedAll || !st.Until.IsZero() {
			t.Fatalf("kept forever: %+v %v", st, err)
		}
		if _, err := s.Peek(ctx, "", nil); err == nil {
			t.Fatal("empty subject accepted")
		}
	})
}
