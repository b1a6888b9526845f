package queue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// WorkerConfig tunes a Worker; zero fields take the defaults shown.
type WorkerConfig struct {
	Consumer        string        // consumer name; default from AWS_LAMBDA_LOG_STREAM_NAME
	Concurrency     int           // jobs run at once (10)
	Batch           int           // entries read per XREADGROUP (100)
	Lanes           int           // read-run-settle loops per queue at once (2); each holds a connection while it reads
	JobTimeout      time.Duration // per job (30s), cut to the time left
	FunctionTimeout time.Duration // the worker Lambda's timeout (60s)
	ReclaimMargin   time.Duration // added to FunctionTimeout for reclaiming (30s)
	MaxDeliveries   int           // deliveries of one attempt before dead-lettering (5)
	SettleReserve   time.Duration // kept at the end to settle and give back (1s)
	MaxBlock        time.Duration // longest wait for new entries when a queue is empty (200ms)
	IdleConsumer    time.Duration // consumers idle this long with nothing pending are removed (1h)
	Backoff         Backoff       // DefaultBackoff
	Version         string        // recorded on dead letters; default AWS_LAMBDA_FUNCTION_VERSION
}

func (c WorkerConfig) withDefaults() WorkerConfig {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	defInt := func(n *int, v int) {
		if *n <= 0 {
			*n = v
		}
	}
	defInt(&c.Concurrency, 10)
	defInt(&c.Batch, 100)
	defInt(&c.Lanes, 2)
	defInt(&c.MaxDeliveries, 5)
	def(&c.JobTimeout, 30*time.Second)
	def(&c.FunctionTimeout, 60*time.Second)
	def(&c.ReclaimMargin, 30*time.Second)
	def(&c.SettleReserve, time.Second)
	def(&c.MaxBlock, 200*time.Millisecond)
	def(&c.IdleConsumer, time.Hour)
	if c.Backoff.Base <= 0 || c.Backoff.Max <= 0 {
		c.Backoff = DefaultBackoff
	}
	if c.Consumer == "" {
		c.Consumer = DefaultConsumer()
	}
	if c.Version == "" {
		c.Version = os.Getenv("AWS_LAMBDA_FUNCTION_VERSION")
	}
	return c
}

// ReclaimAfter is the idle time after which a pending entry is orphaned.
func (c WorkerConfig) ReclaimAfter() time.Duration { return c.FunctionTimeout + c.ReclaimMargin }

// DefaultConsumer names the consumer after the Lambda execution environment
// (its log stream, reused across warm invocations), else host and pid.
func DefaultConsumer() string {
	if s := os.Getenv("AWS_LAMBDA_LOG_STREAM_NAME"); s != "" {
		h := sha256.Sum256([]byte(s))
		return "lambda-" + hex.EncodeToString(h[:8])
	}
	host, _ := os.Hostname()
	return fmt.Sprintf("%s-%d", host, os.Getpid())
}

// Worker drains queues.
type Worker struct {
	c        *Client
	cfg      WorkerConfig
	registry *Registry
	log      *slog.Logger
	groups   sync.Map // queue -> struct{}: consumer group known to exist

	policyWarn sync.Once
}

// NewWorker returns a Worker running the registry's handlers.
func NewWorker(c *Client, registry *Registry, cfg WorkerConfig, log *slog.Logger) *Worker {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Worker{c: c, cfg: cfg.withDefaults(), registry: registry, log: log}
}

// Config returns the effective configuration.
func (w *Worker) Config() WorkerConfig { return w.cfg }

// Summary is what one Drain did.
type Summary struct {
	Processed        int    `json:"processed"` // jobs run to an outcome
	Succeeded        int    `json:"succeeded"`
	Retried          int    `json:"retried"`
	Dead             int    `json:"dead"`
	Reclaimed        int    `json:"reclaimed"`
	Lost             int    `json:"lost"`
	GivenBack        int    `json:"given_back"`
	Promoted         int    `json:"promoted"`
	NotOwned         int    `json:"not_owned"` // results dropped: another worker had reclaimed the entry
	ConsumersRemoved int    `json:"consumers_removed"`
	Backlog          int64  `json:"backlog"` // waiting on the stream when the drain ended
	Pending          int64  `json:"pending"`
	Delayed          int64  `json:"delayed"`
	Evicting         bool   `json:"evicting"` // the server may evict queue keys
	EvictionPolicy   string `json:"eviction_policy,omitempty"`
	OutOfTime        bool   `json:"out_of_time"` // stopped because the budget could not fit another batch
}

