package session

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/authz"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/ratelimit"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

var testPolicies = []ratelimit.Policy{
	{Name: "per_second", Rate: 100, Period: time.Second, Burst: 100},
	{Name: "per_hour", Rate: 3, Period: time.Hour, Burst: 3},
}

func mustDecide(t *testing.T, s *Store, id ID, cost int64) Decision {
	t.Helper()
	d, err := s.Decide(context.Background(), id, cost, testPolicies)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDecide(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		s := newStore(t, rdb, Config{})
		id, _ := mustCreate(t, s, "alice", CreateOptions{Scopes: []string{"read", "admin"}})
		sk, _ := sessionKeys(t, id)
		d := mustDecide(t, s, id, 1)
		if d.Reason != authz.ReasonOK || !slices.Equal(d.Scopes, []string{"read", "admin"}) || d.Limit.Results[1].Remaining != 2 {
			t.Fatalf("first decision: %+v", d)
		}
		seen := rdb.HGet(ctx, sk, "seen").Val()
		// The subject's budget is shared with its tokens.
		az, err := authz.NewStore(rdb, keys.Builder{}, authz.StoreConfig{})
		if err != nil {
			t.Fatal(err)
		}
		now := redisNow(t, rdb)
		if td, err := az.DecideToken(ctx, authz.Claims{Subject: "alice", ID: "j", IssuedAt: now.Add(-time.Minute)}, 1, testPolicies); err != nil || td.Limit.Results[1].Remaining != 1 {
			t.Fatalf("token decision: %+v %v", td, err)
		}
		if d := mustDecide(t, s, id, 1); d.Reason != authz.ReasonOK || d.Limit.Results[1].Remaining != 0 {
			t.Fatalf("third request: %+v", d)
		}
		// Over the limit: denied, the session is not touched and nothing is charged.
		time.Sleep(2 * time.Millisecond) // so that a touch would change "seen"
		seen = rdb.HGet(ctx, sk, "seen").Val()
		ttl := pttl(t, rdb, sk)
		d = mustDecide(t, s, id, 1)
		if d.Reason != authz.ReasonRateLimited || d.Limit.DeniedBy().Policy.Name != "per_hour" || d.Limit.Results[0].Remaining < 97 {
			t.Fatalf("over the limit: %+v", d)
		}
		if rdb.HGet(ctx, sk, "seen").Val() != seen || pttl(t, rdb, sk) > ttl {
			t.Fatal("a denied request touched the session")
		}
		// No session: forged, destroyed.
		if d := mustDecide(t, s, newID("alice"), 1); d.Reason != authz.ReasonNoSession {
			t.Fatalf("forged: %+v", d)
		}
		if _, err := s.Destroy(ctx, id); err != nil {
			t.Fatal(err)
		}
		if d := mustDecide(t, s, id, 1); d.Reason != authz.ReasonNoSession {
			t.Fatalf("destroyed: %+v", d)
		}
		// Without policies: the session check alone.
		id2, _ := mustCreate(t, s, "alice", CreateOptions{})
		if d, err := s.Decide(ctx, id2, 1, nil); err != nil || d.Reason != authz.ReasonOK || len(d.Limit.Results) != 0 {
			t.Fatalf("no policies: %+v %v", d, err)
		}
	})
}

// An admitted decision is a use: it moves the sliding expiry.
func TestDecideTouches(t *testing.T) {
	m, rdb := redistest.Miniredis(t)
	now := time.Now().Truncate(time.Second)
	m.SetTime(now)
	s := newStore(t, rdb, Config{IdleTTL: 10 * time.Minute})
	id, _ := mustCreate(t, s, "bob", CreateOptions{})
	for i := 0; i < 5; i++ {
		now = now.Add(8 * time.Minute)
		m.SetTime(now)
		m.FastForward(8 * time.Minute)
		if d, err := s.Decide(context.Background(), id, 1, nil); err != nil || d.Reason != authz.ReasonOK {
			t.Fatalf("decision %d: %+v %v", i, d, err)
		}
	}
	now = now.Add(11 * time.Minute)
	m.SetTime(now)
	m.FastForward(11 * time.Minute)
	if d, err := s.Decide(context.Background(), id, 1, nil); err != nil || d.Reason != authz.ReasonNoSession {
		t.Fatalf("after 11 idle minutes: %+v %v", d, err)
	}
}

// Each session decision is exactly one command from the client: one EVALSHA
// (the rest of the command counts are the script's own calls).
func TestDecideOneRoundTrip(t *testing.T) {
	srv := redistest.StartServer(t)
	rdb := srv.Client(t)
	ctx := context.Background()
	s := newStore(t, rdb, Config{})
	id, _ := mustCreate(t, s, "carol", CreateOptions{})
	mustDecide(t, s, id, 0) // loads the script
	before, err := srv.Calls(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const n = 10
	for i := 0; i < n; i++ {
		if d := mustDecide(t, s, id, 0); d.Reason != authz.ReasonOK {
			t.Fatalf("%+v", d)
		}
	}
	after, err := srv.Calls(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d := redistest.CallsDelta(before, after)
	if d["evalsha"] != n || d["eval"] != 0 {
		t.Fatalf("deltas %v: want exactly %d EVALSHA", d, n)
	}
	for cmd := range d {
		switch cmd {
		case "evalsha", "time", "mget", "hmget", "zscore", "hset", "pexpire", "zadd", "pttl":
		default:
			t.Fatalf("unexpected command %q: %v", cmd, d)
		}
	}
}
