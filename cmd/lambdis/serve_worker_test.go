package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/queue"
	"github.com/lambdis/lambdis/shared/redistest"
)

// serveInProcess runs `lambdis serve args...` in-process until stop, which
// returns its exit code; banner is what it printed up to and including
// the "listening on" line.
func serveInProcess(t testing.TB, vars map[string]string, args ...string) (banner string, logs *syncBuffer, stop func() int) {
	t.Helper()
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, append([]string{"serve"}, args...), cli{stdout: io.Discard, stderr: pw, getenv: env(vars)})
		pw.Close()
	}()
	logs = &syncBuffer{}
	ready := make(chan string, 1)
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		sc := bufio.NewScanner(pr)
		sc.Buffer(nil, 1<<20)
		sent := false
		for sc.Scan() {
			logs.Write([]byte(sc.Text() + "\n"))
			if strings.Contains(sc.Text(), "Ctrl-C stops the server.") && !sent {
				ready <- logs.String()
				sent = true
			}
		}
		if !sent {
			close(ready)
		}
	}()
	banner, ok := <-ready
	stop = func() int {
		cancel()
		code := <-exit
		<-drained
		return code
	}
	if !ok {
		t.Fatalf("no banner; exit %d; stderr:\n%s", stop(), logs.String())
	}
	t.Cleanup(func() {
		cancel()
		if t.Failed() {
			t.Logf("stderr:\n%s", logs.String())
		}
	})
	return banner, logs, stop
}

// TestServeRunsTheWorker: a job enqueued on the Redis `lambdis serve` uses
// is run by the worker the server runs in-process: a cache.invalidate job
// deletes its key, and its record says succeeded.
func TestServeRunsTheWorker(t *testing.T) {
	srv := redistest.StartServer(t)
	rdb := srv.Client(t)
	ctx := context.Background()
	banner, logs, stop := serveInProcess(t, map[string]string{"REDIS_URL": "redis://" + srv.Addr},
		"--addr", "127.0.0.1:0", "--worker-interval", "1s")
	if !strings.Contains(banner, "worker: every queue in use, woken by enqueues, ticking every 1s") {
		t.Errorf("banner lacks the worker:\n%s", banner)
	}

	const key = "lambdis:cache:{x}:a"
	if err := rdb.Set(ctx, key, "stale", 0).Err(); err != nil {
		t.Fatal(err)
	}
	c := queue.NewClient(rdb, keys.Builder{}, 0)
	e, err := c.Enqueue(ctx, queue.Job{Queue: "default", Type: "cache.invalidate", Payload: json.RawMessage(`{"keys":["` + key + `"]}`)})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		rec, err := c.Status(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if rec.State == queue.StateSucceeded {
			break
		}
		if rec.State == queue.StateDead || time.Now().After(deadline) {
			t.Fatalf("job after %v: %+v", 10*time.Second, rec)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := rdb.Exists(ctx, key).Val(); n != 0 {
		t.Errorf("the job succeeded but %s is still there", key)
	}
	if code := stop(); code != exitOK {
		t.Errorf("exit %d", code)
	}
	out := logs.String()
	for _, want := range []string{`"message":"worker: drained"`, `"function":"worker"`, `"succeeded":1`} {
		if !strings.Contains(out, want) {
			t.Errorf("stderr lacks %s", want)
		}
	}
}

func TestServeWorkerFlags(t *testing.T) {
	banner, _, stop := serveInProcess(t, nil, "--addr", "127.0.0.1:0", "--worker-interval", "0")
	if !strings.Contains(banner, "worker: off") {
		t.Errorf("banner with --worker-interval 0:\n%s", banner)
	}
	if code := stop(); code != exitOK {
		t.Errorf("exit %d", code)
	}
	if code, _, errOut := runCLI(t, nil, "serve", "--worker-interval", "-1s"); code != exitUsage || !strings.Contains(errOut, "--worker-interval") {
		t.Errorf("negative interval: exit %d stderr %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, nil, "serve", "--addr", "127.0.0.1:0", "--worker-interval", "10ms"); code != exitError || !strings.Contains(errOut, "worker interval") {
		t.Errorf("interval under 1s: exit %d stderr %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, map[string]string{"WORKER_CONCURRENCY": "lots"}, "serve", "--addr", "127.0.0.1:0"); code != exitError || !strings.Contains(errOut, "WORKER_CONCURRENCY") {
		t.Errorf("bad WORKER_CONCURRENCY: exit %d stderr %q", code, errOut)
	}
}

// TestServeWakesForAnyQueue: a job enqueued through the API to a queue no
// configuration names runs at once: the enqueue wakes the in-process
// worker (the tick, every minute here, cannot be what ran it). Then Redis
// loses the queue while a run lingers (the stream deleted, and separately
// FLUSHALL): the next job still runs, with nothing restarted, and the loss
// is logged at ERROR and counted.
func TestServeWakesForAnyQueue(t *testing.T) {
	srv := redistest.StartServer(t)
	rdb := srv.Client(t)
	ctx := context.Background()
	vars := map[string]string{"REDIS_URL": "redis://" + srv.Addr}
	banner, logs, stop := serveInProcess(t, vars, "--addr", "127.0.0.1:0", "--worker-interval", "1m")
	base := strings.Fields(banner[strings.Index(banner, "listening on ")+len("listening on "):])[0]
	token := mint(t, nil, "--sub", "alice")
	c := queue.NewClient(rdb, keys.Builder{}, 0)

	runs := func(what, key string) {
		t.Helper()
		if err := rdb.Set(ctx, key, "stale", 0).Err(); err != nil {
			t.Fatal(err)
		}
		r := call(t, "POST", base+"/jobs", token, `{"queue":"orders","type":"cache.invalidate","payload":{"keys":["`+key+`"]}}`)
		if r.status != 202 {
			t.Fatalf("%s: enqueue: %d %s", what, r.status, r.body)
		}
		id, _ := r.json(t)["id"].(string)
		deadline := time.Now().Add(10 * time.Second) // the next tick is a minute away
		for {
			rec, err := c.Status(ctx, id)
			if err == nil && rec.State == queue.StateSucceeded {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: job %s after 10s: %+v %v", what, id, rec, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if n := rdb.Exists(ctx, key).Val(); n != 0 {
			t.Errorf("%s: the job succeeded but %s is still there", what, key)
		}
	}
	runs("first job", "lambdis:cache:{x}:a")
	if ok, err := c.Registered(ctx, "orders"); err != nil || !ok {
		t.Errorf("orders not registered: %v %v", ok, err)
	}
	if err := rdb.Del(ctx, "lambdis:q:{orders}:stream").Err(); err != nil {
		t.Fatal(err)
	}
	runs("after the stream was deleted", "lambdis:cache:{x}:b")
	if err := rdb.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	runs("after FLUSHALL", "lambdis:cache:{x}:c")
	if code := stop(); code != exitOK {
		t.Errorf("exit %d", code)
	}
	out := logs.String()
	if n := strings.Count(out, `"level":"ERROR","message":"queue: the stream or its consumer group was gone`); n < 2 {
		t.Errorf("%d ERROR lines for the losses, want 2 (stream deleted, FLUSHALL)", n)
	}
	if !regexp.MustCompile(`"recreated":[1-9]`).MatchString(out) {
		t.Errorf("no run counted a recreated stream")
	}
}
