package session

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/authz"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

func TestCreateGetDestroy(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		s := newStore(t, rdb, Config{})
		before := redisNow(t, rdb).Add(-time.Second)
		id, created := mustCreate(t, s, "alice", CreateOptions{Scopes: []string{"read", "write"}, Data: map[string]string{"cart": "42"}})
		if id.Subject() != "alice" || created.Created.Before(before) || created.IdleTTL != DefaultIdleTTL ||
			!created.MaxExpiry.Equal(created.Created.Add(DefaultMaxTTL)) || !created.Expires.Equal(created.Created.Add(DefaultIdleTTL)) {
			t.Fatalf("created %+v", created)
		}
		parsed, err := ParseID(id.Token())
		if err != nil {
			t.Fatal(err)
		}
		got := mustGet(t, s, parsed)
		if got.Subject != "alice" || !slices.Equal(got.Scopes, []string{"read", "write"}) || got.Data["cart"] != "42" ||
			!got.Created.Equal(created.Created) || got.Handle != id.Handle() || got.IdleTTL != DefaultIdleTTL ||
			!got.MaxExpiry.Equal(created.MaxExpiry) || got.LastSeen.Before(got.Created) {
			t.Fatalf("got %+v, created %+v", got, created)
		}
		sk, ik := sessionKeys(t, id)
		if ttl := pttl(t, rdb, sk); ttl <= 0 || ttl > DefaultIdleTTL {
			t.Fatalf("session PTTL %v, want the idle TTL", ttl)
		}
		if ttl := pttl(t, rdb, ik); ttl <= 0 || ttl > DefaultIdleTTL {
			t.Fatalf("index PTTL %v, want the idle TTL", ttl)
		}
		// The secret is nowhere in Redis: keys hold the handle.
		secret := strings.SplitN(id.Token(), ".", 2)[1]
		if strings.Contains(sk, secret) || strings.Contains(fmt.Sprint(rdb.HGetAll(ctx, sk).Val()), secret) {
			t.Fatal("the secret is stored")
		}
		ok, err := s.Destroy(ctx, id)
		if err != nil || !ok {
			t.Fatalf("destroy: %v %v", ok, err)
		}
		wantGone(t, s, id, "after destroy")
		if exists(t, rdb, sk) {
			t.Fatal("destroyed session's hash remains")
		}
		if ok, err := s.Destroy(ctx, id); err != nil || ok {
			t.Fatalf("second destroy: %v %v", ok, err)
		}
		if _, err := s.Get(ctx, id); !errors.Is(err, ErrNotFound) {
			t.Fatalf("get after destroy: %v", err)
		}
	})
}

// A forged id (right subject, made-up secret; another session's secret
// under another subject) finds nothing and writes nothing.
func TestForgedIDsFindNothing(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		s := newStore(t, rdb, Config{})
		alice, _ := mustCreate(t, s, "alice", CreateOptions{})
		bob, _ := mustCreate(t, s, "bob", CreateOptions{})
		forged := []ID{newID("alice"), {sub: "alice", secret: bob.secret}, {sub: "bob", secret: alice.secret}, {sub: "alice}{bob", secret: alice.secret}}
		for _, id := range forged {
			sk, ik := sessionKeys(t, id)
			if _, err := s.Get(ctx, id); !errors.Is(err, ErrNotFound) {
				t.Fatalf("forged %v: %v", id, err)
			}
			if err := s.Update(ctx, id, map[string]string{"x": "y"}); !errors.Is(err, ErrNotFound) {
				t.Fatalf("update with forged %v: %v", id, err)
			}
			if exists(t, rdb, sk) || (id.sub != "alice" && id.sub != "bob" && exists(t, rdb, ik)) {
				t.Fatalf("forged %v wrote keys", id)
			}
		}
		mustGet(t, s, alice)
		mustGet(t, s, bob)
		if _, err := s.Get(ctx, ID{}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("zero id: %v", err)
		}
	})
}

