package authz

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/ratelimit"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

var testPolicies = []ratelimit.Policy{
	{Name: "per_second", Rate: 100, Period: time.Second, Burst: 100},
	{Name: "per_hour", Rate: 5, Period: time.Hour, Burst: 5},
}

func newStore(t *testing.T, rdb redis.UniversalClient, cfg StoreConfig) *Store {
	t.Helper()
	s, err := NewStore(rdb, keys.Builder{}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func claims(sub, jti string, iat time.Time) Claims {
	return Claims{Subject: sub, Issuer: "https://issuer.test", ID: jti, IssuedAt: iat, ExpiresAt: iat.Add(time.Hour)}
}

func redisNow(t *testing.T, rdb redis.UniversalClient) time.Time {
	t.Helper()
	now, err := rdb.Time(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	return now
}

func mustDecide(t *testing.T, s *Store, c Claims, cost int64) Decision {
	t.Helper()
	d, err := s.DecideToken(context.Background(), c, cost, testPolicies)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestRevokedTokenRejectedAndFree(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		s := newStore(t, rdb, StoreConfig{Leeway: 5 * time.Second})
		now := redisNow(t, rdb)
		tok := claims("alice", "jti-1", now.Add(-time.Minute))
		other := claims("alice", "jti-2", now.Add(-time.Minute))
		if d := mustDecide(t, s, tok, 1); d.Reason != ReasonOK || d.Limit.Results[1].Remaining != 4 {
			t.Fatalf("before revocation: %+v", d)
		}
		if err := s.Revoke(ctx, tok.Subject, tok.Issuer, tok.ID, tok.ExpiresAt); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			if d := mustDecide(t, s, tok, 1); d.Reason != ReasonRevoked {
				t.Fatalf("after revocation: %+v", d)
			}
		}
		// The revoked calls spent nothing: the other token sees 3 left after its own call.
		if d := mustDecide(t, s, other, 1); d.Reason != ReasonOK || d.Limit.Results[1].Remaining != 3 {
			t.Fatalf("sibling token: %+v", d)
		}
		// Same jti from another issuer is a different token.
		foreign := tok
		foreign.Issuer = "https://other.test"
		if d := mustDecide(t, s, foreign, 0); d.Reason != ReasonOK {
			t.Fatalf("same jti, other issuer: %+v", d)
		}
		// Idempotent.
		if err := s.Revoke(ctx, tok.Subject, tok.Issuer, tok.ID, tok.ExpiresAt); err != nil {
			t.Fatal(err)
		}
		// The entry lives for the token's remaining life plus leeway.
		k, _ := s.revokedKey(UserTag("alice"), tok.Issuer, tok.ID)
		ttl := rdb.PTTL(ctx, k).Val()
		if want := time.Until(tok.ExpiresAt) + 5*time.Second; ttl < want-5*time.Second || ttl > want+time.Second {
			t.Fatalf("revoked key PTTL %v, want about %v", ttl, want)
		}
	})
}

func TestRevokeAllCutOff(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		s := newStore(t, rdb, StoreConfig{MaxTokenTTL: 2 * time.Hour, Leeway: 10 * time.Second})
		now := redisNow(t, rdb)
		old := claims("bob", "a", now.Add(-30*time.Minute))
		if d := mustDecide(t, s, old, 1); d.Reason != ReasonOK {
			t.Fatalf("before: %+v", d)
		}
		cut, err := s.RevokeAll(ctx, "bob")
		if err != nil {
			t.Fatal(err)
		}
		if d := mustDecide(t, s, old, 1); d.Reason != ReasonCutoff {
			t.Fatalf("old token after revoke-all: %+v", d)
		}
		if d := mustDecide(t, s, claims("bob", "b", cut), 1); d.Reason != ReasonCutoff {
			t.Fatalf("token issued in the cut-off second: %+v", d)
		}
		later := claims("bob", "c", cut.Add(time.Second))
		if d := mustDecide(t, s, later, 1); d.Reason != ReasonOK {
			t.Fatalf("token issued after revoke-all: %+v", d)
		}
		if d := mustDecide(t, s, claims("carol", "a", now.Add(-time.Hour)), 1); d.Reason != ReasonOK {
			t.Fatalf("other subject: %+v", d)
		}
		k, _ := keys.Builder{}.Key(Module, UserTag("bob"), "nbf")
		if ttl := rdb.PTTL(ctx, k).Val(); ttl <= 2*time.Hour || ttl > 2*time.Hour+10*time.Second {
			t.Fatalf("cut-off PTTL %v, want max token ttl + leeway", ttl)
		}
	})
}

