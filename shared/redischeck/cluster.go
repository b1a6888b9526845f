package redischeck

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"

	"github.com/lambdis/lambdis/shared/redisconn"
	"github.com/redis/go-redis/v9"
)

// clusterSlots is the number of slots a healthy cluster assigns.
const clusterSlots = 16384

// checkCluster compares the server's cluster mode with the client's and, on
// a cluster, checks its state and slot coverage on every master.
func checkCluster(ctx context.Context, r *Report, clientCluster bool, rdb redis.UniversalClient, nodes []Node) {
	serverCluster := false
	for _, n := range nodes {
		if n.Info["cluster_enabled"] == "1" {
			serverCluster = true
		}
	}
	switch {
	case !serverCluster && !clientCluster:
		r.Add(OK, "cluster", "standalone server, standalone client (%s unset)", redisconn.EnvCluster)
	case !serverCluster && clientCluster:
		r.Add(Warn, "cluster", "%s=true but the server reports cluster_enabled:0 (a proxy or an emulation answers the cluster commands); keys are routed as if it were a cluster", redisconn.EnvCluster)
	case serverCluster && !clientCluster:
		state := ""
		if ci, err := rdb.ClusterInfo(ctx).Result(); err == nil {
			m := ParseInfo(ci)
			state = fmt.Sprintf(" (cluster_state %s, %s nodes)", m["cluster_state"], m["cluster_known_nodes"])
		}
		r.Add(Fail, "cluster", "the server is a cluster node%s but %s is not true: a standalone client sends everything to one node, which answers MOVED for keys in other nodes' slots; set %s=true",
			state, redisconn.EnvCluster, redisconn.EnvCluster)
	default:
		checkClusterState(ctx, r, rdb)
	}
}

func checkClusterState(ctx context.Context, r *Report, rdb redis.UniversalClient) {
	cc, ok := rdb.(*redis.ClusterClient)
	if !ok {
		r.Add(Fail, "cluster", "internal: a cluster configuration built a %T", rdb)
		return
	}
	type answer struct {
		Addr string
		Info map[string]string
	}
	var (
		mu      sync.Mutex
		answers []answer
	)
	err := cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		s, err := c.ClusterInfo(ctx).Result()
		if err != nil {
			return fmt.Errorf("%s: %w", c.Options().Addr, err)
		}
		mu.Lock()
		defer mu.Unlock()
		answers = append(answers, answer{c.Options().Addr, ParseInfo(s)})
		return nil
	})
	if err != nil {
		r.Add(Fail, "cluster", "CLUSTER INFO: %v%s", err, ErrorHint(err))
		return
	}
	sort.Slice(answers, func(i, j int) bool { return answers[i].Addr < answers[j].Addr })
	for _, a := range answers {
		state, assigned := a.Info["cluster_state"], a.Info["cluster_slots_assigned"]
		if state != "ok" || assigned != strconv.Itoa(clusterSlots) {
			r.Add(Fail, "cluster", "%s: cluster_state %s, %s of %d slots assigned (%s failing): keys in unassigned or failed slots cannot be read or written",
				a.Addr, state, assigned, clusterSlots, a.Info["cluster_slots_fail"])
			return
		}
	}
	r.Add(OK, "cluster", "cluster_state ok, all %d slots assigned, %d masters; client in cluster mode", clusterSlots, len(answers))
}
