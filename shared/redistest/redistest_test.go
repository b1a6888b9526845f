package redistest

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestEachBackendServesCommands(t *testing.T) {
	Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		// Keys in different slots: the cluster client routes each to its node.
		for _, k := range []string{"a", "b", "c", "{x}1", "{x}2"} {
			if err := rdb.Set(ctx, k, k, 0).Err(); err != nil {
				t.Fatalf("SET %s: %v", k, err)
			}
			if v, err := rdb.Get(ctx, k).Result(); err != nil || v != k {
				t.Fatalf("GET %s = %q, %v", k, v, err)
			}
		}
	})
}

func TestClusterRejectsCrossSlot(t *testing.T) {
	c := StartCluster(t)
	rdb := c.Client(t)
	ctx := context.Background()
	err := rdb.Eval(ctx, "return redis.call('MSET', KEYS[1], 1, KEYS[2], 2)", []string{"{a}x", "{b}y"}).Err()
	if err == nil {
		t.Fatal("a script over two slots succeeded; the cluster is not enforcing slots")
	}
	if err := rdb.Eval(ctx, "return redis.call('MSET', KEYS[1], 1, KEYS[2], 2)", []string{"{a}x", "{a}y"}).Err(); err != nil {
		t.Fatalf("same-slot script: %v", err)
	}
	// Slots are spread over all three masters.
	var masters atomic.Int32
	if err := rdb.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error {
		masters.Add(1)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if masters := masters.Load(); masters != 3 {
		t.Fatalf("masters = %d, want 3", masters)
	}
}

func TestServerStopRestartAndCalls(t *testing.T) {
	s := StartServer(t)
	rdb := s.Client(t)
	ctx := context.Background()
	before, err := s.Calls(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := rdb.Incr(ctx, "n").Err(); err != nil {
		t.Fatal(err)
	}
	after, err := s.Calls(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := CallsDelta(before, after); d["incr"] != 1 {
		t.Fatalf("delta = %v, want incr:1", d)
	}
	s.Stop()
	cctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := rdb.Ping(cctx).Err(); err == nil {
		t.Fatal("PING succeeded on a stopped server")
	}
	s.Restart()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING after restart: %v", err)
	}
}
