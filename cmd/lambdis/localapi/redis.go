package localapi

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/lambdis/lambdis/shared/redisconn"
	"github.com/redis/go-redis/v9"
)

// store is the Redis the functions share and how to let it go.
type store struct {
	rdb    redis.UniversalClient
	desc   string
	closer func() error
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
		return store{rdb: rdb, desc: cfg.String(), closer: rdb.Close}, nil
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
	stopClock := runTTLClock(mr)
	return store{
		rdb:  rdb,
		desc: "embedded miniredis at " + mr.Addr() + " (in memory: data is lost on exit)",
		closer: func() error {
			stopClock()
			err := rdb.Close()
			mr.Close()
			return err
		},
	}, nil
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