// Sliding expiry, deterministically: miniredis's clock (TIME and TTLs) is
// moved by the test.
func TestSlidingExpiryClock(t *testing.T) {
	m, rdb := redistest.Miniredis(t)
	now := time.Now().Truncate(time.Second)
	m.SetTime(now)
	advance := func(d time.Duration) {
		now = now.Add(d)
		m.SetTime(now)
		m.FastForward(d)
	}
	s := newStore(t, rdb, Config{IdleTTL: 30 * time.Minute, MaxTTL: 3 * time.Hour})
	id, _ := mustCreate(t, s, "alice", CreateOptions{})
	// Used every 20 minutes for 2 hours: four times the idle TTL.
	for i := 0; i < 6; i++ {
		advance(20 * time.Minute)
		got := mustGet(t, s, id)
		if !got.LastSeen.Equal(now) || !got.Expires.Equal(now.Add(30*time.Minute)) {
			t.Fatalf("use %d at %v: %+v", i, now, got)
		}
	}
	// Peek and Update are not uses.
	advance(20 * time.Minute)
	if err := s.Update(context.Background(), id, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Peek(context.Background(), id); err != nil || got.LastSeen.Equal(now) {
		t.Fatalf("peek: %+v %v", got, err)
	}
	// Idle for longer than the idle TTL since the last use: gone.
	advance(11 * time.Minute)
	wantGone(t, s, id, "idle 31 minutes")

	// The maximum lifetime bounds the sliding expiry.
	id, created := mustCreate(t, s, "bob", CreateOptions{})
	for now.Before(created.MaxExpiry.Add(-25 * time.Minute)) {
		advance(25 * time.Minute)
		got := mustGet(t, s, id)
		if got.Expires.After(created.MaxExpiry) {
			t.Fatalf("expiry %v beyond the maximum %v", got.Expires, created.MaxExpiry)
		}
	}
	advance(created.MaxExpiry.Sub(now))
	wantGone(t, s, id, "at the maximum lifetime")
}

// Sliding expiry on real servers: a use pushes the key's TTL back, a session
// used more often than its idle TTL outlives it, and an idle one expires.
// (No timing is asserted: the margins are whole idle TTLs, and expiry is
// waited for.)
func TestSlidingExpiryReal(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		s := newStore(t, rdb, Config{})
		const idle = 2 * time.Second
		id, created := mustCreate(t, s, "alice", CreateOptions{IdleTTL: idle})
		sk, _ := sessionKeys(t, id)
		deadline := created.Expires
		for i := 0; i < 5; i++ { // 2.5s in all, longer than the idle TTL
			time.Sleep(idle / 4)
			before := pttl(t, rdb, sk)
			got := mustGet(t, s, id)
			after := pttl(t, rdb, sk)
			if !got.Expires.After(deadline) || !got.LastSeen.After(got.Created) || after <= before {
				t.Fatalf("use %d: expiry %v (was %v), PTTL %v → %v", i, got.Expires, deadline, before, after)
			}
			deadline = got.Expires
		}
		// Left idle, the session ends (Redis expires the hash).
		short, _ := mustCreate(t, s, "alice", CreateOptions{IdleTTL: 50 * time.Millisecond})
		shortKey, _ := sessionKeys(t, short)
		waitGone(t, rdb, shortKey)
		wantGone(t, s, short, "idle")
		mustGet(t, s, id) // the other session of the subject lives on
	}, redistest.BackendServer, redistest.BackendCluster)
}

// waitGone waits (up to 10s) for Redis to expire key.
func waitGone(t *testing.T, rdb redis.UniversalClient, key string) {
	t.Helper()
	for start := time.Now(); exists(t, rdb, key); time.Sleep(20 * time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("%s never expired", key)
		}
	}
}

