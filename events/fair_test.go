package events_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lambdis/lambdis/functions/worker/drainer"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/queue"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/lambdis/lambdis/shared/rietest"
)

// TestFloodBesideQuietQueuesUnderEmulator: the real worker bootstrap under
// the RIE, with its default settings, invoked back to back by the schedule
// (input {}: every queue in use), while one queue is flooded without pause
// and five get a job a second: every quiet job is done within the bound
// (1 s, p99; docs/worker.md), and the flooded queue is drained meanwhile.
func TestFloodBesideQuietQueuesUnderEmulator(t *testing.T) {
	srv := redistest.StartServer(t)
	rdb := srv.Client(t)
	ctx := context.Background()
	q := queue.NewClient(rdb, keys.Builder{}, 0)
	quiet := []string{"quiet1", "quiet2", "quiet3", "quiet4", "quiet5"}
	payload := json.RawMessage(`{"keys":["lambdis:cache:{fair}:absent"]}`)
	for _, name := range append([]string{"flooded"}, quiet...) { // in use: registered
		enqueueJob(t, q, queue.Job{Queue: name, Type: "cache.invalidate", Payload: payload})
	}
	worker := rietest.Start(t, rietest.Build(t, "worker"), append(functionEnv(t, workerFunction, srv.Addr),
		drainer.EnvQueues+"=", fmt.Sprintf("%s=4s", drainer.EnvFunctionTimeout), "AWS_LAMBDA_FUNCTION_TIMEOUT=4"))

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the schedule: back to back, as overlapping ticks keep a run awake
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, _, err := worker.Call(ctx, []byte(`{}`)); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	end := time.Now().Add(4 * time.Second)
	var ids []string
	flooded := 0
	for tick := 0; time.Now().Before(end); tick++ {
		batch := make([]queue.Job, 200)
		for i := range batch {
			batch[i] = queue.Job{Queue: "flooded", Type: "cache.invalidate", Payload: payload}
		}
		if _, err := q.EnqueueBatch(ctx, batch); err != nil {
			t.Fatal(err)
		}
		flooded += len(batch)
		if tick%20 == 0 { // about once a second
			for _, name := range quiet {
				ids = append(ids, enqueueJob(t, q, queue.Job{Queue: name, Type: "cache.invalidate", Payload: payload}))
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	var waits []time.Duration
	deadline := time.Now().Add(20 * time.Second)
	for _, id := range ids {
		for {
			rec, err := q.Status(ctx, id)
			if err == nil && rec.FinishedAt != nil {
				waits = append(waits, rec.FinishedAt.Sub(rec.CreatedAt))
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("quiet job %s not done: %+v %v", id, rec, err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	for time.Now().Before(deadline) {
		if b, err := q.Books(ctx, "flooded"); err == nil && b.Backlog()+b.Pending == 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if b, err := q.Books(ctx, "flooded"); err != nil || b.Succeeded != int64(flooded+1) || b.Drift() != 0 {
		t.Errorf("flooded queue: %+v %v, want %d succeeded", b, err, flooded+1)
	}
	slices.Sort(waits)
	p50, p99 := waits[len(waits)/2], waits[len(waits)*99/100]
	if p99 > time.Second {
		t.Errorf("quiet jobs waited p50 %v, p99 %v: the bound is 1s", p50, p99)
	}
	t.Logf("%d quiet jobs beside %d flooded ones (~4,000/s): created → done p50 %v, p99 %v, max %v",
		len(waits), flooded, p50.Round(time.Millisecond), p99.Round(time.Millisecond), waits[len(waits)-1].Round(time.Millisecond))
}
