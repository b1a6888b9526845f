package jobsapi

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/queue"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/lambdis/lambdis/shared/telemetry"
	"github.com/redis/go-redis/v9"
)

// wakingQueue is the real queue client whose answers say a worker was woken
// for the first job of each queue, the wake failing on the queues in fail:
// what queue.Client reports when its Waker is called.
type wakingQueue struct {
	*queue.Client
	fail map[string]bool
}

func (q *wakingQueue) mark(seen map[string]bool, name string, e *queue.Enqueued) {
	if seen[name] || e.Err != nil {
		return
	}
	seen[name] = true
	e.Woken = true
	if q.fail[name] {
		e.WakeErr = errors.New("lambdawake: invoke lambdis-worker: connection refused")
		e.RegisterErr = errors.New("queue: register broken: connection reset")
	}
}

func (q *wakingQueue) Enqueue(ctx context.Context, j queue.Job) (queue.Enqueued, error) {
	e, err := q.Client.Enqueue(ctx, j)
	if err == nil {
		q.mark(map[string]bool{}, j.Queue, &e)
	}
	return e, err
}

func (q *wakingQueue) EnqueueBatch(ctx context.Context, jobs []queue.Job) ([]queue.Enqueued, error) {
	out, err := q.Client.EnqueueBatch(ctx, jobs)
	seen := map[string]bool{}
	for i := range out {
		q.mark(seen, jobs[i].Queue, &out[i])
	}
	return out, err
}

// countMetrics records counts.
type countMetrics struct {
	mu sync.Mutex
	n  map[string]int
}

func (m *countMetrics) Count(name string, n int, _ ...telemetry.Dim) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.n == nil {
		m.n = map[string]int{}
	}
	m.n[name] += n
}

// A failed wake is logged at WARN with the queue and the error and counted
// as WakeFailed; the answer is still 202 and the job is stored. A wake that
// worked is counted as Woken.
func TestWakeIsLoggedAndCounted(t *testing.T) {
	srv := redistest.StartServer(t)
	rdb := srv.Client(t)
	f := newFixture(t, rdb)
	m := &countMetrics{}
	f.h.Metrics = m
	f.h.Queue = &wakingQueue{Client: f.q, fail: map[string]bool{"broken": true}}

	failed := f.enqueued(t, post(cacheJob("broken", "lambdis:cache:a")))
	if rec := f.record(t, failed.ID); rec.State != queue.StateQueued {
		t.Fatalf("the job of a failed wake: %+v", rec)
	}
	f.enqueued(t, post(cacheJob("email", "lambdis:cache:b")))
	status, _, _ := f.do(t, request("POST", RouteBatch, `{"jobs":[`+
		cacheJob("broken", "lambdis:cache:c")+","+cacheJob("broken", "lambdis:cache:d")+","+cacheJob("email", "lambdis:cache:e")+`]}`, nil))
	if status != 202 {
		t.Fatalf("batch with a failed wake: %d", status)
	}
	if m.n[MetricWakeFailed] != 2 || m.n[MetricWoken] != 2 {
		t.Errorf("metrics %v, want 2 %s (one per request on queue broken) and 2 %s", m.n, MetricWakeFailed, MetricWoken)
	}
	var warns int
	for line := range strings.SplitSeq(strings.TrimSpace(f.logs.String()), "\n") {
		var l map[string]any
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if l["level"] == "WARN" && strings.Contains(l["message"].(string), "not registered") {
			if l["queue"] != "broken" || !strings.Contains(l["error"].(string), "connection reset") {
				t.Errorf("registry WARN line %v, want the queue and the error", l)
			}
			continue
		}
		if l["level"] == "WARN" {
			warns++
			if l["queue"] != "broken" || !strings.Contains(l["error"].(string), "connection refused") || l["metric"] != MetricWakeFailed {
				t.Errorf("WARN line %v, want the queue, the error and the metric", l)
			}
		}
	}
	if warns != 2 {
		t.Errorf("%d WARN lines, want one per failed wake:\n%s", warns, f.logs.String())
	}
	if b, err := f.q.Books(context.Background(), "broken"); err != nil || b.Enqueued != 3 || b.Stream != 3 {
		t.Errorf("books of broken %+v %v: every job of a failed wake is stored", b, err)
	}
}

