package authorizer

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/go-redis/redis_rate/v10"
	"github.com/lambdis/lambdis/shared/authz"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/lambdis/lambdis/shared/session"
	"github.com/redis/go-redis/v9"
)

// BenchmarkDecision compares, on one real redis-server and in one run:
//
//	redis_rate        go-redis/redis_rate Allow, one limit (the baseline)
//	floor             a script with only TIME, one MGET of the three keys and
//	                  one SET: the least any one-script decision can cost
//	decide            authz decision script: revocation + cut-off + two policies
//	handler           the whole authorizer: header parsing, JWT (HS256), decision, response
//
// at 1 and 50 concurrent callers. Each caller has its own subject, so no
// request is denied and every call does the full work. Read the results as
// ratios against redis_rate from the same run (see the README).
func BenchmarkDecision(b *testing.B) {
	srv := redistest.StartServer(b)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, PoolSize: 64})
	b.Cleanup(func() { _ = rdb.Close() })
	const big = 1_000_000_000
	limiter := redis_rate.NewLimiter(rdb)
	rrLimit := redis_rate.Limit{Rate: big, Burst: big, Period: time.Second}
	store, err := authz.NewStore(rdb, keys.Builder{}, authz.StoreConfig{})
	if err != nil {
		b.Fatal(err)
	}
	ps := policies(b, fmt.Sprintf("per_second=1000000/1s:%d,per_day=%d/1d", big, big))
	f := newFixture(b, rdb, Config{Policies: ps})
	f.h.Log = discardLogger()
	f.h.Metrics = nil

	for _, callers := range []int{1, 50} {
		subjects := make(chan int, 1024)
		for i := 0; i < cap(subjects); i++ {
			subjects <- i
		}
		claimsFor := func(i int) authz.Claims {
			return authz.Claims{Subject: fmt.Sprintf("bench-%d", i), Issuer: testIss, ID: "j", IssuedAt: time.Now().Add(-time.Minute)}
		}
		b.Run(fmt.Sprintf("redis_rate/callers=%d", callers), func(b *testing.B) {
			redistest.RunCallers(b, callers, func(ctx context.Context) error {
				i := <-subjects
				defer func() { subjects <- i }()
				_, err := limiter.Allow(ctx, fmt.Sprintf("bench-%d", i), rrLimit)
				return err
			})
		})
		// The floor of the decision: a script that only reads the three keys
		// (revoked, cut-off, the subject's rate-limit state) with one MGET and
		// writes the state once, with no GCRA, checks or reply. No one-script
		// decision with revocation and a stored limit can cost less.
		floor := redis.NewScript(`
local t = redis.call('TIME')
redis.call('MGET', KEYS[1], KEYS[2], KEYS[3])
redis.call('SET', KEYS[3], t[1], 'PX', 86400000)
return 1`)
		b.Run(fmt.Sprintf("floor/callers=%d", callers), func(b *testing.B) {
			redistest.RunCallers(b, callers, func(ctx context.Context) error {
				i := <-subjects
				defer func() { subjects <- i }()
				tag := fmt.Sprintf("{floor-%d}", i)
				return floor.Run(ctx, rdb, []string{tag + ":r", tag + ":n", tag}).Err()
			})
		})
		b.Run(fmt.Sprintf("decide/callers=%d", callers), func(b *testing.B) {
			redistest.RunCallers(b, callers, func(ctx context.Context) error {
				i := <-subjects
				defer func() { subjects <- i }()
				d, err := store.DecideToken(ctx, claimsFor(i), 1, ps)
				if err == nil && d.Reason != authz.ReasonOK {
					err = fmt.Errorf("decision %s", d.Reason)
				}
				return err
			})
		})
		reqs := make([]events.APIGatewayCustomAuthorizerRequestTypeRequest, cap(subjects))
		for i := range reqs {
			reqs[i] = request(b, "Bearer "+hs256(b, claims(fmt.Sprintf("bench-%d", i), "j")))
		}
		b.Run(fmt.Sprintf("handler/callers=%d", callers), func(b *testing.B) {
			redistest.RunCallers(b, callers, func(ctx context.Context) error {
				i := <-subjects
				defer func() { subjects <- i }()
				resp, err := f.h.Handle(ctx, reqs[i])
				if err == nil && effect(resp) != "Allow" {
					err = fmt.Errorf("effect %q", effect(resp))
				}
				return err
			})
		})
	}
}

