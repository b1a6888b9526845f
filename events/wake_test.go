package events_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/functions/enqueue/jobsapi"
	"github.com/lambdis/lambdis/functions/enqueue/lambdawake"
	"github.com/lambdis/lambdis/functions/worker/drainer"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/queue"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/lambdis/lambdis/shared/rietest"
	"github.com/redis/go-redis/v9"
)

// wakeFunction is the worker's name in ENQUEUE_WAKE_FUNCTION, as the stack
// sets it (the function's name, which the stand-in maps to the emulator).
const wakeFunction = "lambdis-worker"

// testLinger is the worker's WORKER_LINGER in these tests (the default is
// 5s): a run ends a second after it ran out of work, so a test waits less.
const testLinger = "1s"

// wakeStack is the enqueue and worker bootstraps, each under its own
// emulator, on one redis-server; the enqueue function wakes the worker
// through the Invoke API at lambdaURL.
type wakeStack struct {
	redis   *redis.Client
	q       *queue.Client
	enqueue *rietest.Emulator
	worker  *rietest.Emulator
	api     *rietest.InvokeAPI // nil when lambdaURL was given
}

// noWaker, as newWakeStack's lambdaURL, leaves ENQUEUE_WAKE_FUNCTION unset:
// the deployed shape before wakes, ticks only.
const noWaker = "none"

// newWakeStack starts the stack; lambdaURL "" puts the Invoke API stand-in
// in front of the worker, noWaker gives the enqueue function no waker, and
// anything else is where its Lambda client goes instead. extra is added to
// both functions' variables (later entries win).
func newWakeStack(t testing.TB, lambdaURL string, extra ...string) *wakeStack {
	t.Helper()
	srv := redistest.StartServer(t)
	rdb := srv.Client(t)
	s := &wakeStack{redis: rdb, q: queue.NewClient(rdb, keys.Builder{}, 0)}
	s.worker = rietest.Start(t, rietest.Build(t, "worker"), append(functionEnv(t, workerFunction, srv.Addr),
		append([]string{
			fmt.Sprintf("%s=%ds", drainer.EnvFunctionTimeout, rietest.DefaultTimeout),
			"WORKER_LINGER=" + testLinger,
		}, extra...)...))
	if lambdaURL == "" {
		s.api = rietest.NewInvokeAPI(t, map[string]*rietest.Emulator{wakeFunction: s.worker})
		lambdaURL = s.api.URL
	}
	wake := []string{
		lambdawake.EnvFunction + "=" + wakeFunction,
		"AWS_ENDPOINT_URL_LAMBDA=" + lambdaURL,
		// Dummy credentials: the stand-in does not check signatures.
		"AWS_ACCESS_KEY_ID=AKIDLAMBDISRIETEST",
		"AWS_SECRET_ACCESS_KEY=lambdis-rie-test-not-a-secret",
	}
	if lambdaURL == noWaker {
		wake = nil
	}
	s.enqueue = rietest.Start(t, rietest.Build(t, "enqueue"), append(functionEnv(t, enqueueFunction, srv.Addr), append(wake, extra...)...))
	return s
}

// post enqueues body (a JobRequest) through the enqueue bootstrap and
// returns the job's id; it expects a 202.
func (s *wakeStack) post(t testing.TB, body string) string {
	t.Helper()
	var e jobsapi.EnqueueResponse
	resp := invokeTB[events.APIGatewayProxyResponse](t, s.enqueue, "enqueue", enqueueEvent(t, jobsapi.RouteEnqueue, body))
	if resp.StatusCode != 202 || resp.Headers["Content-Type"] != apigw.JSONContentType {
		t.Fatalf("enqueue %s: %d %s", body, resp.StatusCode, resp.Body)
	}
	if err := json.Unmarshal([]byte(resp.Body), &e); err != nil || e.ID == "" {
		t.Fatalf("enqueue answer %s: %v", resp.Body, err)
	}
	return e.ID
}

