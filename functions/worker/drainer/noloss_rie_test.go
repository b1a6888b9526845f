package drainer

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/jobs"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/queue"
	"github.com/lambdis/lambdis/shared/redisconn"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/lambdis/lambdis/shared/rietest"
)

// nolossSecret signs the webhooks of the test.
const nolossSecret = "noloss-test-webhook-secret-0123456789abcdef"

// webhookReceiver is the endpoint of the workload's webhook jobs: it checks
// each POST's signature, records the execution in the ledger under the
// current worker generation, and answers as the job's body says: 200, or
// 503 for the attempts a flaky job fails, or 500 for a job that always
// fails.
type webhookReceiver struct {
	led       *ledger
	gen       atomic.Int64 // the emulator now running
	badSigned atomic.Int64
}

func (r *webhookReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return
	}
	if jobs.VerifySignature([]byte(nolossSecret), req.Header.Get(jobs.HeaderSignature), body, time.Minute, time.Now()) != nil {
		r.badSigned.Add(1)
		http.Error(w, "bad signature", http.StatusBadRequest)
		return
	}
	var j nolossJob
	attempt, err := strconv.Atoi(req.Header.Get(jobs.HeaderAttempt))
	if err != nil || json.Unmarshal(body, &j) != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	id := req.Header.Get(jobs.HeaderJobID)
	r.led.start(int(r.gen.Load()), id, attempt)
	time.Sleep(time.Duration(1000+rand.Int64N(4000)) * time.Microsecond)
	r.led.end(id, false)
	switch {
	case j.Kind == "bad":
		http.Error(w, "always fails", http.StatusInternalServerError)
	case j.Kind == "flaky" && attempt <= j.Fails:
		http.Error(w, "not yet", http.StatusServiceUnavailable)
	}
}

