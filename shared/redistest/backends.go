package redistest

import (
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Miniredis starts an embedded miniredis and returns it with a client; both
// are closed when the test ends.
func Miniredis(t testing.TB) (*miniredis.Miniredis, *redis.Client) {
	t.Helper()
	m := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = c.Close() })
	return m, c
}

// Backend names one of the servers Each runs a test body against.
type Backend string

// The backends, in the order Each runs them.
const (
	BackendMiniredis Backend = "miniredis"
	BackendServer    Backend = "redis-server"
	BackendCluster   Backend = "cluster"
)

// Each runs fn as a subtest against miniredis, a real redis-server and a real
// 3-master cluster, each started for that subtest. Pass only to restrict the
// backends (e.g. only real servers for tests that miniredis cannot model).
func Each(t *testing.T, fn func(t *testing.T, rdb redis.UniversalClient), only ...Backend) {
	t.Helper()
	want := func(b Backend) bool {
		if len(only) == 0 {
			return true
		}
		for _, o := range only {
			if o == b {
				return true
			}
		}
		return false
	}
	if want(BackendMiniredis) {
		t.Run(string(BackendMiniredis), func(t *testing.T) {
			_, c := Miniredis(t)
			fn(t, c)
		})
	}
	if want(BackendServer) {
		t.Run(string(BackendServer), func(t *testing.T) {
			fn(t, StartServer(t).Client(t))
		})
	}
	if want(BackendCluster) {
		t.Run(string(BackendCluster), func(t *testing.T) {
			fn(t, StartCluster(t).Client(t))
		})
	}
}
