package drainer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/envvar"
	"github.com/lambdis/lambdis/shared/queue"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

// fastEnv is a worker that retries within milliseconds.
var fastEnv = map[string]string{
	EnvQueues: "email,billing", EnvFunctionTimeout: "5s", EnvJobTimeout: "1s",
	EnvBackoffBase: "1ms", EnvBackoffMax: "5ms",
}

func TestParseInput(t *testing.T) {
	good := map[string]Input{
		``:                                     {},
		` null `:                               {},
		`{}`:                                   {},
		`{"queues":["email"]}`:                 {Queues: []string{"email"}},
		`{"queues":["a","b"],"max_jobs":500}`:  {Queues: []string{"a", "b"}, MaxJobs: 500},
		`{"max_jobs":0}`:                       {},
		"{\"queues\":[]}\n":                    {Queues: []string{}},
		`{"queues":["émail-1"],"max_jobs":1}`:  {Queues: []string{"émail-1"}, MaxJobs: 1},
		`{"queues":null,"max_jobs":1000000}`:   {MaxJobs: MaxMaxJobs},
		`{"queues":["q"],"max_jobs":7}` + "\t": {Queues: []string{"q"}, MaxJobs: 7},
	}
	for raw, want := range good {
		got, err := ParseInput([]byte(raw))
		if err != nil || !slices.Equal(got.Queues, want.Queues) || got.MaxJobs != want.MaxJobs {
			t.Errorf("ParseInput(%q) = %+v, %v; want %+v", raw, got, err, want)
		}
	}
	bad := []string{
		`{"queue":["email"]}`,                            // unknown member
		`{"queues":"email"}`,                             // not a list
		`{"queues":["email"]} {}`,                        // trailing data
		`{"max_jobs":-1}`,                                // negative
		`{"max_jobs":1.5}`,                               // not whole
		`{"max_jobs":1000001}`,                           // over the bound
		`{"queues":["a","a"]}`,                           // repeated
		`{"queues":["{a}"]}`,                             // braces
		`{"queues":[""]}`,                                // empty name
		`{"queues":["a b"]}`,                             // space
		`{"queues":["` + strings.Repeat("q", 65) + `"]}`, // too long
		`[]`,
		`"email"`,
		`{"version":"0","detail-type":"Scheduled Event","source":"aws.events"}`, // an EventBridge rule's event
		`{`,
		strings.Repeat(" ", MaxInput+1),
	}
	for _, raw := range bad {
		if in, err := ParseInput([]byte(raw)); !errors.Is(err, ErrInput) {
			t.Errorf("ParseInput(%.80q) = %+v, %v; want an ErrInput", raw, in, err)
		}
	}
}

