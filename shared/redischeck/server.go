package redischeck

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Thresholds of the server checks.
const (
	memoryWarnPercent = 80 // used_memory / maxmemory, in percent
	minRedisMajor     = 7  // the floor (DESIGN.md, "Redis versions")
	minRedisMinor     = 0
	minRedisVersion   = "7.0"

	// What a volatile-* policy may evict.
	ttlKeys = "idempotency records, cache entries, rate-limit state, sessions and token revocations carry TTLs"
)

// checkVersion fails when a node's redis_version (what Valkey reports for
// compatibility, too) is below the 7.0 floor.
func checkVersion(r *Report, nodes []Node) {
	var lowest *Node
	lowMaj, lowMin := 0, 0
	names := map[string]bool{}
	for i := range nodes {
		n := &nodes[i]
		names[serverName(n.Info)] = true
		maj, min, ok := parseVersion(n.Info["redis_version"])
		if !ok {
			r.Add(Warn, "version", "INFO server%s reports redis_version %q: cannot check the %s floor", where(nodes, *n), n.Info["redis_version"], minRedisVersion)
			return
		}
		if lowest == nil || maj < lowMaj || maj == lowMaj && min < lowMin {
			lowest, lowMaj, lowMin = n, maj, min
		}
	}
	mixed := ""
	if len(names) > 1 {
		all := make([]string, 0, len(names))
		for n := range names {
			all = append(all, n)
		}
		sort.Strings(all)
		mixed = "; the nodes run " + strings.Join(all, ", ")
	}
	if lowMaj < minRedisMajor || lowMaj == minRedisMajor && lowMin < minRedisMinor {
		r.Add(Fail, "version", "%s%s: Lambdis needs Redis %s or later (or Valkey)%s", serverName(lowest.Info), where(nodes, *lowest), minRedisVersion, mixed)
		return
	}
	on := ""
	if len(nodes) > 1 {
		on = fmt.Sprintf(" (lowest of %d masters)", len(nodes))
	}
	r.Add(OK, "version", "%s%s, at least %s%s", serverName(lowest.Info), on, minRedisVersion, mixed)
}

// evictionVerdict classifies a maxmemory-policy.
func evictionVerdict(policy string) (Level, string) {
	switch {
	case policy == "":
		return Warn, "INFO memory reports no maxmemory_policy: cannot tell whether keys may be evicted"
	case policy == "noeviction":
		return OK, "maxmemory-policy noeviction: nothing is evicted (at maxmemory, writes fail with OOM instead)"
	case strings.HasPrefix(policy, "volatile-"):
		return Warn, "maxmemory-policy " + policy + ": under memory pressure keys with a TTL may be evicted: " + ttlKeys +
			" (an evicted revocation lets a revoked token in again); queue data carries none. Prefer noeviction"
	case strings.HasPrefix(policy, "allkeys-"):
		return Fail, "maxmemory-policy " + policy + ": any key may be evicted, queue streams and job records included: jobs lost. " +
			"Set maxmemory-policy noeviction (on ElastiCache, in the parameter group)"
	}
	return Warn, "maxmemory-policy " + policy + ": unknown policy"
}

// checkEviction reports the worst policy over the nodes.
func checkEviction(r *Report, nodes []Node) {
	worst, detail, at := OK, "", Node{}
	policies := map[string]bool{}
	for i, n := range nodes {
		policies[n.Info["maxmemory_policy"]] = true
		l, d := evictionVerdict(n.Info["maxmemory_policy"])
		if i == 0 || l > worst {
			worst, detail, at = l, d, n
		}
	}
	if len(policies) == 1 && len(nodes) > 1 {
		r.Add(worst, "eviction", "%s (all %d masters)", detail, len(nodes))
		return
	}
	r.Add(worst, "eviction", "%s%s", detail, where(nodes, at))
}

// memoryVerdict classifies one node's memory use; fill orders nodes by how
// full they are (the percentage of maxmemory, else the bytes used).
func memoryVerdict(info map[string]string) (l Level, detail string, fill float64) {
	used, err1 := strconv.ParseInt(info["used_memory"], 10, 64)
	max, err2 := strconv.ParseInt(info["maxmemory"], 10, 64)
	switch {
	case err1 != nil || err2 != nil:
		return Warn, "INFO memory lacks used_memory or maxmemory", 0
	case max == 0:
		return OK, fmt.Sprintf("used %s, no maxmemory limit", bytesIEC(used)), float64(used)
	}
	pct := 100 * float64(used) / float64(max)
	d := fmt.Sprintf("used %s of maxmemory %s (%.0f%%)", bytesIEC(used), bytesIEC(max), pct)
	if pct >= memoryWarnPercent {
		return Warn, fmt.Sprintf("%s, above %d%%: at maxmemory, noeviction refuses writes (OOM) and other policies evict", d, memoryWarnPercent), pct
	}
	return OK, d, pct
}

// checkMemory reports the fullest node.
func checkMemory(r *Report, nodes []Node) {
	worst, detail, top, at := OK, "", -1.0, Node{}
	for _, n := range nodes {
		l, d, fill := memoryVerdict(n.Info)
		if l > worst || l == worst && fill > top {
			worst, detail, top, at = l, d, fill, n
		}
	}
	if len(nodes) > 1 {
		r.Add(worst, "memory", "%s on %s, the fullest of %d masters", detail, at.Addr, len(nodes))
		return
	}
	r.Add(worst, "memory", "%s", detail)
}