// enqueueEvent is enqueue-job.json posting body to route (jobsapi.RouteEnqueue
// or RouteBatch), without its Idempotency-Key.
func enqueueEvent(t testing.TB, route, body string) []byte {
	t.Helper()
	ev := proxySample(t, fileEnqueueJob)
	delete(ev.Headers, jobsapi.HeaderIdempotencyKey)
	delete(ev.MultiValueHeaders, jobsapi.HeaderIdempotencyKey)
	ev.Resource, ev.Path, ev.Body = route, route, body
	ev.RequestContext.ResourcePath, ev.RequestContext.Path = route, "/"+stage+route
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// invokeTB is invoke for tests and benchmarks.
func invokeTB[Resp any](t testing.TB, e *rietest.Emulator, fn string, payload []byte) Resp {
	t.Helper()
	status, body := e.Invoke(t, payload)
	if fe, ok := rietest.AsFunctionError(body); ok || status != 200 {
		t.Fatalf("%s: emulator status %d, function error %v, body %s", fn, status, fe, body)
	}
	var resp Resp
	if err := decodeStrict(body, &resp); err != nil {
		t.Fatalf("%s answer %s: %v", fn, body, err)
	}
	return resp
}

// waitState polls the job's record until it is in state, or fails the test
// after timeout.
func (s *wakeStack) waitState(t testing.TB, id, state string, timeout time.Duration) queue.Record {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		rec, err := s.q.Status(context.Background(), id)
		if err == nil && rec.State == state {
			return rec
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s: %+v (%v), not %s after %v", id, rec, err, state, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// cacheJobBody is a cache.invalidate job on queue deleting key.
func cacheJobBody(queueName, key string) string {
	return `{"queue":"` + queueName + `","type":"cache.invalidate","payload":{"keys":["` + key + `"]}}`
}

// wakesOf returns the events whose payload is a wake of queueName.
func wakesOf(evs []rietest.AsyncEvent, queueName string) int {
	n := 0
	for _, ev := range evs {
		if string(ev.Payload) == string(lambdawake.Input(queueName)) {
			n++
		}
	}
	return n
}

// allDone reports whether every event has ended.
func allDone(evs []rietest.AsyncEvent) bool {
	for _, ev := range evs {
		if !ev.Done {
			return false
		}
	}
	return true
}

// A job enqueued through the real enqueue bootstrap on an idle queue wakes
// the worker: the Invoke API stand-in receives one asynchronous invocation
// naming the queue, the worker bootstrap runs under the emulator with it and
// the job succeeds, with no scheduled tick. A burst of enqueues while the
// woken run lingers wakes no one (the run takes them); once the run has
// returned, a burst on the idle queue causes one wake, not one per job. The
// enqueue function counts its wakes (EMF Woken).
func TestWakeUnderEmulator(t *testing.T) {
	// The default linger: each burst below fits in it many times over.
	s := newWakeStack(t, "", "WORKER_LINGER=5s")
	ctx := context.Background()
	if err := s.redis.Set(ctx, "lambdis:cache:{w}:0", "stale", 0).Err(); err != nil {
		t.Fatal(err)
	}
	id := s.post(t, cacheJobBody("cache", "lambdis:cache:{w}:0"))
	accepted := time.Now()
	evs, ok := s.api.WaitEvents(time.Minute, func(evs []rietest.AsyncEvent) bool { return len(evs) >= 1 })
	if !ok || len(evs) != 1 || wakesOf(evs, "cache") != 1 {
		t.Fatalf("wakes after one enqueue: %+v, want one naming cache", evs)
	}
	rec := s.waitState(t, id, queue.StateSucceeded, 10*time.Second)
	t.Logf("woken: the wake sent %v after the enqueue's answer, the job done %v after it", evs[0].Received.Sub(accepted), rec.FinishedAt.Sub(accepted))
	if s.redis.Exists(ctx, "lambdis:cache:{w}:0").Val() != 0 {
		t.Error("the woken run did not delete the key")
	}

	const burst = 25
	enqueueBurst := func(name string) {
		t.Helper()
		var ids []string
		for i := range burst {
			ids = append(ids, s.post(t, cacheJobBody("cache", fmt.Sprintf("lambdis:cache:{w}:%s%d", name, i))))
		}
		for _, id := range ids {
			s.waitState(t, id, queue.StateSucceeded, 15*time.Second)
		}
	}
	// A burst while the woken run lingers: it takes the jobs, no wake.
	mark := time.Now()
	enqueueBurst("awake")
	t.Logf("the burst with a worker awake: done in %v", time.Since(mark))
	if evs := s.api.Events(); len(evs) != 1 {
		t.Fatalf("%d wakes after a burst with a worker awake, want still 1: %+v", len(evs), evs)
	}
	// The run returns once idle for WORKER_LINGER.
	evs, ok = s.api.WaitEvents(time.Minute, allDone)
	if fe, failed := rietest.AsFunctionError(evs[0].Answer); !ok || failed || evs[0].Status != 200 || evs[0].Err != nil {
		t.Fatalf("the woken run: status %d, %v %v: %s", evs[0].Status, fe, evs[0].Err, evs[0].Answer)
	}
	var sum queue.Summary
	if err := json.Unmarshal(evs[0].Answer, &sum); err != nil || sum.Succeeded != 1+burst {
		t.Fatalf("the woken run's summary %s (%v), want the first job and the burst succeeded", evs[0].Answer, err)
	}

	// A burst on the idle queue: one wake.
	mark = time.Now()
	enqueueBurst("idle")
	t.Logf("the burst on the idle queue: done in %v", time.Since(mark))
	if evs := s.api.Events(); len(evs) != 2 || wakesOf(evs, "cache") != 2 {
		t.Fatalf("%d wakes after a burst of %d enqueues on the idle queue, want one more: %+v", len(evs)-1, burst, evs)
	}
	// The function's output reaches the logs through a pipe: wait for the
	// second wake's EMF document.
	woken := 0.0
	for deadline := time.Now().Add(10 * time.Second); woken < 2 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		woken = 0
		for _, doc := range emfDocs(t, s.enqueue.Logs(), "enqueue") {
			if n, ok := doc[jobsapi.MetricWoken].(float64); ok {
				woken += n
			}
		}
	}
	for _, doc := range emfDocs(t, s.enqueue.Logs(), "enqueue") {
		if _, ok := doc[jobsapi.MetricWakeFailed]; ok {
			t.Errorf("a wake failed: %v", doc)
		}
	}
	if woken != 2 {
		t.Errorf("EMF %s = %v, want 2 (one per wake)", jobsapi.MetricWoken, woken)
	}
	if b, err := s.q.Books(ctx, "cache"); err != nil || b.Drift() != 0 || b.Succeeded != 1+2*burst {
		t.Errorf("books of cache %+v %v", b, err)
	}
}

// The wake endpoint down: the enqueue still answers 202, logs the failed
// wake at WARN and counts WakeFailed in its EMF output; the job waits,
// queued, and runs when the schedule's tick (an input naming no queue)
// invokes the worker.
func TestWakeEndpointDownUnderEmulator(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + l.Addr().String()
	_ = l.Close() // nothing listens there now
	s := newWakeStack(t, down)
	ctx := context.Background()

	id := s.post(t, cacheJobBody("cache", "lambdis:cache:{d}:0"))
	s.enqueue.WaitLogs(`"` + jobsapi.MetricWakeFailed + `":`) // the EMF document, the request's last line
	logs := s.enqueue.Logs()
	if !strings.Contains(logs, `"level":"WARN"`) || !strings.Contains(logs, "wake failed") || !strings.Contains(logs, `"queue":"cache"`) {
		t.Errorf("no WARN line for the failed wake:\n%s", logs)
	}
	failed := 0.0
	for _, doc := range emfDocs(t, logs, "enqueue") {
		if n, ok := doc[jobsapi.MetricWakeFailed].(float64); ok {
			failed += n
		}
	}
	if failed != 1 {
		t.Errorf("EMF %s = %v, want 1:\n%s", jobsapi.MetricWakeFailed, failed, logs)
	}
	if rec, err := s.q.Status(ctx, id); err != nil || rec.State != queue.StateQueued {
		t.Fatalf("the job after a failed wake: %+v %v, want queued", rec, err)
	}

	// The tick: the schedule's input names no queue.
	sum := invokeWorker(t, s.worker, []byte(`{}`))
	if sum.Succeeded != 1 {
		t.Errorf("the tick's run: %+v, want the job run", sum)
	}
	s.waitState(t, id, queue.StateSucceeded, time.Second)
}