// BenchmarkSessionDecision compares, on one real redis-server and in one run:
//
//	get, set          one raw GET / SET of a small value (the baseline round trip)
//	decide-token      authz decision script for a token (as BenchmarkDecision)
//	decide-session    session decision script: session + listing + cut-off +
//	                  two policies, touch and charge
//	handler-jwt       the whole authorizer with a Bearer JWT (HS256)
//	handler-session   the whole authorizer with "Authorization: Session <id>"
//
// at 1 and 50 concurrent callers; each caller has its own subject (and
// session), so every call is admitted and does the full work.
func BenchmarkSessionDecision(b *testing.B) {
	srv := redistest.StartServer(b)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, PoolSize: 64})
	b.Cleanup(func() { _ = rdb.Close() })
	ctx := context.Background()
	const big = 1_000_000_000
	store, err := authz.NewStore(rdb, keys.Builder{}, authz.StoreConfig{})
	if err != nil {
		b.Fatal(err)
	}
	ps := policies(b, fmt.Sprintf("per_second=1000000/1s:%d,per_day=%d/1d", big, big))
	f := newFixture(b, rdb, Config{Policies: ps})
	f.h.Log = discardLogger()
	f.h.Metrics = nil

	const n = 1024
	subjects := make(chan int, n)
	ids := make([]session.ID, n)
	jwtReqs := make([]events.APIGatewayCustomAuthorizerRequestTypeRequest, n)
	sessReqs := make([]events.APIGatewayCustomAuthorizerRequestTypeRequest, n)
	for i := range n {
		subjects <- i
		sub := fmt.Sprintf("bench-%d", i)
		id, _, err := f.sessions.Create(ctx, sub, session.CreateOptions{Scopes: []string{"read", "write"}})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = id
		jwtReqs[i] = request(b, "Bearer "+hs256(b, claims(sub, "j")))
		sessReqs[i] = request(b, "Session "+id.Token())
		if err := rdb.Set(ctx, "bench:raw:"+sub, "x", 0).Err(); err != nil {
			b.Fatal(err)
		}
	}
	each := func(op func(ctx context.Context, i int) error) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			i := <-subjects
			defer func() { subjects <- i }()
			return op(ctx, i)
		}
	}
	allowed := func(resp events.APIGatewayCustomAuthorizerResponse, err error) error {
		if err == nil && effect(resp) != "Allow" {
			err = fmt.Errorf("effect %q", effect(resp))
		}
		return err
	}
	for _, callers := range []int{1, 50} {
		b.Run(fmt.Sprintf("get/callers=%d", callers), func(b *testing.B) {
			redistest.RunCallers(b, callers, each(func(ctx context.Context, i int) error {
				return rdb.Get(ctx, fmt.Sprintf("bench:raw:bench-%d", i)).Err()
			}))
		})
		b.Run(fmt.Sprintf("set/callers=%d", callers), func(b *testing.B) {
			redistest.RunCallers(b, callers, each(func(ctx context.Context, i int) error {
				return rdb.Set(ctx, fmt.Sprintf("bench:raw:bench-%d", i), "x", 0).Err()
			}))
		})
		b.Run(fmt.Sprintf("decide-token/callers=%d", callers), func(b *testing.B) {
			redistest.RunCallers(b, callers, each(func(ctx context.Context, i int) error {
				c := authz.Claims{Subject: fmt.Sprintf("bench-%d", i), Issuer: testIss, ID: "j", IssuedAt: time.Now().Add(-time.Minute)}
				d, err := store.DecideToken(ctx, c, 1, ps)
				if err == nil && d.Reason != authz.ReasonOK {
					err = fmt.Errorf("decision %s", d.Reason)
				}
				return err
			}))
		})
		b.Run(fmt.Sprintf("decide-session/callers=%d", callers), func(b *testing.B) {
			redistest.RunCallers(b, callers, each(func(ctx context.Context, i int) error {
				d, err := f.sessions.Decide(ctx, ids[i], 1, ps)
				if err == nil && d.Reason != authz.ReasonOK {
					err = fmt.Errorf("decision %s", d.Reason)
				}
				return err
			}))
		})
		b.Run(fmt.Sprintf("handler-jwt/callers=%d", callers), func(b *testing.B) {
			redistest.RunCallers(b, callers, each(func(ctx context.Context, i int) error {
				return allowed(f.h.Handle(ctx, jwtReqs[i]))
			}))
		})
		b.Run(fmt.Sprintf("handler-session/callers=%d", callers), func(b *testing.B) {
			redistest.RunCallers(b, callers, each(func(ctx context.Context, i int) error {
				return allowed(f.h.Handle(ctx, sessReqs[i]))
			}))
		})
	}
}