// With ENQUEUE_QUEUES set, a job naming another queue, alone or in a batch,
// is a 400 that lists the allowed names with the job's pointer, and the
// server holds no new key.
func TestQueueAllowList(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		f := newFixture(t, rdb)
		f.h.Queues = []string{"default", "cache"}
		ctx := context.Background()
		f.enqueued(t, post(cacheJob("cache", "lambdis:cache:a")))
		size := dbSize(t, rdb)

		status, body, _ := f.do(t, post(cacheJob("orders", "lambdis:cache:b")))
		checkAllowListProblem(t, status, body, "/queue")
		status, body, _ = f.do(t, request("POST", RouteBatch, `{"jobs":[`+
			cacheJob("default", "lambdis:cache:c")+","+cacheJob("orders", "lambdis:cache:d")+`]}`, nil))
		checkAllowListProblem(t, status, body, "/jobs/1/queue")
		if n := dbSize(t, rdb); n != size {
			t.Errorf("refused jobs wrote %d keys", n-size)
		}
		if b, err := f.q.Books(ctx, "default"); err != nil || b.Enqueued != 0 {
			t.Errorf("books of default %+v %v: the batch's allowed job was written", b, err)
		}
		// The allowed queues still work, alone and in a batch.
		f.enqueued(t, post(cacheJob("default", "lambdis:cache:e")))
		if status, _, _ := f.do(t, request("POST", RouteBatch, `{"jobs":[`+cacheJob("cache", "lambdis:cache:f")+`]}`, nil)); status != 202 {
			t.Errorf("an allowed batch: %d", status)
		}
	})
}

func checkAllowListProblem(t *testing.T, status int, body map[string]any, pointer string) {
	t.Helper()
	if status != 400 || body["type"] != apigw.TypeBadRequest.URI() {
		t.Fatalf("a queue outside ENQUEUE_QUEUES: %d %v", status, body)
	}
	errs, _ := body["errors"].([]any)
	if len(errs) != 1 {
		t.Fatalf("errors %v, want one", body["errors"])
	}
	e := errs[0].(map[string]any)
	detail, _ := e["detail"].(string)
	if e["pointer"] != pointer || !strings.Contains(detail, `"orders"`) || !strings.Contains(detail, "default, cache") || !strings.Contains(detail, EnvQueues) {
		t.Errorf("error %v, want pointer %s and a detail naming the queue and the allowed ones", e, pointer)
	}
	if !strings.Contains(body["detail"].(string), "default, cache") {
		t.Errorf("detail %q does not list the allowed queues", body["detail"])
	}
}

func dbSize(t *testing.T, rdb redis.UniversalClient) int64 {
	t.Helper()
	ctx := context.Background()
	if c, ok := rdb.(*redis.ClusterClient); ok {
		var n int64
		var mu sync.Mutex
		err := c.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
			s, err := m.DBSize(ctx).Result()
			mu.Lock()
			n += s
			mu.Unlock()
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	n, err := rdb.DBSize(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// ENQUEUE_QUEUES is read at init; a bad name or a repeated one names the
// variable.
func TestFromEnvQueues(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	env := func(extra map[string]string) func(string) string {
		return func(k string) string {
			if v, ok := extra[k]; ok {
				return v
			}
			return map[string]string{"WEBHOOK_SECRET": testSecret}[k]
		}
	}
	for _, bad := range []string{"a,{b}", "a,a", "a,,b"} {
		if _, err := FromEnv(context.Background(), env(map[string]string{EnvQueues: bad}), rdb, nil, nil); err == nil || !strings.Contains(err.Error(), EnvQueues) {
			t.Errorf("%s=%q: %v", EnvQueues, bad, err)
		}
	}
	h, err := FromEnv(context.Background(), env(map[string]string{EnvQueues: " default , cache"}), rdb, nil, nil)
	if err != nil || strings.Join(h.Queues, ",") != "default,cache" {
		t.Fatalf("%+v %v", h, err)
	}
}
