package localapi

import (
	"context"
	"slices"
	"testing"

	"github.com/lambdis/lambdis/functions/admin/adminapi"
	"github.com/lambdis/lambdis/shared/queue"
	"github.com/lambdis/lambdis/shared/redischeck"
)

// The embedded miniredis answers INFO memory as a Redis that never evicts,
// so the worker's eviction check finds noeviction instead of warning on
// every start of the default `lambdis serve`; other INFO sections are
// miniredis's own.
func TestEmbeddedRedisReportsNoEviction(t *testing.T) {
	ctx := context.Background()
	st, err := openStore(ctx, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	defer st.closer()
	policy, evicting, err := queue.EvictionPolicy(ctx, st.rdb)
	if err != nil || policy != "noeviction" || evicting {
		t.Errorf("EvictionPolicy = %q, %v, %v; want noeviction, false, nil", policy, evicting, err)
	}
	if info, err := st.rdb.Info(ctx, "clients").Result(); err != nil || info == "" {
		t.Errorf("INFO clients: %q, %v", info, err)
	}
}

// GET /admin/redis on the embedded miniredis: no check warns about what a
// miniredis does not report; one "server" verdict says what it is.
func TestEmbeddedRedisChecks(t *testing.T) {
	ctx := context.Background()
	st, err := openStore(ctx, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	defer st.closer()
	c := embeddedChecks{adminapi.RedisChecks{Client: st.rdb, Options: redischeck.Options{ProbeKey: "doctor:{probe}"}}}
	r := c.Check(ctx)
	var names []string
	for _, ch := range r.Checks {
		names = append(names, ch.Name)
	}
	want := []string{"connect", "server", "cluster", "scripting", "clock"}
	if !slices.Equal(names, want) || r.OK != len(want) || r.Warn+r.Fail != 0 {
		t.Errorf("checks %v (%+v), want %v all ok", names, r, want)
	}
	// The same checks without the wrapper warn about what INFO lacks.
	if raw := c.RedisChecks.Check(ctx); raw.Warn == 0 {
		t.Errorf("miniredis's INFO passed every check unwrapped: %+v; the wrapper has nothing to replace", raw)
	}
}