func (s *Summary) add(o Summary) {
	s.Processed += o.Processed
	s.Succeeded += o.Succeeded
	s.Retried += o.Retried
	s.Dead += o.Dead
	s.Reclaimed += o.Reclaimed
	s.Lost += o.Lost
	s.GivenBack += o.GivenBack
	s.Promoted += o.Promoted
	s.NotOwned += o.NotOwned
	s.ConsumersRemoved += o.ConsumersRemoved
	s.OutOfTime = s.OutOfTime || o.OutOfTime
}

// GivenBackConsumer holds entries given back unstarted: they are pending
// (so nothing loses them) but idle past the reclaim threshold, so the next
// drain reclaims them at once. Status and Books do not count them as active.
const GivenBackConsumer = "(given-back)"

// DefaultBudget bounds a Drain whose context has no deadline.
const DefaultBudget = time.Minute

// Drain works the queues until they are empty, maxJobs jobs have run (0: no
// cap), or the time left (ctx's deadline) cannot fit another batch. Jobs
// fetched but not started are given back for the next run.
func (w *Worker) Drain(ctx context.Context, queues []string, maxJobs int) (Summary, error) {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(DefaultBudget)
	}
	var sum Summary
	policy, evicting, err := EvictionPolicy(ctx, w.c.rdb)
	sum.EvictionPolicy, sum.Evicting = policy, evicting
	if err != nil {
		// Not fatal (miniredis has no INFO memory); the drain is still safe.
		// Summary.Evicting carries the finding; the caller reports it.
		w.policyWarn.Do(func() { w.log.Warn("could not read the eviction policy", "error", err.Error()) })
	}
	var errs []error
	for _, q := range queues {
		left := 0
		if maxJobs > 0 {
			left = maxJobs - sum.Processed
			if left <= 0 {
				break
			}
		}
		s, err := w.drainQueue(ctx, q, deadline, left)
		sum.add(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("queue %s: %w", q, err))
		}
	}
	for _, q := range queues {
		b, err := w.c.Books(context.WithoutCancel(ctx), q)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		sum.Backlog += b.Backlog()
		sum.Pending += b.Pending
		sum.Delayed += b.Delayed
	}
	return sum, errors.Join(errs...)
}

func (w *Worker) ensureGroup(ctx context.Context, k queueKeys) error {
	if _, ok := w.groups.Load(k.stream); ok {
		return nil
	}
	err := w.c.rdb.XGroupCreateMkStream(ctx, k.stream, Group, "0").Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("create consumer group: %w", err)
	}
	w.groups.Store(k.stream, struct{}{})
	return nil
}

// work is one fetched entry.
type work struct {
	entry string
	d     Delivery
}

