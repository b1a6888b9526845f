package events_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lambdis/lambdis/functions/worker/drainer"
	"github.com/lambdis/lambdis/shared/jobs"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/queue"
	"github.com/lambdis/lambdis/shared/redisconn"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/lambdis/lambdis/shared/rietest"
)

// The sample of the worker function (WorkerFunction): the input of its
// EventBridge Scheduler schedule. It is made by workerSamples (through
// generate), checked here rather than by the ratelimit/revoke tests
// (sampleFiles leaves it out).
const (
	workerFunction      = "WorkerFunction"
	fileWorkerScheduled = "worker-scheduled.json"
)

// workerFiles are the events of WorkerFunction.
var workerFiles = []string{fileWorkerScheduled}

// workerQueues are the queues the enqueue samples write to: the worker's
// WORKER_QUEUES in env.json and the queues its sample names.
var workerQueues = []string{"cache", "orders"}

// workerEnv is what env.json gives WorkerFunction: the enqueue function's
// webhook allow-list and secret, so that it runs what that one accepts.
// WORKER_FUNCTION_TIMEOUT is left to the template, which sets it to the
// function's timeout.
func workerEnv() map[string]string {
	return map[string]string{
		redisconn.EnvURL:           samRedisURL,
		drainer.EnvQueues:          strings.Join(workerQueues, ","),
		jobs.EnvWebhookAllowedURLs: sampleWebhookURLs,
		jobs.EnvWebhookSecret:      sampleWebhookSecret,
	}
}

// workerSamples returns the worker's events by name.
func workerSamples() map[string]any {
	return map[string]any{fileWorkerScheduled: drainer.Input{Queues: workerQueues, MaxJobs: 1000}}
}

// TestWorkerSamples decodes the schedule's input as the worker does and
// builds the worker's configuration from its env.json entry.
func TestWorkerSamples(t *testing.T) {
	in, err := drainer.ParseInput(readSample(t, fileWorkerScheduled))
	if err != nil || !slices.Equal(in.Queues, workerQueues) || in.MaxJobs != 1000 {
		t.Errorf("events/%s: %+v, %v", fileWorkerScheduled, in, err)
	}
	vars := fnEnvHas(t, workerFunction, workerEnv())
	cfg, err := drainer.ConfigFromEnv(func(k string) string { return vars[k] })
	if err != nil || !slices.Equal(cfg.Queues, workerQueues) {
		t.Errorf("env.json %s: %+v, %v", workerFunction, cfg, err)
	}
	if _, err := jobs.ConfigFromEnv(func(k string) string { return vars[k] }); err != nil {
		t.Errorf("env.json %s: %v", workerFunction, err)
	}
}

// invokeWorker invokes the worker with payload and decodes its answer, the
// run's summary, strictly.
func invokeWorker(t *testing.T, e *rietest.Emulator, payload []byte) queue.Summary {
	t.Helper()
	return invoke[queue.Summary](t, e, "worker", payload)
}

// emfDocs returns the EMF documents of fn in the emulator's output.
func emfDocs(t *testing.T, logs, fn string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var doc map[string]any
		if json.Unmarshal(sc.Bytes(), &doc) == nil && doc["_aws"] != nil && doc["Function"] == fn {
			out = append(out, doc)
		}
	}
	return out
}