// Revocations expire with the token (real servers expire keys on their clock).
func TestRevocationExpires(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		s := newStore(t, rdb, StoreConfig{})
		now := redisNow(t, rdb)
		short := claims("dave", "short", now.Add(-time.Minute))
		short.ExpiresAt = now.Add(700 * time.Millisecond)
		if err := s.Revoke(ctx, "dave", short.Issuer, short.ID, short.ExpiresAt); err != nil {
			t.Fatal(err)
		}
		if d := mustDecide(t, s, short, 0); d.Reason != ReasonRevoked {
			t.Fatalf("short-lived token: %+v", d)
		}
		time.Sleep(time.Until(short.ExpiresAt) + 300*time.Millisecond)
		if n := rdb.DBSize(ctx).Val(); n != 0 {
			t.Fatalf("%d keys outlived the token", n)
		}
		// Revoking an expired token stores nothing.
		if err := s.Revoke(ctx, "dave", short.Issuer, "expired", now.Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		k, _ := s.revokedKey(UserTag("dave"), short.Issuer, "expired")
		if n := rdb.Exists(ctx, k).Val(); n != 0 {
			t.Fatal("revoking an expired token stored a revocation")
		}
	}, redistest.BackendServer, redistest.BackendCluster)
}

func TestDecideRateLimitedAllOrNothing(t *testing.T) {
	// per_day regains a request every 86.4 s, so its remaining count cannot
	// move during the test however slow the machine (e.g. under -race).
	policies := []ratelimit.Policy{
		{Name: "per_day", Rate: 1000, Period: 24 * time.Hour, Burst: 1000},
		{Name: "per_hour", Rate: 5, Period: time.Hour, Burst: 5},
	}
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		s := newStore(t, rdb, StoreConfig{})
		tok := claims("erin", "x", redisNow(t, rdb))
		decide := func() Decision {
			t.Helper()
			d, err := s.DecideToken(context.Background(), tok, 1, policies)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		for i := 0; i < 5; i++ {
			if d := decide(); d.Reason != ReasonOK {
				t.Fatalf("request %d: %+v", i, d)
			}
		}
		d := decide()
		if d.Reason != ReasonRateLimited || d.Limit.DeniedBy().Policy.Name != "per_hour" {
			t.Fatalf("6th request: %+v", d)
		}
		if r := d.Limit.DeniedBy().RetryAfter; r <= 0 || r > 12*time.Minute {
			t.Fatalf("retry after %v", r)
		}
		// per_day was not charged by the denial.
		if got := d.Limit.Results[0].Remaining; got != 995 {
			t.Fatalf("per_day remaining %d after a denial, want 995", got)
		}
	})
}