func (w *Worker) drainQueue(ctx context.Context, queue string, deadline time.Time, maxJobs int) (Summary, error) {
	var sum Summary
	k, err := newQueueKeys(w.c.keys, queue)
	if err != nil {
		return sum, err
	}
	if err := w.ensureGroup(ctx, k); err != nil {
		return sum, err
	}
	// Orphans first: they have waited longest.
	sem := make(chan struct{}, w.cfg.Concurrency)
	for {
		batch, lost, dead, more, err := w.reclaim(ctx, k, queue)
		sum.Lost += lost
		sum.Dead += dead
		sum.Reclaimed += len(batch) + dead
		if lost > 0 {
			w.log.Error("stream entries lost: deleted while pending", "queue", queue, "lost", lost)
		}
		if err != nil {
			return sum, err
		}
		if len(batch) > 0 {
			s, err := w.runBatch(ctx, k, batch, deadline, sem)
			sum.add(s)
			if err != nil {
				return sum, err
			}
		}
		if !more || sum.OutOfTime {
			break
		}
	}
	// Lanes: several read-run-settle loops share the job concurrency (sem),
	// so the server settles one batch while another is read and a third runs.
	var (
		mu       sync.Mutex
		errs     []error
		reserved atomic.Int64 // entries fetched, to honour maxJobs
		wg       sync.WaitGroup
	)
	reserve := func() int {
		for {
			cur := reserved.Load()
			n := int64(w.cfg.Batch)
			if maxJobs > 0 {
				n = min(n, int64(maxJobs)-cur)
			}
			if n <= 0 {
				return 0
			}
			if reserved.CompareAndSwap(cur, cur+n) {
				return int(n)
			}
		}
	}
	for range w.cfg.Lanes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n, err := w.promote(ctx, k)
				var s Summary
				s.Promoted = n
				count := 0
				var batch []work
				if err == nil {
					block := time.Until(deadline) - w.cfg.JobTimeout - w.cfg.SettleReserve
					if block < time.Millisecond {
						s.OutOfTime = true
					} else if count = reserve(); count > 0 {
						batch, err = w.read(ctx, k, queue, count, min(block, w.cfg.MaxBlock))
						reserved.Add(int64(len(batch) - count))
					}
				}
				if err == nil && len(batch) > 0 {
					var bs Summary
					bs, err = w.runBatch(ctx, k, batch, deadline, sem)
					s.add(bs)
				}
				mu.Lock()
				sum.add(s)
				if err != nil {
					errs = append(errs, err)
				}
				stop := err != nil || len(batch) == 0 || sum.OutOfTime || len(errs) > 0
				mu.Unlock()
				if stop {
					return
				}
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return sum, errors.Join(errs...)
	}
	removed, err := janitorScript.Run(context.WithoutCancel(ctx), w.c.rdb, []string{k.stream}, Group, w.cfg.IdleConsumer.Milliseconds()).Int()
	sum.ConsumersRemoved += removed
	if err != nil {
		return sum, fmt.Errorf("janitor: %w", err)
	}
	return sum, nil
}

// idemGCBatch bounds the idempotency records deleted per idemgc call, and
// idemGCRounds the calls per promote (the rest waits for the next one).
const idemGCBatch, idemGCRounds = 500, 4

func (w *Worker) promote(ctx context.Context, k queueKeys) (int, error) {
	res, err := promoteScript.Run(ctx, w.c.rdb, []string{k.stream, k.delayed, k.delayedData, k.meta, k.done, k.idemGC, k.expiry, k.stats}, 1000, idemGCBatch).Slice()
	if err != nil {
		return 0, fmt.Errorf("promote: %w", err)
	}
	if len(res) < 2 {
		return 0, fmt.Errorf("promote: malformed reply of %d values", len(res))
	}
	promoted, _ := res[0].(int64)
	gc := res[2:]
	for round := 0; len(gc) > 0 && round < idemGCRounds; round++ {
		if gc, err = w.idemGC(ctx, k, gc); err != nil {
			// Housekeeping only: the members stay in the gc set for the
			// next run, and the drain goes on.
			w.log.Warn("queue: idempotency records of purged jobs not deleted yet", "set", k.idemGC, "error", err.Error())
			break
		}
	}
	return int(promoted), nil
}

// idemGC deletes the idempotency records of purged jobs (members of the gc
// set, "<job id> <record key>"), each only if its job still owns it, in one
// script call; it returns the next members.
func (w *Worker) idemGC(ctx context.Context, k queueKeys, members []any) ([]any, error) {
	ks := []string{k.idemGC}
	args := []any{idemGCBatch}
	for _, m := range members {
		s, _ := m.(string)
		_, rk, ok := strings.Cut(s, " ")
		if !ok {
			return nil, fmt.Errorf("idempotency gc: malformed member %q", s)
		}
		ks, args = append(ks, rk), append(args, s)
	}
	res, err := idemgcScript.Run(ctx, w.c.rdb, ks, args...).Slice()
	if err != nil {
		return nil, fmt.Errorf("idempotency gc: %w", err)
	}
	if len(res) < 1 {
		return nil, errors.New("idempotency gc: empty reply")
	}
	return res[1:], nil
}