func TestMaxTTLBoundsSlidingReal(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		s := newStore(t, rdb, Config{IdleTTL: time.Hour, MaxTTL: time.Minute})
		id, created := mustCreate(t, s, "carol", CreateOptions{})
		sk, ik := sessionKeys(t, id)
		got := mustGet(t, s, id)
		if !got.Expires.Equal(created.MaxExpiry) || pttl(t, rdb, sk) > time.Minute || pttl(t, rdb, ik) > time.Minute {
			t.Fatalf("expiry %v, max %v, PTTL %v", got.Expires, created.MaxExpiry, pttl(t, rdb, sk))
		}
		// No maximum: the idle TTL alone.
		id, created = mustCreate(t, s, "carol", CreateOptions{MaxTTL: NoMaxTTL})
		if !created.MaxExpiry.IsZero() || !mustGet(t, s, id).MaxExpiry.IsZero() {
			t.Fatalf("NoMaxTTL: %+v", created)
		}
		// The index lives as long as its longest-lived session.
		if ttl := pttl(t, rdb, ik); ttl <= time.Minute {
			t.Fatalf("index PTTL %v shorter than its longest session", ttl)
		}
	})
}

func TestDestroyAll(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		s := newStore(t, rdb, Config{})
		var ids []ID
		for i := 0; i < 3; i++ {
			id, _ := mustCreate(t, s, "dave", CreateOptions{Data: map[string]string{"n": fmt.Sprint(i)}})
			ids = append(ids, id)
		}
		other, _ := mustCreate(t, s, "erin", CreateOptions{})
		n, err := s.DestroyAll(ctx, "dave")
		if err != nil || n != 3 {
			t.Fatalf("destroy-all: %d %v", n, err)
		}
		for _, id := range ids {
			wantGone(t, s, id, "after destroy-all")
			sk, ik := sessionKeys(t, id)
			if exists(t, rdb, sk) || exists(t, rdb, ik) {
				t.Fatalf("%v: keys remain", id)
			}
		}
		mustGet(t, s, other)
		// No cut-off: a new session works at once, tokens are untouched.
		mustGet(t, s, func() ID { id, _ := mustCreate(t, s, "dave", CreateOptions{}); return id }())
		if n, err := s.DestroyAll(ctx, "nobody"); err != nil || n != 0 {
			t.Fatalf("destroy-all without sessions: %d %v", n, err)
		}
		if _, err := s.DestroyAll(ctx, ""); !errors.Is(err, ErrInvalid) {
			t.Fatalf("empty subject: %v", err)
		}
	})
}

// authz.Store.RevokeAll (POST /users/{sub}/revoke-all) ends every session of
// the subject and rejects those created in its second; later ones work.
func TestRevokeAllEndsSessions(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		s := newStore(t, rdb, Config{})
		az, err := authz.NewStore(rdb, keys.Builder{}, authz.StoreConfig{})
		if err != nil {
			t.Fatal(err)
		}
		var ids []ID
		for i := 0; i < 4; i++ {
			id, _ := mustCreate(t, s, "frank", CreateOptions{})
			ids = append(ids, id)
		}
		other, _ := mustCreate(t, s, "grace", CreateOptions{})
		cut, n, err := az.RevokeAllSessions(ctx, "frank")
		if err != nil || n != 4 {
			t.Fatalf("revoke-all: %d %v", n, err)
		}
		for _, id := range ids {
			wantGone(t, s, id, "after revoke-all")
			if d, err := s.Decide(ctx, id, 1, nil); err != nil || d.Reason != authz.ReasonNoSession {
				t.Fatalf("decision after revoke-all: %+v %v", d, err)
			}
			if sk, ik := sessionKeys(t, id); exists(t, rdb, sk) || exists(t, rdb, ik) {
				t.Fatalf("%v: keys remain", id)
			}
		}
		mustGet(t, s, other)
		// No session is created in the cut-off's second (ErrCutOff); the
		// first one created is from a later second, and valid.
		for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
			id, sess, err := s.Create(ctx, "frank", CreateOptions{})
			if errors.Is(err, ErrCutOff) && time.Since(start) < 5*time.Second {
				continue
			}
			if err != nil || sess.Created.Unix() <= cut.Unix() {
				t.Fatalf("create after revoke-all at %v: %+v %v", cut, sess, err)
			}
			mustGet(t, s, id)
			break
		}
	})
}