// TestNoLossWhenBootstrapKilled is the no-loss test with real crashes: the
// worker bootstrap runs under aws-lambda-rie, invoked back to back as the
// schedule would (a 2 s function), and is SIGKILLed with the emulator at a
// random point while webhooks are in flight, at least 10 times; a new
// emulator and bootstrap (a new execution environment, a new consumer)
// replaces it each time. The 10,000 jobs are the shipped webhook type,
// POSTing to a local receiver that succeeds, fails then succeeds, or
// always fails. Afterwards every job is succeeded or dead with exactly the
// attempts its receiver dictates (a crash never charges an attempt), the
// books balance, nothing is left, every duplicate execution follows a kill
// (or a settle the bootstrap logged as failed), and the duplicates are
// counted.
func TestNoLossWhenBootstrapKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 jobs and 10 SIGKILLs: not in -short")
	}
	began := time.Now()
	bin := rietest.Build(t, "worker")
	srv := redistest.StartServer(t)
	client := queue.NewClient(srv.Client(t), keys.Builder{}, 0)
	ctx := context.Background()
	led := newLedger()
	recv := &webhookReceiver{led: led}
	hooks := httptest.NewServer(recv) // on 127.0.0.1
	t.Cleanup(hooks.Close)
	url := hooks.URL + "/hooks/noloss"

	kinds := map[string]nolossJob{}
	var ids []string
	for start := 0; start < nolossJobs; start += queue.MaxBatch {
		var batch []queue.Job
		for i := start; i < start+queue.MaxBatch; i++ {
			j, max := nolossWorkload(i)
			p, _ := json.Marshal(jobs.WebhookPayload{URL: url, Body: mustJSON(t, j)})
			batch = append(batch, queue.Job{Queue: nolossQueue, Type: jobs.TypeWebhook, Payload: p, MaxAttempts: max})
		}
		out, err := client.EnqueueBatch(ctx, batch)
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range out {
			if e.Err != nil {
				t.Fatal(e.Err)
			}
			j, _ := nolossWorkload(start + i)
			kinds[e.ID] = j
			ids = append(ids, e.ID)
		}
	}

	env := []string{
		redisconn.EnvURL + "=redis://" + srv.Addr, "AWS_LAMBDA_FUNCTION_TIMEOUT=2", "LOG_LEVEL=warn",
		EnvQueues + "=" + nolossQueue, EnvFunctionTimeout + "=2s", EnvReclaimMargin + "=1s", EnvJobTimeout + "=300ms",
		EnvConcurrency + "=8", EnvBatch + "=50", EnvMaxDeliveries + "=10", EnvBackoffBase + "=5ms", EnvBackoffMax + "=50ms",
		jobs.EnvWebhookAllowedURLs + "=" + hooks.URL + "/hooks/", jobs.EnvWebhookSecret + "=" + nolossSecret,
	}
	// start runs generation gen: a new emulator, a new execution
	// environment, hence a new log stream and consumer name.
	start := func(gen int) *rietest.Emulator {
		recv.gen.Store(int64(gen))
		return rietest.Start(t, bin, append(env, fmt.Sprintf("AWS_LAMBDA_LOG_STREAM_NAME=2026/11/26/[$LATEST]noloss%04d", gen)))
	}
	// invoke calls the worker back to back until the emulator dies or
	// until done says so.
	invoke := func(e *rietest.Emulator, done func() bool) (invocations int) {
		for !done() {
			status, body, err := e.Call(ctx, []byte(`{}`))
			if err != nil {
				return invocations // killed
			}
			invocations++
			if _, ok := rietest.AsFunctionError(body); ok || status != 200 {
				if !e.Exited() {
					t.Errorf("invocation %d: status %d, %s", invocations, status, body)
				}
				return invocations
			}
		}
		return invocations
	}

	kills, inFlightAtKills, invocations := 0, int64(0), 0
	for gen := 0; kills < nolossMinKills; gen++ {
		e := start(gen)
		killed := make(chan int64)
		go func() {
			time.Sleep(time.Duration(100+rand.IntN(900)) * time.Millisecond) // a random point of its first second
			wait := time.Now().Add(4 * time.Second)                          // orphans come back after 3 s
			for led.inFlight.Load() == 0 && time.Now().Before(wait) {
				time.Sleep(100 * time.Microsecond)
			}
			running := led.inFlight.Load()
			led.fail(gen)
			e.Kill()
			killed <- running
		}()
		invocations += invoke(e, func() bool { return false })
		running := <-killed
		if running == 0 {
			t.Fatalf("no webhook in flight after %d kills: the workload is too small for the kills", kills)
		}
		kills++
		inFlightAtKills += running
	}
	killedAt := time.Since(began)

	// A bootstrap that is not killed finishes the work: the orphans come
	// back after 3 s, the retries after their backoff.
	const last = 1 << 20
	e := start(last)
	deadline := time.Now().Add(30 * time.Second)
	invocations += invoke(e, func() bool {
		b := mustBooks(t, client, nolossQueue)
		if time.Now().After(deadline) {
			t.Fatalf("work left 30 s after the kills: %+v", b)
		}
		return b.Stream == 0 && b.Delayed == 0
	})
	// A run out of time (a loaded machine) may fail to settle: it logs it.
	if strings.Contains(e.Logs(), "settle: ") {
		led.fail(last)
	}

	succeeded, dead := 0, 0
	var bad []string
	var mu sync.Mutex
	var wg sync.WaitGroup
	work := make(chan string)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				rec, err := client.Status(ctx, id)
				attempts, wantDead := kinds[id].wantAttempts()
				want := map[bool]string{true: queue.StateDead, false: queue.StateSucceeded}[wantDead]
				mu.Lock()
				switch {
				case err != nil:
					bad = append(bad, fmt.Sprintf("%s: %v", id, err))
				case rec.State != want || rec.Attempts != attempts:
					bad = append(bad, fmt.Sprintf("%s (%+v): %s after %d attempts, want %s after %d", id, kinds[id], rec.State, rec.Attempts, want, attempts))
				case wantDead:
					dead++
				default:
					succeeded++
				}
				mu.Unlock()
			}
		}()
	}
	for _, id := range ids {
		work <- id
	}
	close(work)
	wg.Wait()
	if n := recv.badSigned.Load(); n != 0 {
		t.Errorf("%d webhooks with a bad signature", n)
	}
	b, dups, executions := verdict(t, client, led, bad, succeeded, dead, "bootstrap")
	t.Logf("%d jobs: %d succeeded, %d dead; %d webhook POSTs, %d of them duplicates (an attempt POSTed again after its bootstrap was killed before recording it)",
		nolossJobs, succeeded, dead, executions, dups)
	t.Logf("%d SIGKILLs of the bootstrap in %v, with %d webhooks in flight in all at those moments; %d invocations; books %+v; %v in all",
		kills, killedAt.Round(time.Millisecond), inFlightAtKills, invocations, b, time.Since(began).Round(time.Millisecond))
}

func mustJSON(t testing.TB, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