func (w *Worker) reclaim(ctx context.Context, k queueKeys, queue string) (batch []work, lost, dead int, more bool, err error) {
	res, err := reclaimScript.Run(ctx, w.c.rdb, []string{k.stream, k.dead, k.meta, k.stats, k.expiry},
		Group, w.cfg.Consumer, w.cfg.ReclaimAfter().Milliseconds(), w.cfg.Batch, w.cfg.MaxDeliveries,
		w.cfg.Version, w.c.retention.Milliseconds()).Slice()
	if err != nil {
		return nil, 0, 0, false, fmt.Errorf("reclaim: %w", err)
	}
	if len(res) < 3 || (len(res)-3)%7 != 0 {
		return nil, 0, 0, false, fmt.Errorf("reclaim: malformed reply of %d values", len(res))
	}
	l, _ := res[0].(int64)
	dd, _ := res[1].(int64)
	m, _ := res[2].(int64)
	for i := 3; i < len(res); i += 7 {
		s := func(j int) string { v, _ := res[i+j].(string); return v }
		deliveries, _ := res[i+6].(int64)
		batch = append(batch, work{entry: s(0), d: delivery(queue, s(1), s(2), s(3), s(4), s(5), int(deliveries))})
	}
	return batch, int(l), int(dd), m == 1, nil
}

func delivery(queue, id, typ, payload, attempt, max string, deliveries int) Delivery {
	a, _ := strconv.Atoi(attempt)
	m, _ := strconv.Atoi(max)
	return Delivery{ID: id, Queue: queue, Type: typ, Payload: []byte(payload), Attempt: a, MaxAttempts: m, Deliveries: deliveries}
}

func (w *Worker) read(ctx context.Context, k queueKeys, queue string, count int, block time.Duration) ([]work, error) {
	res, err := w.c.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: Group, Consumer: w.cfg.Consumer, Streams: []string{k.stream, ">"},
		Count: int64(count), Block: block, // never 0: that would block forever
	}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	var batch []work
	for _, st := range res {
		for _, m := range st.Messages {
			s := func(f string) string { v, _ := m.Values[f].(string); return v }
			batch = append(batch, work{entry: m.ID, d: delivery(queue, s("id"), s("type"), s("payload"), s("attempt"), s("max"), 1)})
		}
	}
	return batch, nil
}

// result is one job's outcome, ready to settle.
type result struct {
	entry, id, outcome, err string
	attempt                 int
	backoff                 time.Duration
}

// runBatch runs a batch with bounded concurrency, settles every finished job
// in one script call and gives back those it had no time to start.
func (w *Worker) runBatch(ctx context.Context, k queueKeys, batch []work, deadline time.Time, sem chan struct{}) (Summary, error) {
	var sum Summary
	results := make([]*result, len(batch))
	started := make([]bool, len(batch))
	var wg sync.WaitGroup
	for i, job := range batch {
		sem <- struct{}{}
		// Start a job only if it can run to its timeout and still be settled.
		if time.Until(deadline) < w.cfg.JobTimeout+w.cfg.SettleReserve || ctx.Err() != nil {
			<-sem
			sum.OutOfTime = true
			break
		}
		started[i] = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results[i] = w.run(ctx, job, deadline)
		}()
	}
	wg.Wait()

	// Settle in one call what ran; the settle outlives a cancelled ctx (a
	// finished job must be recorded) but not the deadline.
	sctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
	defer cancel()
	var done []*result
	for i, r := range results {
		if r != nil && r.outcome == "giveback" {
			started[i] = false // goes back with the unstarted ones
			continue
		}
		if r != nil {
			done = append(done, r)
		}
	}
	if len(done) > 0 {
		owned, err := w.settle(sctx, k, done)
		if err != nil {
			return sum, err
		}
		for i, r := range done {
			if !owned[i] {
				sum.NotOwned++
				continue
			}
			sum.Processed++
			switch r.outcome {
			case "ok":
				sum.Succeeded++
			case "retry":
				sum.Retried++
			default:
				sum.Dead++
			}
		}
	}
	var back []work
	for i, job := range batch {
		if !started[i] {
			back = append(back, job)
		}
	}
	if err := w.giveBack(ctx, k, back, deadline, &sum); err != nil {
		return sum, err
	}
	return sum, nil
}

