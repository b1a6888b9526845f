package session

import (
	"context"
	"testing"

	"github.com/lambdis/lambdis/shared/authz"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

func handles(ss []Session) map[string]Session {
	out := map[string]Session{}
	for _, s := range ss {
		out[s.Handle] = s
	}
	return out
}

func mustList(t testing.TB, s *Store, sub string) map[string]Session {
	t.Helper()
	ss, err := s.List(context.Background(), sub)
	if err != nil {
		t.Fatalf("list %q: %v", sub, err)
	}
	for i := 1; i < len(ss); i++ {
		if ss[i].Expires.After(ss[i-1].Expires) {
			t.Fatalf("list %q: not longest-lived first: %+v", sub, ss)
		}
	}
	return handles(ss)
}

// List shows exactly the valid sessions of the subject, with their data,
// without recording a use; DestroyHandle ends one by handle and only under
// its own subject; DestroyOthers keeps one.
func TestListDestroyHandleDestroyOthers(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		s := newStore(t, rdb, Config{})
		if got := mustList(t, s, "alice"); len(got) != 0 {
			t.Fatalf("no sessions yet: %v", got)
		}
		a1, c1 := mustCreate(t, s, "alice", CreateOptions{Data: map[string]string{"device": "laptop"}})
		a2, _ := mustCreate(t, s, "alice", CreateOptions{})
		a3, _ := mustCreate(t, s, "alice", CreateOptions{})
		b1, _ := mustCreate(t, s, "bob", CreateOptions{})
		got := mustList(t, s, "alice")
		if len(got) != 3 || got[a1.Handle()].Data["device"] != "laptop" || got[a2.Handle()].Handle != a2.Handle() {
			t.Fatalf("list alice %+v", got)
		}
		if l := got[a1.Handle()]; !l.Created.Equal(c1.Created) || !l.LastSeen.Equal(c1.LastSeen) || l.Subject != "alice" ||
			!l.Expires.Equal(c1.Expires) {
			t.Fatalf("listed %+v, created %+v", l, c1)
		}
		// A session that is listed but whose hash is gone is not shown,
		// and is unlisted.
		sk, ik := sessionKeys(t, a3)
		rdb.Del(ctx, sk)
		if got := mustList(t, s, "alice"); len(got) != 2 {
			t.Fatalf("list after a hash vanished: %+v", got)
		}
		if n, _ := rdb.ZScore(ctx, ik, a3.Handle()).Result(); n != 0 {
			t.Fatal("dead session still listed")
		}

		// Another subject's handle, a malformed one, an unknown one.
		for _, h := range []string{b1.Handle(), "not-a-handle", "0123456789abcdef0123456789abcdef"} {
			if ok, err := s.DestroyHandle(ctx, "alice", h); ok || err != nil {
				t.Fatalf("destroy %q as alice: %v %v", h, ok, err)
			}
		}
		mustGet(t, s, b1)
		if ok, err := s.DestroyHandle(ctx, "alice", a2.Handle()); !ok || err != nil {
			t.Fatalf("destroy a2: %v %v", ok, err)
		}
		wantGone(t, s, a2, "destroyed by handle")

		a4, _ := mustCreate(t, s, "alice", CreateOptions{})
		n, err := s.DestroyOthers(ctx, "alice", a4.Handle())
		if err != nil || n != 1 {
			t.Fatalf("destroy others: %d %v", n, err)
		}
		wantGone(t, s, a1, "other session")
		if sk, _ := sessionKeys(t, a1); exists(t, rdb, sk) {
			t.Fatal("ended session's hash remains")
		}
		mustGet(t, s, a4)
		mustGet(t, s, b1)
		if got := mustList(t, s, "alice"); len(got) != 1 || got[a4.Handle()].Handle == "" {
			t.Fatalf("after destroy others: %+v", got)
		}
		if n, err := s.DestroyOthers(ctx, "alice", ""); err != nil || n != 1 {
			t.Fatalf("destroy others keeping none: %d %v", n, err)
		}
		wantGone(t, s, a4, "keeping none")

		// Revoke-all's cut-off hides the sessions created before it.
		b2, _ := mustCreate(t, s, "bob", CreateOptions{})
		cut, err := authz.CutoffKey(keys.Builder{}, "bob")
		if err != nil {
			t.Fatal(err)
		}
		rdb.Set(ctx, cut, redisNow(t, rdb).Unix()+1, 0)
		if got := mustList(t, s, "bob"); len(got) != 0 {
			t.Fatalf("bob after cut-off: %+v", got)
		}
		wantGone(t, s, b2, "cut off")
	})
}
