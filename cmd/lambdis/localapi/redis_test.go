package localapi

import (
	"context"
	"testing"

	"github.com/lambdis/lambdis/shared/queue"
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