// giveBack returns unstarted entries: their idle time is set past the
// reclaim threshold and their delivery count restored, so the next drain
// takes them at once and no attempt is spent.
func (w *Worker) giveBack(ctx context.Context, k queueKeys, batch []work, deadline time.Time, sum *Summary) error {
	if len(batch) == 0 {
		return nil
	}
	sctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
	defer cancel()
	args := []any{Group, GivenBackConsumer, w.cfg.ReclaimAfter().Milliseconds() + 1}
	for _, job := range batch {
		args = append(args, job.entry, job.d.Deliveries-1)
	}
	n, err := givebackScript.Run(sctx, w.c.rdb, []string{k.stream}, args...).Int()
	sum.GivenBack += n
	if err != nil {
		return fmt.Errorf("give back: %w", err)
	}
	return nil
}

// run executes one job and decides its outcome.
func (w *Worker) run(ctx context.Context, job work, deadline time.Time) (r *result) {
	d := job.d
	r = &result{entry: job.entry, id: d.ID, attempt: d.Attempt}
	h, ok := w.registry.Handler(d.Type)
	if !ok {
		r.outcome, r.err = "dead", fmt.Sprintf("no handler for job type %q", d.Type)
		return r
	}
	end := time.Now().Add(w.cfg.JobTimeout)
	if limit := deadline.Add(-w.cfg.SettleReserve); limit.Before(end) {
		end = limit
	}
	jctx, cancel := context.WithDeadline(ctx, end)
	defer cancel()
	err := func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("handler panicked: %v", p)
			}
		}()
		return h(jctx, d)
	}()
	switch {
	case err != nil && ctx.Err() != nil:
		// The drain itself was cancelled, not the job: give it back
		// rather than charge an attempt.
		r.outcome = "giveback"
	case err == nil:
		r.outcome = "ok"
	case IsPermanent(err):
		r.outcome, r.err = "dead", err.Error()
	case d.Attempt >= d.MaxAttempts:
		r.outcome, r.err = "dead", fmt.Sprintf("attempt %d of %d: %v", d.Attempt, d.MaxAttempts, err)
	default:
		r.outcome, r.err, r.backoff = "retry", err.Error(), w.cfg.Backoff.Delay(d.Attempt)
	}
	if len(r.err) > 2048 {
		r.err = r.err[:2048]
	}
	return r
}

func (w *Worker) settle(ctx context.Context, k queueKeys, done []*result) ([]bool, error) {
	owned := make([]bool, 0, len(done))
	for start := 0; start < len(done); start += 500 {
		chunk := done[start:min(start+500, len(done))]
		lo, hi := chunk[0].entry, chunk[0].entry
		for _, r := range chunk {
			if entryLess(r.entry, lo) {
				lo = r.entry
			}
			if entryLess(hi, r.entry) {
				hi = r.entry
			}
		}
		args := []any{Group, w.c.retention.Milliseconds(), w.cfg.Version, w.cfg.Consumer, len(chunk), lo, hi}
		for _, r := range chunk {
			args = append(args, r.entry, r.id, r.attempt, r.outcome, r.err, r.backoff.Milliseconds())
		}
		res, err := settleScript.Run(ctx, w.c.rdb,
			[]string{k.stream, k.delayed, k.delayedData, k.dead, k.meta, k.stats, k.expiry, k.done}, args...).Int64Slice()
		if err != nil {
			return owned, fmt.Errorf("settle: %w", err)
		}
		for _, v := range res {
			owned = append(owned, v == 1)
		}
	}
	return owned, nil
}

// entryLess orders stream entry ids ("<ms>-<seq>").
func entryLess(a, b string) bool {
	am, as, _ := strings.Cut(a, "-")
	bm, bs, _ := strings.Cut(b, "-")
	if len(am) != len(bm) {
		return len(am) < len(bm)
	}
	if am != bm {
		return am < bm
	}
	if len(as) != len(bs) {
		return len(as) < len(bs)
	}
	return as < bs
}
