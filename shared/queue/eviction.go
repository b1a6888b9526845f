package queue

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// EvictionPolicy reads maxmemory_policy from INFO memory (ElastiCache forbids
// CONFIG GET) on every master, returning the first evicting policy found, or
// the policy of the last node.
func EvictionPolicy(ctx context.Context, rdb redis.UniversalClient) (policy string, evicting bool, err error) {
	var mu sync.Mutex // ForEachMaster calls read concurrently
	read := func(ctx context.Context, c redis.Cmdable) error {
		info, err := c.Info(ctx, "memory").Result()
		if err != nil {
			return fmt.Errorf("queue: INFO memory: %w", err)
		}
		p := infoField(info, "maxmemory_policy")
		mu.Lock()
		defer mu.Unlock()
		if !evicting {
			policy = p
			evicting = Evicts(p)
		}
		return nil
	}
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return read(ctx, c) })
	} else {
		err = read(ctx, rdb)
	}
	return policy, evicting, err
}

// Evicts reports whether a maxmemory policy can evict queue keys. The queue
// keeps no TTL on its keys, so only the allkeys-* policies can.
func Evicts(policy string) bool {
	return strings.HasPrefix(policy, "allkeys-")
}

func infoField(info, name string) string {
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), name+":"); ok {
			return v
		}
	}
	return ""
}