// Create refuses to make a session in the very second of a revoke-all (it
// would be rejected at once). Deterministic: miniredis's clock is set.
func TestCreateInCutoffSecond(t *testing.T) {
	m, rdb := redistest.Miniredis(t)
	ctx := context.Background()
	now := time.Now().Truncate(time.Second).Add(100 * time.Millisecond)
	m.SetTime(now)
	s := newStore(t, rdb, Config{})
	az, err := authz.NewStore(rdb, keys.Builder{}, authz.StoreConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := az.RevokeAll(ctx, "frank"); err != nil {
		t.Fatal(err)
	}
	m.SetTime(now.Add(800 * time.Millisecond))
	if _, _, err := s.Create(ctx, "frank", CreateOptions{}); !errors.Is(err, ErrCutOff) {
		t.Fatalf("create in the cut-off second: %v", err)
	}
	if n := rdb.DBSize(ctx).Val(); n != 1 {
		t.Fatalf("a refused create wrote keys: %d keys", n)
	}
	m.SetTime(now.Add(time.Second))
	id, _ := mustCreate(t, s, "frank", CreateOptions{})
	mustGet(t, s, id)
	if _, _, err := s.Create(ctx, "grace", CreateOptions{}); err != nil {
		t.Fatalf("another subject: %v", err)
	}
}

// A session that survived the index (written before revoke-all by a path
// that did not list it) is still rejected by the cut-off.
func TestCutoffRejectsOlderSessions(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		s := newStore(t, rdb, Config{})
		id, _ := mustCreate(t, s, "heidi", CreateOptions{})
		sk, ik := sessionKeys(t, id)
		nbf, _ := authz.CutoffKey(keys.Builder{}, "heidi")
		if err := rdb.Set(ctx, nbf, redisNow(t, rdb).Unix(), time.Hour).Err(); err != nil {
			t.Fatal(err)
		}
		if d, err := s.Decide(ctx, id, 1, nil); err != nil || d.Reason != authz.ReasonCutoff {
			t.Fatalf("decision: %+v %v", d, err)
		}
		if exists(t, rdb, sk) || rdb.ZScore(ctx, ik, id.Handle()).Err() != redis.Nil {
			t.Fatal("a cut-off session was left behind")
		}
	})
}

func TestMaxPerUserEvictsClosestToExpiry(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		s := newStore(t, rdb, Config{MaxPerUser: 3})
		first, _ := mustCreate(t, s, "ivan", CreateOptions{IdleTTL: time.Minute})
		var rest []ID
		for i := 0; i < 3; i++ {
			id, _ := mustCreate(t, s, "ivan", CreateOptions{})
			rest = append(rest, id)
		}
		wantGone(t, s, first, "evicted")
		for _, id := range rest {
			mustGet(t, s, id)
		}
		_, ik := sessionKeys(t, first)
		if n := rdb.ZCard(ctx, ik).Val(); n != 3 {
			t.Fatalf("index holds %d", n)
		}
		sk, _ := sessionKeys(t, first)
		if exists(t, rdb, sk) {
			t.Fatal("the evicted session's hash survived its lookup")
		}
	})
}

