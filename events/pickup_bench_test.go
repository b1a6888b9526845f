package events_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/functions/enqueue/jobsapi"
	"github.com/lambdis/lambdis/shared/jobs"
	"github.com/lambdis/lambdis/shared/queue"
)

// benchTick is the tick-only baseline's schedule interval: the deployed
// rate(1 minute) shortened 30 times so that the benchmark stays short. Its
// latencies scale with the interval: multiply by 30 for the deployed tick.
const benchTick = 2 * time.Second

// arrivals is a webhook receiver on 127.0.0.1 that timestamps the first
// arrival of each job (Lambdis-Job-Id): when its handler started, to within
// one loopback POST.
type arrivals struct {
	srv  *httptest.Server
	mu   sync.Mutex
	at   map[string]time.Time
	want int
	all  chan struct{} // closed when want jobs have arrived
}

func newArrivals(b testing.TB) *arrivals {
	a := &arrivals{at: map[string]time.Time{}, all: make(chan struct{})}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		id := r.Header.Get(jobs.HeaderJobID)
		a.mu.Lock()
		if _, seen := a.at[id]; !seen {
			a.at[id] = now
			if len(a.at) == a.want {
				close(a.all)
			}
		}
		a.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(a.srv.Close)
	return a
}

// expect sets how many jobs wait tells apart.
func (a *arrivals) expect(n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.want = n
	if len(a.at) >= n {
		close(a.all)
	}
}

// wait waits until every expected job arrived, or timeout.
func (a *arrivals) wait(timeout time.Duration) bool {
	select {
	case <-a.all:
		return true
	case <-time.After(timeout):
		return false
	}
}

// pickup is one scenario's enqueue-accepted → handler-start latencies.
type pickup struct {
	accepted map[string]time.Time // when the enqueue's 202 came back
}

// webhookBody is a webhook job to the receiver.
func webhookBody(url string, n int) string {
	return fmt.Sprintf(`{"queue":"orders","type":"webhook","payload":{"url":%q,"body":{"n":%d}}}`, url+"/hook", n)
}

// BenchmarkPickupLatency measures enqueue-accepted → handler-start latency
// (p50, p99, max, in ms) of due-now webhook jobs with the real enqueue and
// worker bootstraps under the emulator, for 1 job/s, 100 jobs/s and a burst
// of 10,000 (20 batches of 500), in two shapes:
//
//   - wake: the deployed shape with wakes — the enqueue function wakes the
//     worker through the Invoke API stand-in; the worker lingers
//     WORKER_LINGER (5s, the default) once idle. No ticks: every run is a
//     wake. One worker emulator, so runs do not overlap (reserved
//     concurrency 1).
//   - tick: the tick-only baseline (today's behaviour, no waker): the worker
//     is invoked with the schedule's input every benchTick (2s, the deployed
//     minute shortened 30 times) and returns as soon as it is idle
//     (WORKER_LINGER=0s).
//
// Accepted is when the enqueue bootstrap's 202 came back to the caller;
// handler-start is when the job's POST reached the receiver. A job may
// start before its 202 reaches the caller: such latencies count as 0.
//
//	go test ./events -run '^$' -bench PickupLatency -benchtime 1x
func BenchmarkPickupLatency(b *testing.B) {
	scenarios := []struct {
		name  string
		rate  float64 // jobs/s; 0: one burst
		jobs  int
		batch int // jobs per request
	}{
		{"1ps", 1, 8, 1},
		{"100ps", 100, 300, 1},
		{"burst10000", 0, 10000, queue.MaxBatch},
	}
	for _, mode := range []string{"wake", "tick"} {
		for _, sc := range scenarios {
			b.Run(mode+"/"+sc.name, func(b *testing.B) {
				var lat []time.Duration
				wakes := 0
				for range b.N {
					l, w := pickupRun(b, mode, sc.rate, sc.jobs, sc.batch)
					lat, wakes = append(lat, l...), wakes+w
				}
				slices.Sort(lat)
				ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
				b.ReportMetric(ms(percentile(lat, 0.50)), "p50-ms")
				b.ReportMetric(ms(percentile(lat, 0.99)), "p99-ms")
				b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
				if mode == "wake" {
					b.ReportMetric(float64(wakes)/float64(b.N), "wakes/op")
				}
				b.ReportMetric(0, "ns/op") // the run's length says nothing here
			})
		}
	}
}

// percentile is the q-quantile of sorted (nearest rank).
func percentile(sorted []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(i, 0)]
}

// pickupRun runs one scenario on a fresh stack and returns each job's
// latency and the number of wakes.
func pickupRun(b *testing.B, mode string, rate float64, n, batch int) ([]time.Duration, int) {
	b.StopTimer()
	recv := newArrivals(b)
	extra := []string{jobs.EnvWebhookAllowedURLs + "=" + recv.srv.URL + "/"}
	lambdaURL := ""
	if mode == "tick" {
		lambdaURL = noWaker
		extra = append(extra, "WORKER_LINGER=0s")
	} else {
		extra = append(extra, "WORKER_LINGER=5s")
	}
	s := newWakeStack(b, lambdaURL, extra...)
	recv.expect(n)
	ctx, stop := context.WithCancel(context.Background())
	var ticks sync.WaitGroup
	if mode == "tick" {
		ticks.Add(1)
		go func() { // the schedule
			defer ticks.Done()
			t := time.NewTicker(benchTick)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					_, _, _ = s.worker.Call(ctx, []byte(`{}`))
				}
			}
		}()
	}
	b.StartTimer()

	p := pickup{accepted: make(map[string]time.Time, n)}
	start := time.Now()
	for i := 0; i < n; i += batch {
		if rate > 0 {
			time.Sleep(time.Until(start.Add(time.Duration(float64(i) / rate * float64(time.Second)))))
		}
		p.enqueue(b, s, recv.srv.URL, i, min(batch, n-i))
	}
	ok := recv.wait(time.Minute)
	b.StopTimer()
	stop()
	ticks.Wait()
	if !ok {
		b.Fatalf("%d of %d jobs arrived within a minute", len(recv.at), n)
	}
	recv.mu.Lock()
	defer recv.mu.Unlock()
	var lat []time.Duration
	for id, acc := range p.accepted {
		at, ok := recv.at[id]
		if !ok {
			b.Fatalf("job %s never arrived", id)
		}
		lat = append(lat, max(at.Sub(acc), 0))
	}
	wakes := 0
	if s.api != nil {
		wakes = len(s.api.Events())
	}
	return lat, wakes
}

// enqueue posts jobs first..first+k-1, alone or as one batch, and records
// when each was accepted.
func (p *pickup) enqueue(b *testing.B, s *wakeStack, url string, first, k int) {
	b.Helper()
	if k == 1 {
		id := s.post(b, webhookBody(url, first))
		p.accepted[id] = time.Now()
		return
	}
	items := make([]string, k)
	for j := range k {
		items[j] = webhookBody(url, first+j)
	}
	resp := invokeTB[events.APIGatewayProxyResponse](b, s.enqueue, "enqueue", enqueueEvent(b, jobsapi.RouteBatch, `{"jobs":[`+strings.Join(items, ",")+`]}`))
	now := time.Now()
	var out jobsapi.BatchResponse
	if resp.StatusCode != 202 || json.Unmarshal([]byte(resp.Body), &out) != nil || len(out.Jobs) != k {
		b.Fatalf("batch: %d %.300s", resp.StatusCode, resp.Body)
	}
	for _, r := range out.Jobs {
		if r.Error != nil {
			b.Fatalf("batch job: %+v", r.Error)
		}
		p.accepted[r.ID] = now
	}
}
