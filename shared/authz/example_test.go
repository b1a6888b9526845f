package authz_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/lambdis/lambdis/shared/authz"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/ratelimit"
	"github.com/redis/go-redis/v9"
)

// Verify a bearer token, then decide the request in one script: revocation,
// the subject's revoke-all cut-off and every rate-limit policy. A revoked
// token is refused before it spends any budget.
func ExampleStore_DecideToken() {
	ctx := context.Background()
	rdb := newRedis()
	defer rdb.Close()
	secret := []byte("an-hs256-secret-of-at-least-32-bytes!")

	verifier, err := authz.NewVerifier(authz.VerifierConfig{HMACSecret: secret, Algorithms: []string{authz.AlgHS256}})
	if err != nil {
		panic(err)
	}
	store, err := authz.NewStore(rdb, keys.Builder{}, authz.StoreConfig{})
	if err != nil {
		panic(err)
	}
	policies := []ratelimit.Policy{{Name: "per_minute", Rate: 60, Period: time.Minute, Burst: 10}}

	raw, err := authz.SignHS256(secret, authz.Claims{Subject: "alice", ID: "token-1", Scopes: []string{"read"}}, time.Now(), time.Hour)
	if err != nil {
		panic(err)
	}
	claims, err := verifier.Verify(ctx, raw)
	if err != nil {
		panic(err)
	}
	fmt.Println(claims.Subject, claims.Scopes)

	d, err := store.DecideToken(ctx, claims, 1, policies)
	if err != nil {
		panic(err)
	}
	fmt.Println(d.Reason, d.Limit.Results[0].Remaining)

	if err := store.Revoke(ctx, claims.Subject, claims.Issuer, claims.ID, claims.ExpiresAt); err != nil {
		panic(err)
	}
	d, err = store.DecideToken(ctx, claims, 1, policies)
	if err != nil {
		panic(err)
	}
	fmt.Println(d.Reason)
	// Output:
	// alice [read]
	// ok 9
	// revoked
}

// BearerToken reads an Authorization header value; Verify rejects a
// malformed or forged token with a TokenError that says why.
func ExampleVerifier_Verify_rejected() {
	v, err := authz.NewVerifier(authz.VerifierConfig{HMACSecret: []byte("an-hs256-secret-of-at-least-32-bytes!"), Algorithms: []string{authz.AlgHS256}})
	if err != nil {
		panic(err)
	}
	forged, _ := authz.SignHS256([]byte("another-secret-that-is-32-bytes-long"), authz.Claims{Subject: "mallory"}, time.Now(), time.Hour)
	raw, _ := authz.BearerToken("Bearer " + forged)
	_, err = v.Verify(context.Background(), raw)
	var te *authz.TokenError
	if errors.As(err, &te) {
		fmt.Println("rejected:", te.Reason)
	}
	// Output: rejected: signature
}

// newRedis is an in-memory Redis (miniredis) for the examples; use
// redisconn.New for a real one.
func newRedis() *redis.Client {
	mr, err := miniredis.Run()
	if err != nil {
		panic(err)
	}
	return redis.NewClient(&redis.Options{Addr: mr.Addr()})
}