func TestUpdate(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		s := newStore(t, rdb, Config{})
		id, _ := mustCreate(t, s, "judy", CreateOptions{Scopes: []string{"read"}, Data: map[string]string{"a": "1", "b": "2"}})
		if err := s.Update(ctx, id, map[string]string{"a": "10", "c": "3", "sub": "mallory", "scope": "admin"}, "b"); err != nil {
			t.Fatal(err)
		}
		got := mustGet(t, s, id)
		want := map[string]string{"a": "10", "c": "3", "sub": "mallory", "scope": "admin"}
		if fmt.Sprint(got.Data) != fmt.Sprint(want) || got.Subject != "judy" || !slices.Equal(got.Scopes, []string{"read"}) {
			t.Fatalf("after update: %+v", got)
		}
		// All or nothing at the field limit.
		many := map[string]string{}
		for i := 0; len(many) < MaxDataFields-4; i++ {
			many[fmt.Sprint("f", i)] = "x"
		}
		if err := s.Update(ctx, id, many); err != nil {
			t.Fatalf("up to the limit: %v", err)
		}
		if err := s.Update(ctx, id, map[string]string{"one-more": "x"}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("over the limit: %v", err)
		}
		if err := s.Update(ctx, id, map[string]string{"one-more": "x"}, "a"); err != nil {
			t.Fatalf("replace one: %v", err)
		}
		if got := mustGet(t, s, id); len(got.Data) != MaxDataFields || got.Data["one-more"] != "x" {
			t.Fatalf("%d fields", len(got.Data))
		}
		for _, bad := range []map[string]string{{"": "x"}, {strings.Repeat("k", MaxFieldBytes+1): "x"}, {"k": strings.Repeat("v", MaxValueBytes+1)}, {"\xff": "x"}} {
			if err := s.Update(ctx, id, bad); !errors.Is(err, ErrInvalid) {
				t.Fatalf("bad data accepted: %v", err)
			}
		}
		if _, err := s.Destroy(ctx, id); err != nil {
			t.Fatal(err)
		}
		if err := s.Update(ctx, id, map[string]string{"a": "1"}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("update after destroy: %v", err)
		}
		sk, _ := sessionKeys(t, id)
		if exists(t, rdb, sk) {
			t.Fatal("update recreated a destroyed session")
		}
	})
}

func TestBadInputTouchesNothing(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	ctx := context.Background()
	s := newStore(t, rdb, Config{})
	for _, sub := range []string{"", "a\nb", "\xff", strings.Repeat("x", MaxSubjectBytes+1)} {
		if _, _, err := s.Create(ctx, sub, CreateOptions{}); !errors.Is(err, ErrInvalid) {
			t.Errorf("subject %q: %v", sub, err)
		}
	}
	for _, o := range []CreateOptions{
		{Scopes: []string{"a b"}}, {Scopes: []string{""}}, {Scopes: []string{strings.Repeat("s", MaxScopeBytes+1)}},
		{IdleTTL: -5}, {IdleTTL: MaxTTLBound + 1}, {MaxTTL: -5},
		{Data: map[string]string{"": "x"}},
	} {
		if _, _, err := s.Create(ctx, "alice", o); !errors.Is(err, ErrInvalid) {
			t.Errorf("options %+v: %v", o, err)
		}
	}
	for _, cfg := range []Config{{IdleTTL: -1}, {MaxTTL: -2}, {MaxPerUser: -1}, {MaxPerUser: maxPerUserBound + 1}} {
		if _, err := NewStore(rdb, keys.Builder{}, cfg); err == nil {
			t.Errorf("config %+v accepted", cfg)
		}
	}
	if n := rdb.DBSize(ctx).Val(); n != 0 {
		t.Fatalf("bad input wrote %d keys", n)
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := ConfigFromEnv(env(nil))
	if err != nil || c.IdleTTL != DefaultIdleTTL || c.MaxTTL != DefaultMaxTTL || c.MaxPerUser != DefaultMaxPerUser {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	c, err = ConfigFromEnv(env(map[string]string{EnvIdleTTL: "15m", EnvMaxTTL: "0", EnvMaxPerUser: "5"}))
	if err != nil || c.IdleTTL != 15*time.Minute || c.MaxTTL != NoMaxTTL || c.MaxPerUser != 5 {
		t.Fatalf("set: %+v %v", c, err)
	}
	for _, bad := range []map[string]string{{EnvIdleTTL: "1ms"}, {EnvMaxTTL: "forever"}, {EnvMaxPerUser: "0"}} {
		if _, err := ConfigFromEnv(env(bad)); err == nil {
			t.Errorf("%v accepted", bad)
		} else {
			for k := range bad {
				if !strings.Contains(err.Error(), k) {
					t.Errorf("error %q does not name %s", err, k)
				}
			}
		}
	}
}
