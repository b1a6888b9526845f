package redistest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Cluster is a real Redis Cluster of three masters (no replicas) whose 16384
// slots are split evenly, owned by a test.
type Cluster struct {
	Addrs []string
	Nodes []*Server
}

// StartCluster starts three `redis-server --cluster-enabled yes` processes,
// assigns the slots, joins them and waits for cluster_state:ok.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	if ServerBinary() == "" {
		SkipOrFail(t, "redis-server not found on PATH (install Debian's redis-server package); needed for the 3-master cluster")
	}
	c := &Cluster{}
	for i := 0; i < 3; i++ {
		c.Nodes = append(c.Nodes, startClusterNode(t))
		c.Addrs = append(c.Addrs, c.Nodes[i].Addr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.form(ctx); err != nil {
		t.Fatalf("redistest: form cluster: %v", err)
	}
	return c
}

func startClusterNode(t testing.TB) *Server {
	t.Helper()
	s := &Server{t: t, bin: ServerBinary(), dir: t.TempDir(), args: []string{
		"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
		"--cluster-node-timeout", "5000",
	}}
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if s.port, err = freePort(true); err != nil {
			continue
		}
		if err = s.start(); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("redistest: start cluster node: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

func (c *Cluster) form(ctx context.Context) error {
	per := 16384 / len(c.Nodes)
	var clients []*redis.Client
	defer func() {
		for _, cl := range clients {
			_ = cl.Close()
		}
	}()
	for i, n := range c.Nodes {
		cl := redis.NewClient(&redis.Options{Addr: n.Addr})
		clients = append(clients, cl)
		lo, hi := i*per, (i+1)*per-1
		if i == len(c.Nodes)-1 {
			hi = 16383
		}
		if err := cl.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", lo, hi).Err(); err != nil {
			return fmt.Errorf("ADDSLOTSRANGE on %s: %w", n.Addr, err)
		}
	}
	for _, n := range c.Nodes[1:] {
		if err := clients[0].ClusterMeet(ctx, "127.0.0.1", strconv.Itoa(n.port)).Err(); err != nil {
			return fmt.Errorf("CLUSTER MEET %s: %w", n.Addr, err)
		}
	}
	for {
		ok := true
		for _, cl := range clients {
			info, err := cl.ClusterInfo(ctx).Result()
			if err != nil || !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, "cluster_known_nodes:3") {
				ok = false
				break
			}
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster did not reach cluster_state:ok: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Client returns a cluster client, closed when the test ends.
func (c *Cluster) Client(t testing.TB) *redis.ClusterClient {
	cl := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs, PoolSize: 64})
	t.Cleanup(func() { _ = cl.Close() })
	return cl
}

// Calls sums INFO commandstats calls over every node.
func (c *Cluster) Calls(ctx context.Context) (map[string]int64, error) {
	sum := map[string]int64{}
	for _, n := range c.Nodes {
		m, err := n.Calls(ctx)
		if err != nil {
			return nil, err
		}
		for k, v := range m {
			sum[k] += v
		}
	}
	return sum, nil
}
