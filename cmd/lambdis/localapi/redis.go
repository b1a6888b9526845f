package localapi

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/alicebob/miniredis/v2/server"
	"github.com/lambdis/lambdis/functions/admin/adminapi"
	"github.com/lambdis/lambdis/shared/redischeck"
	"github.com/lambdis/lambdis/shared/redisconn"
	"github.com/redis/go-redis/v9"
)

// store is the Redis the functions share and how to let it go.
type store struct {
	rdb      redis.UniversalClient
	desc     string
	closer   func() error
	embedded bool // the embedded miniredis
}

// localPoolSize is the connection pool of the local server (unless
// REDIS_POOL_SIZE says otherwise): one process serves every function and the
// in-process worker, whose blocking reads hold connections, so the Lambda
// default of 4 would make requests wait behind the worker.
const localPoolSize = 64

// openStore connects to the Redis that REDIS_URL or REDIS_ADDRS names (with
// every other REDIS_* variable, as the functions read them), or, when neither
// is set, starts an embedded miniredis on a free loopback port.
func openStore(ctx context.Context, getenv func(string) string) (store, error) {
	if strings.TrimSpace(getenv(redisconn.EnvURL)) != "" || strings.TrimSpace(getenv(redisconn.EnvAddrs)) != "" {
		cfg, err := redisconn.ConfigFromEnv(getenv)
		if err != nil {
			return store{}, err
		}
		if strings.TrimSpace(getenv(redisconn.EnvPoolSize)) == "" {
			cfg.PoolSize = localPoolSize
		}
		rdb, err := redisconn.New(ctx, cfg, nil)
		if err != nil {
			return store{}, err
		}
		return store{rdb: rdb, desc: describeRedis(cfg, getenv), closer: rdb.Close}, nil
	}

	mr := miniredis.NewMiniRedis()
	if err := mr.Start(); err != nil {
		return store{}, fmt.Errorf("localapi: start embedded miniredis: %w", err)
	}
	rdb, err := redisconn.New(ctx, redisconn.Config{Addrs: []string{mr.Addr()}, PoolSize: localPoolSize}, nil)
	if err != nil {
		mr.Close()
		return store{}, err
	}
	answerInfoMemory(mr)
	stopClock := runTTLClock(mr)
	return store{
		rdb:      rdb,
		embedded: true,
		desc:     "embedded miniredis at " + mr.Addr() + " (in memory: data is lost on exit)",
		closer: func() error {
			stopClock()
			err := rdb.Close()
			mr.Close()
			return err
		},
	}, nil
}

// describeRedis says, for the banner, which Redis cfg is and where it came
// from, without secrets: "127.0.0.1:6379 from REDIS_URL (standalone, TLS,
// AUTH)".
func describeRedis(cfg redisconn.Config, getenv func(string) string) string {
	source := redisconn.EnvURL
	if strings.TrimSpace(getenv(redisconn.EnvURL)) == "" {
		source = redisconn.EnvAddrs
	}
	traits := []string{"standalone"}
	if cfg.Cluster {
		traits[0] = "cluster"
	}
	if cfg.DB != 0 {
		traits = append(traits, fmt.Sprintf("db %d", cfg.DB))
	}
	if cfg.TLS {
		traits = append(traits, "TLS")
	}
	if cfg.Password != "" || cfg.AuthSecretARN != "" {
		traits = append(traits, "AUTH")
	}
	return fmt.Sprintf("%s from %s (%s)", strings.Join(cfg.Addrs, ","), source, strings.Join(traits, ", "))
}

// RedisPool is the connection pool size of the server's Redis client (per
// node).
func (s *Server) RedisPool() int {
	switch c := s.rdb.(type) {
	case *redis.Client:
		return c.Options().PoolSize
	case *redis.ClusterClient:
		return c.Options().PoolSize
	}
	return 0
}

// LocalPoolSize is the pool the server uses when REDIS_POOL_SIZE is unset
// (always, with the embedded miniredis).
const LocalPoolSize = localPoolSize

// answerInfoMemory makes the embedded miniredis answer INFO memory as what
// it is, a Redis that never evicts (it has no maxmemory), instead of an
// error: the worker's eviction check reads INFO memory, and would warn on
// every start of the default `lambdis serve`.
func answerInfoMemory(mr *miniredis.Miniredis) {
	mr.Server().SetPreHook(func(c *server.Peer, cmd string, args ...string) bool {
		if cmd != "INFO" || len(args) != 1 || !strings.EqualFold(args[0], "memory") {
			return false
		}
		c.WriteBulk("# Memory\r\nmaxmemory:0\r\nmaxmemory_policy:noeviction\r\n")
		return true
	})
}

// ttlTick is how often the embedded miniredis's TTLs are advanced.
const ttlTick = time.Second

// runTTLClock makes the embedded miniredis expire keys with the wall clock:
// miniredis only counts TTLs down when told to (FastForward). Its TIME
// already reads the wall clock, so scripts see real time either way.
func runTTLClock(mr *miniredis.Miniredis) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(ttlTick)
		defer t.Stop()
		last := time.Now()
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				mr.FastForward(now.Sub(last))
				last = now
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(done) })
		wg.Wait()
	}
}

// embeddedChecks are the admin API's Redis checks on the embedded
// miniredis: the checks that read a real server's INFO (version, eviction,
// memory) would only warn that it reports none, so one "server" verdict
// says what it is instead; the others run as they do on any Redis.
type embeddedChecks struct{ adminapi.RedisChecks }

// Check runs the checks.
func (c embeddedChecks) Check(ctx context.Context) redischeck.Report {
	var out redischeck.Report
	for _, ch := range c.RedisChecks.Check(ctx).Checks {
		switch ch.Name {
		case "version", "eviction", "memory", "info":
			continue
		}
		out.Add(ch.Level, ch.Name, "%s", ch.Detail)
		if ch.Name == "connect" && ch.Level == redischeck.OK {
			out.Add(redischeck.OK, "server", "the embedded miniredis of lambdis serve: in memory (nothing is evicted; everything is lost on exit); "+
				"the version, eviction and memory checks need a real Redis: start serve with REDIS_URL to check one")
		}
	}
	return out
}