func TestAnonymousAndOddSubjects(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		s := newStore(t, rdb, StoreConfig{})
		p := []ratelimit.Policy{{Name: "anon", Rate: 2, Period: time.Hour, Burst: 2}}
		for _, ip := range []string{"203.0.113.7", "2001:db8::1", "::ffff:198.51.100.1"} {
			for i := 0; i < 2; i++ {
				if d, err := s.DecideAnonymous(ctx, ip, 1, p); err != nil || d.Reason != ReasonOK {
					t.Fatalf("%s request %d: %+v %v", ip, i, d, err)
				}
			}
			if d, err := s.DecideAnonymous(ctx, ip, 1, p); err != nil || d.Reason != ReasonRateLimited {
				t.Fatalf("%s over limit: %+v %v", ip, d, err)
			}
		}
		if _, err := s.DecideAnonymous(ctx, "not-an-ip", 1, p); err == nil {
			t.Fatal("bad ip accepted")
		}
		// Subjects that are not valid tags still work, each on its own state.
		now := redisNow(t, rdb)
		for _, sub := range []string{"a}b{c", "has space", strings.Repeat("z", 256), "auth0|123"} {
			tok := claims(sub, "j", now.Add(-time.Minute))
			if d := mustDecide(t, s, tok, 1); d.Reason != ReasonOK {
				t.Fatalf("sub %q: %+v", sub, d)
			}
			if err := s.Revoke(ctx, sub, tok.Issuer, tok.ID, tok.ExpiresAt); err != nil {
				t.Fatal(err)
			}
			if d := mustDecide(t, s, tok, 1); d.Reason != ReasonRevoked {
				t.Fatalf("sub %q after revoke: %+v", sub, d)
			}
		}
	})
}

// Every decision is exactly one command from the client: one EVALSHA.
func TestDecideOneRoundTrip(t *testing.T) {
	srv := redistest.StartServer(t)
	rdb := srv.Client(t)
	ctx := context.Background()
	s := newStore(t, rdb, StoreConfig{})
	tok := claims("frank", "j", redisNow(t, rdb))
	mustDecide(t, s, tok, 1) // loads the script
	before, err := srv.Calls(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		mustDecide(t, s, tok, 1)
	}
	after, err := srv.Calls(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d := redistest.CallsDelta(before, after)
	if d["evalsha"] != 10 || d["eval"] != 0 {
		t.Fatalf("deltas %v: want exactly 10 EVALSHA", d)
	}
}

func TestStoreInput(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	ctx := context.Background()
	s := newStore(t, rdb, StoreConfig{})
	if _, err := s.DecideToken(ctx, Claims{Subject: "x"}, 1, testPolicies); err == nil {
		t.Error("token without iat accepted")
	}
	if _, err := s.DecideToken(ctx, Claims{IssuedAt: time.Now()}, 1, testPolicies); err == nil {
		t.Error("token without sub accepted")
	}
	if err := s.Revoke(ctx, "x", "iss", "", time.Now().Add(time.Hour)); err == nil {
		t.Error("revoke without jti accepted")
	}
	if _, err := s.RevokeAll(ctx, ""); err == nil {
		t.Error("revoke-all of empty subject accepted")
	}
	for _, cfg := range []StoreConfig{{Leeway: -1}, {Leeway: 61 * time.Second}, {MaxTokenTTL: time.Millisecond}} {
		if _, err := NewStore(rdb, keys.Builder{}, cfg); err == nil {
			t.Errorf("config %+v accepted", cfg)
		}
	}
	if n := rdb.DBSize(ctx).Val(); n != 0 {
		t.Fatalf("bad input wrote %d keys", n)
	}
}

func TestSessionKeys(t *testing.T) {
	kb := keys.Builder{}
	h := strings.Repeat("0a", SessionHandleLen/2)
	k, err := SessionKey(kb, "alice", h)
	if err != nil || k != "lambdis:auth:{u:alice}:sess:"+h {
		t.Fatalf("%q %v", k, err)
	}
	if k, _ := SessionIndexKey(kb, "alice"); k != "lambdis:auth:{u:alice}:sessions" {
		t.Fatalf("index %q", k)
	}
	if k, _ := CutoffKey(kb, "a}{b"); !strings.HasPrefix(k, "lambdis:auth:{uh:") {
		t.Fatalf("cut-off of a subject with braces: %q", k)
	}
	for _, bad := range []string{"", h[:31], h + "0", strings.ToUpper(h), strings.Repeat("g", SessionHandleLen), "../" + h[3:]} {
		if _, err := SessionKey(kb, "alice", bad); err == nil {
			t.Errorf("handle %q accepted", bad)
		}
	}
}
