package drainer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/queue"
	"github.com/lambdis/lambdis/shared/telemetry"
	"github.com/redis/go-redis/v9"
)

// logBuffer collects JSON log lines written from several goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the records whose message is msg.
func (b *logBuffer) lines(t testing.TB, msg string) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b.buf.Bytes()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		if rec["message"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// env is a Getenv over a map.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// fixture is a Handler on rdb with the test's own registry.
type fixture struct {
	h       *Handler
	client  *queue.Client
	logs    *logBuffer
	metrics *telemetry.Metrics
}

func newFixture(t testing.TB, rdb redis.UniversalClient, reg *queue.Registry, vars map[string]string) *fixture {
	t.Helper()
	cfg, err := ConfigFromEnv(env(vars))
	if err != nil {
		t.Fatal(err)
	}
	m, err := telemetry.NewMetrics("Test", telemetry.Dim{Name: "Function", Value: "worker"})
	if err != nil {
		t.Fatal(err)
	}
	// Reads wait 20ms, not a second, for new entries: the tests do not
	// wait on empty queues.
	cfg.Worker.MaxBlock = 20 * time.Millisecond
	if vars[EnvLinger] == "" {
		cfg.Worker.Linger = 0 // a run returns once idle, unless the test lingers
	}
	logs := &logBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("worker log:\n%s", logs)
		}
	})
	return &fixture{
		h:      New(rdb, keys.Builder{}, reg, cfg, telemetry.NewLogger(logs, "worker"), m),
		client: queue.NewClient(rdb, keys.Builder{}, cfg.Retention), logs: logs, metrics: m,
	}
}

// flush returns the metrics recorded since the last flush, by name.
func (f *fixture) flush(t testing.TB) map[string]float64 {
	t.Helper()
	var buf bytes.Buffer
	if err := f.metrics.Flush(&buf); err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(&buf)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var doc map[string]any
		if err := json.Unmarshal(sc.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if doc["Function"] != "worker" {
			t.Errorf("EMF document without Function=worker: %s", sc.Text())
		}
		meta := doc["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)[0].(map[string]any)
		for _, m := range meta["Metrics"].([]any) {
			name := m.(map[string]any)["Name"].(string)
			if unit := m.(map[string]any)["Unit"]; unit != telemetry.UnitCount {
				t.Errorf("metric %s has unit %v", name, unit)
			}
			out[name] = doc[name].(float64)
		}
	}
	return out
}

// handle invokes the handler with input and a deadline of budget.
func (f *fixture) handle(t testing.TB, input string, budget time.Duration) (queue.Summary, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	return f.h.Handle(ctx, json.RawMessage(input))
}

// enqueue adds n jobs of typ with payload to q and returns their ids.
func enqueue(t testing.TB, c *queue.Client, q, typ, payload string, n int) []string {
	t.Helper()
	var ids []string
	for start := 0; start < n; start += queue.MaxBatch {
		var batch []queue.Job
		for i := start; i < min(n, start+queue.MaxBatch); i++ {
			batch = append(batch, queue.Job{Queue: q, Type: typ, Payload: json.RawMessage(payload)})
		}
		out, err := c.EnqueueBatch(context.Background(), batch)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range out {
			if e.Err != nil {
				t.Fatal(e.Err)
			}
			ids = append(ids, e.ID)
		}
	}
	return ids
}

// summaryFields are the JSON names of queue.Summary's fields.
func summaryFields(t testing.TB) []string {
	t.Helper()
	b, err := json.Marshal(queue.Summary{EvictionPolicy: "x"})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func mustBooks(t testing.TB, c *queue.Client, q string) queue.Books {
	t.Helper()
	b, err := c.Books(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