// TestWorkerUnderEmulator runs the real worker bootstrap under
// aws-lambda-rie, as `sam local invoke` does, on a real redis-server with
// jobs enqueued through queue.Client, and checks its answers against
// README.md and the server: cache.invalidate jobs delete their keys, a job
// type the worker does not know is dead-lettered (never dropped), a delayed
// job waits until it is due, and a bad input fails the invocation.
func TestWorkerUnderEmulator(t *testing.T) {
	bin := rietest.Build(t, "worker")
	ctx := context.Background()
	srv := redistest.StartServer(t)
	rdb := srv.Client(t)
	// The emulator's timeout is the function's; the stack sets
	// WORKER_FUNCTION_TIMEOUT to it.
	env := append(functionEnv(t, workerFunction, srv.Addr), fmt.Sprintf("%s=%ds", drainer.EnvFunctionTimeout, rietest.DefaultTimeout))
	e := rietest.Start(t, bin, env)
	q := queue.NewClient(rdb, keys.Builder{}, 0)

	const now, delayed = 20, "lambdis:cache:{x}:later"
	var ids []string
	for i := range now {
		key := fmt.Sprintf("lambdis:cache:{x}:%d", i)
		if err := rdb.Set(ctx, key, "stale", 0).Err(); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, enqueueJob(t, q, queue.Job{Queue: "cache", Type: jobs.TypeCacheInvalidate, Payload: json.RawMessage(`{"keys":["` + key + `"]}`)}))
	}
	if err := rdb.Set(ctx, delayed, "stale", 0).Err(); err != nil {
		t.Fatal(err)
	}
	dueAt := time.Now().Add(3 * time.Second)
	later := enqueueJob(t, q, queue.Job{Queue: "cache", Type: jobs.TypeCacheInvalidate, Payload: json.RawMessage(`{"keys":["` + delayed + `"]}`), Delay: 3 * time.Second})
	unknown := enqueueJob(t, q, queue.Job{Queue: "orders", Type: "invoice.send", Payload: json.RawMessage(`{"order":42}`)})

	// The run stays for the delayed job, due within its deadline (it
	// lingers), and runs it when it is due, not before.
	sum := invokeWorker(t, e, readSample(t, fileWorkerScheduled))
	if sum.Processed != now+2 || sum.Succeeded != now+1 || sum.Dead != 1 || sum.Promoted != 1 || sum.Delayed != 0 || sum.Backlog != 0 ||
		sum.Pending != 0 || sum.Lost != 0 || sum.Evicting || sum.EvictionPolicy != "noeviction" {
		t.Fatalf("first run: %+v", sum)
	}
	for _, id := range ids {
		if rec, err := q.Status(ctx, id); err != nil || rec.State != queue.StateSucceeded || rec.Attempts != 1 {
			t.Errorf("job %s: %+v %v", id, rec, err)
		}
	}
	if n := rdb.Exists(ctx, "lambdis:cache:{x}:0", "lambdis:cache:{x}:19").Val(); n != 0 {
		t.Errorf("%d invalidated keys still there", n)
	}
	if done, err := q.Status(ctx, later); err != nil || done.State != queue.StateSucceeded || done.FinishedAt == nil || done.FinishedAt.Before(dueAt.Add(-50*time.Millisecond)) {
		t.Errorf("delayed job: %+v %v (due %v)", done, err, dueAt)
	}
	dl, err := q.DeadLetters(ctx, "orders", 10, "")
	if err != nil || len(dl) != 1 || dl[0].JobID != unknown || !strings.Contains(dl[0].Error, `no handler for job type "invoice.send"`) {
		t.Errorf("dead letters of orders: %+v %v", dl, err)
	}
	if !e.WaitLogs(`"Function":"worker"`) { // the EMF document, written after the summary line
		t.Errorf("no EMF document in the function's log:\n%s", e.Logs())
	}
	logs := e.Logs()
	if !strings.Contains(logs, `"message":"worker: drained"`) {
		t.Errorf("no summary line in the function's log:\n%s", logs)
	}
	docs := emfDocs(t, logs, "worker")
	if len(docs) != 1 || docs[0][drainer.MetricProcessed] != float64(now+2) || docs[0][drainer.MetricDead] != float64(1) ||
		docs[0][drainer.MetricEvictionPolicyUnsafe] != float64(0) {
		t.Errorf("EMF documents of the run: %v", docs)
	}

	// A second run finds nothing to do.
	sum = invokeWorker(t, e, []byte(`{}`)) // WORKER_QUEUES
	if sum.Processed != 0 || sum.Delayed != 0 || sum.Backlog != 0 {
		t.Fatalf("second run: %+v", sum)
	}
	if rdb.Exists(ctx, delayed).Val() != 0 {
		t.Error("the delayed job did not delete its key")
	}
	for _, name := range workerQueues {
		if b, err := q.Books(ctx, name); err != nil || b.Drift() != 0 || b.Stream != 0 || b.Delayed != 0 {
			t.Errorf("books of %s: %+v %v", name, b, err)
		}
	}

	// A bad input fails the invocation, and is logged.
	status, body := e.Invoke(t, []byte(`{"queues":"cache"}`))
	if fe, ok := rietest.AsFunctionError(body); !ok || status != 200 || !strings.HasPrefix(fe.Message, "worker: bad input") {
		t.Errorf("bad input: status %d body %s", status, body)
	}
	if !e.WaitLogs(`"message":"worker: input rejected"`) {
		t.Errorf("the rejected input was not logged:\n%s", e.Logs())
	}
}

// A bad variable stops the worker at init, with the variable named.
func TestWorkerInitFails(t *testing.T) {
	bin := rietest.Build(t, "worker")
	srv := redistest.StartServer(t)
	e := rietest.Start(t, bin, append(functionEnv(t, workerFunction, srv.Addr), drainer.EnvBatch+"=0"))
	status, body := e.Invoke(t, readSample(t, fileWorkerScheduled))
	// Lambda reports Runtime.ExitError; the emulator answers 502.
	if _, ok := rietest.AsFunctionError(body); status == 200 && !ok {
		t.Errorf("status %d body %s, want the init to fail", status, body)
	}
	if logs := e.Logs(); !strings.Contains(logs, `"message":"init failed"`) || !strings.Contains(logs, drainer.EnvBatch) {
		t.Errorf("the init error does not name %s:\n%s", drainer.EnvBatch, logs)
	}
}

func enqueueJob(t *testing.T, q *queue.Client, j queue.Job) string {
	t.Helper()
	e, err := q.Enqueue(context.Background(), j)
	if err != nil {
		t.Fatal(err)
	}
	return e.ID
}
