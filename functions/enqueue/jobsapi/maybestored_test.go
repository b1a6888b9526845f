package jobsapi

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

// slowReplies is a Redis that executes every script and then does not
// answer in time: the reply arrives only after the caller's deadline.
type slowReplies struct{}

func (slowReplies) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) { return next(ctx, network, addr) }
}

func (slowReplies) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if err := next(ctx, cmd); err != nil || !isScript(cmd) {
			return err // NOSCRIPT and the like come back at once
		}
		<-ctx.Done()
		return ctx.Err()
	}
}

func (slowReplies) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if err := next(ctx, cmds); err != nil || !isScript(cmds[0]) {
			return err
		}
		<-ctx.Done()
		return ctx.Err()
	}
}

func isScript(cmd redis.Cmder) bool {
	n := strings.ToLower(cmd.Name())
	return n == "eval" || n == "evalsha"
}

// Issue 12, item 7: a batch the store took but did not confirm in time is a
// 503 that says the jobs may have been stored.
func TestBatchTimeoutSaysMaybeStored(t *testing.T) {
	m, plain := redistest.Miniredis(t)
	slow := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = slow.Close() })
	slow.AddHook(slowReplies{})
	f := newFixture(t, slow)
	f.h.StoreTimeout, f.h.BatchTimeoutPerJob = 20*time.Millisecond, time.Millisecond
	items := make([]string, 500)
	for i := range items {
		items[i] = fmt.Sprintf(`{"queue":"slow","type":"cache.invalidate","payload":{"keys":["lambdis:cache:%d"]}}`, i)
	}
	status, b, _ := f.do(t, request("POST", RouteBatch, `{"jobs":[`+strings.Join(items, ",")+`]}`, nil))
	if status != 503 || b["type"] != apigw.TypeStoreUnavailable.URI() || b["detail"] != MsgMaybeStored {
		t.Fatalf("batch under a slow store: %d %v", status, b)
	}
	if !strings.Contains(MsgMaybeStored, "the jobs may have been stored; retry with idempotency keys") {
		t.Fatalf("detail %q", MsgMaybeStored)
	}
	if n, err := plain.XLen(context.Background(), "lambdis:q:{slow}:stream").Result(); n != 500 {
		t.Fatalf("stream holds %d entries (%v; keys %v): the store did not take the batch, so this test shows nothing", n, err, plain.Keys(context.Background(), "*").Val())
	}
}

// The batch store timeout grows with the batch, within the invocation's
// remaining time.
func TestBatchTimeoutGrowsWithinDeadline(t *testing.T) {
	h := &Handler{StoreTimeout: time.Second}
	timeout := func(ctx context.Context, jobs, size int) (lo, hi time.Duration) {
		before := time.Now()
		c, cancel := h.batchContext(ctx, jobs, size)
		after := time.Now()
		defer cancel()
		d, ok := c.Deadline()
		if !ok {
			t.Fatal("no deadline")
		}
		return d.Sub(after), d.Sub(before)
	}
	want := func(jobs, size int) time.Duration {
		return time.Second + time.Duration(jobs)*DefaultBatchTimeoutPerJob + time.Duration(int64(size)*int64(DefaultBatchTimeoutPerMB)>>20)
	}
	for _, tc := range []struct{ jobs, size int }{{1, 100}, {100, 1 << 20}, {500, 5 << 20}} {
		lo, hi := timeout(context.Background(), tc.jobs, tc.size)
		if w := want(tc.jobs, tc.size); w < lo || w > hi {
			t.Errorf("%d jobs, %d bytes: timeout in [%v, %v], want %v", tc.jobs, tc.size, lo, hi, w)
		}
	}
	// Within the remaining time: 3s left, less the margin to answer in.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	deadline, _ := ctx.Deadline()
	c, cancel2 := h.batchContext(ctx, 500, 5<<20)
	defer cancel2()
	if d, _ := c.Deadline(); d.After(deadline.Add(-batchMargin)) {
		t.Errorf("batch deadline %v is past the invocation's %v less the margin", d, deadline)
	}
}