func TestConfigFromEnvDefaults(t *testing.T) {
	c, err := ConfigFromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	w := c.Worker
	if c.Queues != nil || w.Concurrency != 10 || w.Batch != 100 || w.FunctionTimeout != time.Minute || w.JobTimeout != 30*time.Second ||
		w.SettleReserve != time.Second || w.ReclaimMargin != 30*time.Second || w.MaxDeliveries != 5 ||
		w.Backoff.Base != time.Second || w.Backoff.Max != time.Hour || c.Retention != 24*time.Hour {
		t.Errorf("defaults %+v", c)
	}
	// A short function timeout scales the job timeout and settle reserve.
	c, err = ConfigFromEnv(env(map[string]string{EnvFunctionTimeout: "2s", EnvQueues: " email , billing "}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Worker.JobTimeout != time.Second || c.Worker.SettleReserve != 250*time.Millisecond || !slices.Equal(c.Queues, []string{"email", "billing"}) {
		t.Errorf("2s function: %+v", c)
	}
	all := map[string]string{
		EnvQueues: "a", EnvConcurrency: "50", EnvBatch: "200", EnvJobTimeout: "10s", EnvFunctionTimeout: "15m",
		EnvReclaimMargin: "1m", EnvMaxDeliveries: "9", EnvBackoffBase: "2s", EnvBackoffMax: "10m", EnvRetention: "72h",
	}
	c, err = ConfigFromEnv(env(all))
	if err != nil {
		t.Fatal(err)
	}
	w = c.Worker
	if w.Concurrency != 50 || w.Batch != 200 || w.JobTimeout != 10*time.Second || w.FunctionTimeout != 15*time.Minute ||
		w.ReclaimMargin != time.Minute || w.MaxDeliveries != 9 || w.Backoff.Base != 2*time.Second || w.Backoff.Max != 10*time.Minute ||
		c.Retention != 72*time.Hour || w.ReclaimAfter() != 16*time.Minute {
		t.Errorf("all set: %+v", c)
	}
}

func TestConfigFromEnvNamesTheVariable(t *testing.T) {
	cases := []struct{ name, value string }{
		{EnvQueues, "a,,b"},
		{EnvQueues, "a,a"},
		{EnvQueues, "{a}"},
		{EnvQueues, strings.Repeat("q,", MaxQueues) + "z"},
		{EnvConcurrency, "0"},
		{EnvConcurrency, "ten"},
		{EnvConcurrency, "1001"},
		{EnvBatch, "0"},
		{EnvBatch, "5000"},
		{EnvJobTimeout, "0s"},
		{EnvJobTimeout, "30"},
		{EnvJobTimeout, "60s"}, // no time left to settle in a 60s function
		{EnvJobTimeout, "59.5s"},
		{EnvFunctionTimeout, "500ms"},
		{EnvFunctionTimeout, "16m"},
		{EnvReclaimMargin, "0s"},
		{EnvReclaimMargin, "2h"},
		{EnvMaxDeliveries, "0"},
		{EnvMaxDeliveries, "101"},
		{EnvBackoffBase, "0s"},
		{EnvBackoffBase, "soon"},
		{EnvBackoffMax, "500ms"}, // below the 1s base
		{EnvRetention, "0s"},
		{EnvRetention, "9000h"},
	}
	for _, tc := range cases {
		_, err := ConfigFromEnv(env(map[string]string{tc.name: tc.value}))
		var ee *envvar.Error
		if !errors.As(err, &ee) || ee.Var != tc.name {
			t.Errorf("%s=%q: %v; want an error naming %s", tc.name, tc.value, err, tc.name)
		}
	}
}

func TestFromEnvNamesTheVariable(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	for name, val := range map[string]string{
		EnvBatch:               "lots",
		"LAMBDIS_KEY_PREFIX":   "{x}",
		"WEBHOOK_TIMEOUT":      "-1s",
		"WEBHOOK_ALLOWED_URLS": "ftp://example.com",
	} {
		_, err := FromEnv(context.Background(), env(map[string]string{name: val}), rdb, nil, nil, nil)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: %v", name, val, err)
		}
	}
	h, err := FromEnv(context.Background(), env(map[string]string{EnvQueues: "email"}), rdb, nil, nil, nil)
	if err != nil || !slices.Equal(h.Queues, []string{"email"}) || h.Metrics != nil {
		t.Fatalf("%+v %v", h, err)
	}
	// The shipped job types are registered.
	if _, err := h.Handle(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
}

// TestHandleDrains runs the handler on several queues of each backend (on
// the cluster, the queues' keys live on different masters; nothing may be
// CROSSSLOT) and checks the answer, the log line and the metrics.
func TestHandleDrains(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		var ran atomic.Int64
		reg := queue.NewRegistry()
		reg.Register("ok", func(ctx context.Context, d queue.Delivery) error { ran.Add(1); return nil }, nil)
		reg.Register("flaky", func(ctx context.Context, d queue.Delivery) error {
			ran.Add(1)
			if d.Attempt == 1 {
				return errors.New("first attempt fails")
			}
			return nil
		}, nil)
		reg.Register("doomed", func(ctx context.Context, d queue.Delivery) error {
			ran.Add(1)
			return queue.Permanent(errors.New("never"))
		}, nil)
		f := newFixture(t, rdb, reg, fastEnv)
		queues := []string{"email", "billing", "orders", "sms"}
		for _, q := range queues {
			enqueue(t, f.client, q, "ok", `{}`, 20)
			enqueue(t, f.client, q, "flaky", `{}`, 5)
			enqueue(t, f.client, q, "doomed", `{}`, 2)
		}
		// WORKER_QUEUES names only email and billing; the input all four.
		sum, err := f.handle(t, `{"queues":["email","billing","orders","sms"]}`, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		// A retry due before the queue's next read runs in the same drain.
		if sum.Processed != 4*27+sum.Promoted || sum.Succeeded != 4*20+sum.Promoted || sum.Retried != 4*5 || sum.Dead != 4*2 ||
			sum.Delayed != int64(4*5-sum.Promoted) || sum.Backlog != 0 || sum.Pending != 0 || sum.GivenBack != 0 {
			t.Fatalf("first run: %+v", sum)
		}
		got := f.flush(t)
		want := map[string]int64{
			MetricProcessed: int64(sum.Processed), MetricSucceeded: int64(sum.Succeeded), MetricRetried: 20, MetricDead: 8,
			MetricReclaimed: 0, MetricLost: 0, MetricGivenBack: 0, MetricBacklog: 0, MetricPending: 0, MetricDelayed: sum.Delayed,
			MetricEvictionPolicyUnsafe: 0, MetricRecreated: 0,
		}
		if len(got) != len(want) {
			t.Errorf("metrics %v, want %v", got, want)
		}
		for name, v := range want {
			if g, ok := got[name]; !ok || g != float64(v) {
				t.Errorf("metric %s = %v (present %v), want %v", name, g, ok, v)
			}
		}
		lines := f.logs.lines(t, "worker: drained")
		if len(lines) != 1 {
			t.Fatalf("%d summary lines, want 1", len(lines))
		}
		line := lines[0]
		for _, k := range append(summaryFields(t), "queues", "max_jobs", "duration_ms") {
			if _, ok := line[k]; !ok {
				t.Errorf("summary line lacks %q: %v", k, line)
			}
		}
		if line["level"] != "INFO" || line["processed"] != float64(sum.Processed) || line["delayed"] != float64(sum.Delayed) {
			t.Errorf("summary line %v", line)
		}

		// The retries are due within 5ms; the default queues are email and
		// billing only.
		time.Sleep(20 * time.Millisecond)
		before := mustBooks(t, f.client, "email").Delayed + mustBooks(t, f.client, "billing").Delayed
		sum, err = f.handle(t, `{}`, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if int64(sum.Processed) != before || int64(sum.Succeeded) != before || int64(sum.Promoted) != before {
			t.Fatalf("second run over WORKER_QUEUES, %d retries due: %+v", before, sum)
		}
		enqueue(t, f.client, "orders", "ok", `{}`, 10)
		sum, err = f.handle(t, `{"queues":["orders","sms"],"max_jobs":3}`, 5*time.Second)
		if err != nil || sum.Processed != 3 || sum.Backlog < 7 {
			t.Fatalf("capped run: %+v %v", sum, err)
		}
		for _, q := range queues {
			sum, err := f.handle(t, `{"queues":["`+q+`"]}`, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			b := mustBooks(t, f.client, q)
			if ok := map[bool]int64{true: 35, false: 25}[q == "orders"]; b.Succeeded != ok || b.Dead != 2 || b.Drift() != 0 || b.Stream != 0 || b.Delayed != 0 || sum.Backlog != 0 {
				t.Errorf("%s: books %+v drift %d, last summary %+v", q, b, b.Drift(), sum)
			}
		}
		if ran.Load() != 4*(20+2*5+2)+10 {
			t.Errorf("%d handler runs, want %d", ran.Load(), 4*32+10)
		}
	})
}

func TestHandleBadInput(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	var ran atomic.Int64
	reg := queue.NewRegistry()
	reg.Register("ok", func(ctx context.Context, d queue.Delivery) error { ran.Add(1); return nil }, nil)
	f := newFixture(t, rdb, reg, fastEnv)
	enqueue(t, f.client, "email", "ok", `{}`, 3)
	for _, in := range []string{`{"queues":"email"}`, `{"max_jobs":-2}`, `{"queues":["a:b"]}`, `{"extra":1}`} {
		sum, err := f.handle(t, in, 5*time.Second)
		if !errors.Is(err, ErrInput) || sum != (queue.Summary{}) {
			t.Errorf("input %s: %+v %v", in, sum, err)
		}
	}
	if lines := f.logs.lines(t, "worker: input rejected"); len(lines) != 4 || lines[0]["level"] != "ERROR" || lines[0]["input"] != `{"queues":"email"}` {
		t.Errorf("rejections logged: %v", lines)
	}
	if ran.Load() != 0 || len(f.flush(t)) != 0 {
		t.Errorf("a rejected input ran %d jobs or emitted metrics", ran.Load())
	}

	// Without WORKER_QUEUES and with no queue in the input, a run drains
	// every registered queue: "email" was registered by its first enqueue.
	g := newFixture(t, rdb, reg, map[string]string{EnvFunctionTimeout: "5s"})
	if sum, err := g.handle(t, `{"max_jobs":1}`, 5*time.Second); err != nil || sum.Succeeded != 1 {
		t.Errorf("registered queues: %+v %v", sum, err)
	}
	if sum, err := g.handle(t, `{"queues":["email"]}`, 5*time.Second); err != nil || sum.Succeeded != 2 {
		t.Errorf("queues from the input: %+v %v", sum, err)
	}
}

// An allkeys-* policy can evict queue keys: an ERROR line and the metric.
func TestHandleEvictionPolicyUnsafe(t *testing.T) {
	srv := redistest.StartServer(t, "--maxmemory-policy", "allkeys-lru")
	f := newFixture(t, srv.Client(t), queue.NewRegistry(), fastEnv)
	sum, err := f.handle(t, `{}`, 5*time.Second)
	if err != nil || !sum.Evicting || sum.EvictionPolicy != "allkeys-lru" {
		t.Fatalf("%+v %v", sum, err)
	}
	if got := f.flush(t)[MetricEvictionPolicyUnsafe]; got != 1 {
		t.Errorf("%s = %v, want 1", MetricEvictionPolicyUnsafe, got)
	}
	var found bool
	for _, rec := range f.logs.lines(t, "worker: the Redis eviction policy can evict queue data: set maxmemory-policy to noeviction (or a volatile-* policy)") {
		found = rec["level"] == "ERROR" && rec["maxmemory_policy"] == "allkeys-lru"
	}
	if !found {
		t.Errorf("no ERROR line for the eviction policy:\n%s", f.logs)
	}
	if lines := f.logs.lines(t, "worker: drained"); len(lines) != 1 || lines[0]["evicting"] != true {
		t.Errorf("summary line %v", lines)
	}
}

// A drain that fails (Redis gone) is an error, logged with the summary.
func TestHandleDrainFails(t *testing.T) {
	srv := redistest.StartServer(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	t.Cleanup(func() { _ = rdb.Close() })
	f := newFixture(t, rdb, queue.NewRegistry(), fastEnv)
	srv.Stop()
	_, err := f.handle(t, `{}`, 3*time.Second)
	if err == nil || !strings.HasPrefix(err.Error(), "worker: drain: ") {
		t.Fatalf("drain with Redis down: %v", err)
	}
	lines := f.logs.lines(t, "worker: drain failed")
	if len(lines) != 1 || lines[0]["level"] != "ERROR" || lines[0]["error"] != err.Error() || lines[0]["processed"] != float64(0) {
		t.Errorf("failure lines %v", lines)
	}
	if m := f.flush(t); m[MetricProcessed] != 0 || len(m) != 12 {
		t.Errorf("metrics of a failed drain: %v", m)
	}
}

// A run that found nothing logs its line at IdleLevel; one that did
// something always at INFO.
func TestIdleLevel(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	reg := queue.NewRegistry()
	reg.Register("ok", func(ctx context.Context, d queue.Delivery) error { return nil }, nil)
	f := newFixture(t, rdb, reg, fastEnv)
	f.h.IdleLevel = slog.LevelDebug // the logger is at INFO: idle lines vanish
	if _, err := f.handle(t, `{}`, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if n := len(f.logs.lines(t, "worker: drained")); n != 0 {
		t.Errorf("idle run logged %d INFO lines", n)
	}
	enqueue(t, f.client, "billing", "ok", `{}`, 1)
	if _, err := f.handle(t, `{}`, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if n := len(f.logs.lines(t, "worker: drained")); n != 1 {
		t.Errorf("busy run logged %d lines", n)
	}
}

// An invocation whose deadline is beyond WORKER_FUNCTION_TIMEOUT is a
// misconfiguration that can run jobs twice: warned.
func TestFunctionTimeoutMismatchWarns(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	f := newFixture(t, rdb, queue.NewRegistry(), map[string]string{EnvQueues: "q", EnvFunctionTimeout: "1s"})
	if _, err := f.handle(t, `{}`, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(f.logs.String(), "may outlive "+EnvFunctionTimeout) {
		t.Errorf("no warning:\n%s", f.logs)
	}
}

func ExampleParseInput() {
	in, err := ParseInput([]byte(`{"queues": ["email", "billing"], "max_jobs": 500}`))
	fmt.Println(in.Queues, in.MaxJobs, err)
	_, err = ParseInput([]byte(`{"queue": "email"}`))
	fmt.Println(err)
	// Output:
	// [email billing] 500 <nil>
	// worker: bad input: json: unknown field "queue" (want {"queues": ["name", ...], "max_jobs": n}, both optional)
}
