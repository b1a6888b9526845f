package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/queue"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

// drainResult is what one sustained-drain run of `lambdis serve` measured.
type drainResult struct {
	arrived      int             // jobs enqueued
	arrival      float64         // jobs/s while arriving
	drain        float64         // jobs/s from the first arrival to the last job done
	backlogAtEnd int64           // due jobs waiting when the arrivals stopped
	quiet        []time.Duration // quiet queues' jobs: created → finished, sorted
}

// sustainedDrain runs `lambdis serve` with its default worker settings on
// rdb (described to serve by vars) while jobs arrive: rate tiny
// cache.invalidate jobs a second spread over the busy queues (straight into
// Redis, to reach the rate), and one job a second on each of five quiet
// queues through the API (which wakes the worker as deployed), for d. It waits for every job to
// finish and measures.
func sustainedDrain(t testing.TB, rdb redis.UniversalClient, vars map[string]string, busy []string, rate int, d time.Duration) drainResult {
	t.Helper()
	banner, _, stop := serveInProcess(t, vars, "--addr", "127.0.0.1:0")
	defer stop()
	base := strings.Fields(banner[strings.Index(banner, "listening on ")+len("listening on "):])[0]
	token := mint(t, nil, "--sub", "drain")
	ctx := context.Background()
	c := queue.NewClient(rdb, keys.Builder{}, 0)
	payload := json.RawMessage(`{"keys":["lambdis:cache:{drain}:absent"]}`)
	quietQueues := []string{"quiet1", "quiet2", "quiet3", "quiet4", "quiet5"}
	var mu sync.Mutex
	var quietIDs []string
	arrived := 0
	begin := time.Now()
	end := begin.Add(d)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // the busy queues: every 10ms, what the rate owes by then
		defer wg.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		sent := 0
		for i := 0; time.Now().Before(end); i++ {
			owed := min(queue.MaxBatch, int(float64(rate)*time.Since(begin).Seconds())-sent)
			if owed > 0 {
				batch := make([]queue.Job, owed)
				for j := range batch {
					batch[j] = queue.Job{Queue: busy[(sent+j)%len(busy)], Type: "cache.invalidate", Payload: payload}
				}
				if _, err := c.EnqueueBatch(ctx, batch); err != nil {
					t.Error(err)
					return
				}
				sent += owed
				mu.Lock()
				arrived += owed
				mu.Unlock()
			}
			<-tick.C
		}
	}()
	go func() { // the quiet queues: one job a second each, through the API
		defer wg.Done()
		for time.Now().Before(end) {
			for _, q := range quietQueues {
				r := call(t, "POST", base+"/jobs", token, `{"queue":"`+q+`","type":"cache.invalidate","payload":`+string(payload)+`}`)
				var e struct{ ID string }
				if err := json.Unmarshal(r.body, &e); r.status != 202 || err != nil {
					t.Errorf("enqueue: %d %s", r.status, r.body)
					return
				}
				mu.Lock()
				quietIDs = append(quietIDs, e.ID)
				arrived++
				mu.Unlock()
			}
			time.Sleep(time.Second)
		}
	}()
	wg.Wait()
	arrivalEnd := time.Now()
	var res drainResult
	all := append(append([]string(nil), busy...), quietQueues...)
	for _, q := range all {
		b, err := c.Books(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		res.backlogAtEnd += b.Backlog()
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		var succeeded int64
		for _, q := range all {
			b, err := c.Books(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			succeeded += b.Succeeded
		}
		if int(succeeded) >= arrived {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d jobs done 60s after the arrivals stopped", succeeded, arrived)
		}
		time.Sleep(20 * time.Millisecond)
	}
	done := time.Now()
	res.arrived = arrived
	res.arrival = float64(arrived) / arrivalEnd.Sub(begin).Seconds()
	res.drain = float64(arrived) / done.Sub(begin).Seconds()
	for _, id := range quietIDs {
		rec, err := c.Status(ctx, id)
		if err != nil || rec.FinishedAt == nil {
			t.Fatalf("quiet job %s: %+v %v", id, rec, err)
		}
		res.quiet = append(res.quiet, rec.FinishedAt.Sub(rec.CreatedAt))
	}
	slices.Sort(res.quiet)
	return res
}

func (r drainResult) String() string {
	q := func(p int) time.Duration { return r.quiet[min(len(r.quiet)-1, len(r.quiet)*p/100)] }
	return fmt.Sprintf("%d jobs arrived at %.0f/s, drained at %.0f/s, backlog %d when arrivals stopped; quiet queues' jobs created → done p50 %v, p99 %v, max %v",
		r.arrived, r.arrival, r.drain, r.backlogAtEnd, q(50).Round(time.Millisecond), q(99).Round(time.Millisecond), r.quiet[len(r.quiet)-1].Round(time.Millisecond))
}

// serveVars points `lambdis serve` at rdb.
func serveVars(rdb redis.UniversalClient) map[string]string {
	vars := map[string]string{}
	switch c := rdb.(type) {
	case *redis.ClusterClient:
		var addrs []string
		var mu sync.Mutex
		_ = c.ForEachMaster(context.Background(), func(_ context.Context, n *redis.Client) error {
			mu.Lock()
			defer mu.Unlock()
			addrs = append(addrs, n.Options().Addr)
			return nil
		})
		slices.Sort(addrs)
		vars["REDIS_ADDRS"], vars["REDIS_CLUSTER"] = strings.Join(addrs, ","), "true"
	case *redis.Client:
		vars["REDIS_URL"] = "redis://" + c.Options().Addr
	}
	return vars
}

// BenchmarkServeSustainedDrain: `lambdis serve` (default worker settings)
// against a 3-master cluster and one redis-server while tiny jobs arrive at
// 1,000, 2,000 and 4,000 a second over four busy queues (and five quiet
// queues get one a second): the drain rate beside the arrival rate, the
// backlog when the arrivals stop, the quiet queues' p99.
//
//	go test -run '^$' -bench ServeSustainedDrain -benchtime 1x ./cmd/lambdis
func BenchmarkServeSustainedDrain(b *testing.B) {
	busy := []string{"busy1", "busy2", "busy3", "busy4"}
	targets := []struct {
		name string
		rdb  func() redis.UniversalClient
	}{
		{"redis-server", func() redis.UniversalClient { return redistest.StartServer(b).Client(b) }},
		{"cluster", func() redis.UniversalClient { return redistest.StartCluster(b).Client(b) }},
	}
	for _, target := range targets {
		for _, rate := range []int{1000, 2000, 4000} {
			b.Run(fmt.Sprintf("%s/%d-per-s", target.name, rate), func(b *testing.B) {
				for range b.N {
					rdb := target.rdb()
					res := sustainedDrain(b, rdb, serveVars(rdb), busy, rate, 5*time.Second)
					b.ReportMetric(res.arrival, "arrival-jobs/s")
					b.ReportMetric(res.drain, "drain-jobs/s")
					b.ReportMetric(float64(res.backlogAtEnd), "backlog-at-end")
					b.ReportMetric(float64(res.quiet[len(res.quiet)*99/100])/float64(time.Millisecond), "quiet-p99-ms")
				}
			})
		}
	}
}

// TestServeKeepsUpWithArrivals: `lambdis serve` with its default worker
// settings keeps up with 1,000 tiny jobs/s over four busy queues while five
// quiet queues get a job a second, on one Redis and on a cluster: the
// backlog when the arrivals stop is a fraction of a second's worth, and the
// quiet queues' jobs are done within the stated bound (1s, p99).
func TestServeKeepsUpWithArrivals(t *testing.T) {
	busy := []string{"busy1", "busy2", "busy3", "busy4"}
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		res := sustainedDrain(t, rdb, serveVars(rdb), busy, 1000, 4*time.Second)
		t.Log(res)
		if res.backlogAtEnd > int64(res.arrival) {
			t.Errorf("the worker fell behind: %s", res)
		}
		if p99 := res.quiet[len(res.quiet)*99/100]; p99 > time.Second {
			t.Errorf("quiet queues waited past the bound: %s", res)
		}
	}, redistest.BackendServer, redistest.BackendCluster)
}
