package lambdarun

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/lambdis/lambdis/shared/xray"
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

// Inside Lambda (AWS_XRAY_DAEMON_ADDRESS set) the client Init builds sends
// a sampled invocation's Redis calls to the daemon.
func TestInitTracesRedis(t *testing.T) {
	srv := redistest.StartServer(t)
	daemon, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer daemon.Close()
	getenv := func(k string) string {
		if k == xray.EnvDaemonAddress {
			return daemon.LocalAddr().String()
		}
		return ""
	}
	dial := func(context.Context) (redis.UniversalClient, error) { return srv.Client(t), nil }
	h, _, err := Init(context.Background(), io.Discard, "fn", getenv, dial,
		func(ctx context.Context, env Env) (Handler[string, string], error) {
			return func(ctx context.Context, key string) (string, error) {
				return env.Redis.Get(ctx, key).Result()
			}, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	ctx := xray.WithHeader(context.Background(), "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
	if _, err := h(ctx, "absent"); err != redis.Nil {
		t.Fatalf("handler: %v", err)
	}
	// The client's first command also opens its connection (HELLO, CLIENT
	// SETINFO): read until the GET's subsegment.
	buf := make([]byte, 64*1024)
	for {
		if err := daemon.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
			t.Fatal(err)
		}
		n, err := daemon.Read(buf)
		if err != nil {
			t.Fatalf("no subsegment with GET: %v", err)
		}
		if strings.Contains(string(buf[:n]), `"trace_id":"1-5759e988-bd862e3fe1be46a994272793"`) && strings.Contains(string(buf[:n]), `"commands":["GET"]`) {
			return
		}
	}
}
