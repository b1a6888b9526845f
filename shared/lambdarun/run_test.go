package lambdarun

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

func TestInit(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	dial := func(context.Context) (redis.UniversalClient, error) { return rdb, nil }
	var out bytes.Buffer
	h, env, err := Init(context.Background(), &out, "fn", func(string) string { return "" }, dial,
		func(ctx context.Context, env Env) (Handler[string, string], error) {
			return func(ctx context.Context, s string) (string, error) {
				env.Metrics.Count("Calls", 1)
				return strings.ToUpper(s), env.Redis.Ping(ctx).Err()
			}, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := h(context.Background(), "ok"); err != nil || got != "OK" {
		t.Fatalf("handler: %q %v", got, err)
	}
	if env.Log == nil || env.Metrics == nil || env.Redis != rdb {
		t.Fatalf("env %+v", env)
	}

	boom := errors.New("boom")
	for name, tc := range map[string]struct {
		getenv func(string) string
		dial   func(context.Context) (redis.UniversalClient, error)
		build  func(context.Context, Env) (Handler[string, string], error)
		want   string
	}{
		"bad LOG_LEVEL": {func(k string) string {
			if k == "LOG_LEVEL" {
				return "loud"
			}
			return ""
		}, dial, nil, "LOG_LEVEL"},
		"redis": {func(string) string { return "" }, func(context.Context) (redis.UniversalClient, error) { return nil, boom }, nil, "boom"},
		"build": {func(string) string { return "" }, dial, func(context.Context, Env) (Handler[string, string], error) { return nil, boom }, "boom"},
	} {
		_, _, err := Init(context.Background(), &out, "fn", tc.getenv, tc.dial, tc.build)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v", name, err)
		}
	}
	var line bytes.Buffer
	fail(&line, errors.New(`REDIS_URL: "x" is "bad"`))
	if !strings.Contains(line.String(), `"message":"init failed"`) || !strings.Contains(line.String(), `\"bad\"`) {
		t.Fatalf("fail wrote %s", line.String())
	}
}
