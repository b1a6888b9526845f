package redischeck

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lambdis/lambdis/shared/redisconn"
	"github.com/redis/go-redis/v9"
)

// Node is one server's INFO (default sections), parsed.
type Node struct {
	Addr string            // host:port, "" when the client does not say
	Info map[string]string // name → value
}

// Server is "redis 7.0.15" or "valkey 8.0.1 (redis_version 7.2.4)".
func (n Node) Server() string { return serverName(n.Info) }

// Nodes reads INFO on the one server, or on every master of a cluster.
// Plain INFO (not INFO server memory cluster) so that a pre-7.0 server,
// which takes one section only, still answers and is reported as too old.
func Nodes(ctx context.Context, rdb redis.UniversalClient) ([]Node, error) {
	var nodes []Node
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		var mu sync.Mutex
		err := cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			s, err := c.Info(ctx).Result()
			if err != nil {
				return fmt.Errorf("%s: %w", c.Options().Addr, err)
			}
			mu.Lock()
			defer mu.Unlock()
			nodes = append(nodes, Node{Addr: c.Options().Addr, Info: ParseInfo(s)})
			return nil
		})
		if err != nil {
			return nil, err
		}
	} else {
		s, err := rdb.Info(ctx).Result()
		if err != nil {
			return nil, err
		}
		addr := ""
		if c, ok := rdb.(*redis.Client); ok {
			addr = c.Options().Addr
		}
		nodes = append(nodes, Node{Addr: addr, Info: ParseInfo(s)})
	}
	if len(nodes) == 0 {
		return nil, errors.New("no master answered")
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Addr < nodes[j].Addr })
	return nodes, nil
}

// ParseInfo reads the name:value lines of an INFO or CLUSTER INFO reply.
func ParseInfo(s string) map[string]string {
	m := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = v
		}
	}
	return m
}

// where names a node in a verdict when there is more than one.
func where(nodes []Node, n Node) string {
	if len(nodes) < 2 || n.Addr == "" {
		return ""
	}
	return " on " + n.Addr
}

// parseVersion reads "major.minor[.patch]".
func parseVersion(s string) (major, minor int, ok bool) {
	parts := strings.Split(s, ".")
	if len(parts) < 2 {
		return 0, 0, false
	}
	var err1, err2 error
	major, err1 = strconv.Atoi(parts[0])
	minor, err2 = strconv.Atoi(parts[1])
	return major, minor, err1 == nil && err2 == nil
}

// serverName is "redis 7.0.15" or "valkey 8.0.1 (redis_version 7.2.4)".
func serverName(info map[string]string) string {
	if v := info["valkey_version"]; v != "" {
		return "valkey " + v + " (redis_version " + info["redis_version"] + ")"
	}
	return "redis " + info["redis_version"]
}

// bytesIEC formats n bytes as "512 B", "1.2 MiB", ...
func bytesIEC(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// RoundDuration keeps about three significant digits.
func RoundDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

// ErrorHint suggests the configuration behind a command's error.
func ErrorHint(err error) string {
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, "MOVED"), strings.HasPrefix(msg, "ASK"):
		return ": the key's slot is served by another node; set " + redisconn.EnvCluster + "=true"
	case strings.HasPrefix(msg, "CROSSSLOT"):
		return ": the keys hash to different slots"
	case strings.HasPrefix(msg, "NOPERM"):
		return ": the ACL user lacks a permission the functions need"
	case strings.Contains(msg, "unknown command"):
		return ": the command is disabled or renamed on this server"
	}
	return ""
}
