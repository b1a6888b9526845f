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
	"time"
)

// WorkerConfig tunes a Worker; zero fields take the defaults shown.
type WorkerConfig struct {
	Consumer        string        // consumer name; default from AWS_LAMBDA_LOG_STREAM_NAME
	Concurrency     int           // jobs run at once (10)
	Batch           int           // entries a run holds, fetched and running (100); a queue with work may hold its weight's share
	JobTimeout      time.Duration // per job (30s), cut to the time left
	FunctionTimeout time.Duration // the worker Lambda's timeout (60s)
	ReclaimMargin   time.Duration // added to FunctionTimeout for reclaiming (30s)
	MaxDeliveries   int           // deliveries of one attempt before dead-lettering (5)
	SettleReserve   time.Duration // kept at the end to settle and give back (1s)
	MaxBlock        time.Duration // with no Linger: how long an idle run waits for new work before it returns (200ms)
	Linger          time.Duration // 0: return once idle (after MaxBlock); else stay for work due before the deadline, and this long idle
	Lease           time.Duration // a run's wake lease on its queues, renewed by every poll (5s)
	Refresh         time.Duration // an idle queue is polled this often even without a doorbell (1s)
	ReclaimEvery    time.Duration // how often a run looks for orphaned entries (10s)
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
	defInt(&c.MaxDeliveries, 5)
	def(&c.JobTimeout, 30*time.Second)
	def(&c.FunctionTimeout, 60*time.Second)
	def(&c.ReclaimMargin, 30*time.Second)
	def(&c.SettleReserve, time.Second)
	def(&c.MaxBlock, 200*time.Millisecond)
	def(&c.IdleConsumer, time.Hour)
	def(&c.Lease, 5*time.Second)
	def(&c.Refresh, time.Second)
	def(&c.ReclaimEvery, 10*time.Second)
	if c.Linger < 0 {
		c.Linger = 0
	}
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
	seen     sync.Map // queue -> struct{}: a group this container read from (a later NOGROUP is a loss)

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
	Recreated        int    `json:"recreated"`   // streams or consumer groups Redis had lost, created again
	Polls            int    `json:"polls"`       // queue polls (one script each, pipelined)
	IdleMS           int64  `json:"idle_ms"`     // time spent waiting with nothing to run
}

// GivenBackConsumer holds entries given back unstarted: they are pending
// (so nothing loses them) but idle past the reclaim threshold, so the next
// drain reclaims them at once. Status and Books do not count them as active.
const GivenBackConsumer = "(given-back)"

// work is one fetched entry.
type work struct {
	entry string
	d     Delivery
}

// idemGCBatch bounds the idempotency records deleted per idemgc call, and
// idemGCRounds the calls per promote (the rest waits for the next one).
const idemGCBatch, idemGCRounds = 500, 4

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

func (w *Worker) reclaim(ctx context.Context, k queueKeys, queue string, count int) (batch []work, lost int, dead []deadNote, more bool, err error) {
	res, err := reclaimScript.Run(ctx, w.c.rdb, []string{k.stream, k.dead, k.meta, k.stats, k.expiry},
		Group, w.cfg.Consumer, w.cfg.ReclaimAfter().Milliseconds(), count, w.cfg.MaxDeliveries,
		w.cfg.Version, w.c.retention.Milliseconds()).Slice()
	if err != nil {
		return nil, 0, nil, false, fmt.Errorf("reclaim: %w", err)
	}
	if len(res) < 3 || (len(res)-3)%7 != 0 {
		return nil, 0, nil, false, fmt.Errorf("reclaim: malformed reply of %d values", len(res))
	}
	l, _ := res[0].(int64)
	dl, _ := res[1].([]any)
	for i := 0; i+2 < len(dl); i += 3 {
		s := func(j int) string { v, _ := dl[i+j].(string); return v }
		a, _ := strconv.Atoi(s(2))
		dead = append(dead, deadNote{id: s(0), typ: s(1), attempts: a, err: reclaimDeadError})
	}
	m, _ := res[2].(int64)
	for i := 3; i < len(res); i += 7 {
		s := func(j int) string { v, _ := res[i+j].(string); return v }
		deliveries, _ := res[i+6].(int64)
		batch = append(batch, work{entry: s(0), d: delivery(queue, s(1), s(2), s(3), s(4), s(5), int(deliveries))})
	}
	return batch, int(l), dead, m == 1, nil
}

// reclaimDeadError is the error reclaim.lua records on a job delivered too
// many times.
const reclaimDeadError = "delivered too many times without settling: the worker crashed or timed out each time"

func delivery(queue, id, typ, payload, attempt, max string, deliveries int) Delivery {
	a, _ := strconv.Atoi(attempt)
	m, _ := strconv.Atoi(max)
	return Delivery{ID: id, Queue: queue, Type: typ, Payload: []byte(payload), Attempt: a, MaxAttempts: m, Deliveries: deliveries}
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

// result is one job's outcome, ready to settle.
type result struct {
	job     work
	outcome string // ok, retry, dead, or giveback (not started: the run was cancelled)
	err     string
	backoff time.Duration
}

// run executes one job and decides its outcome.
func (w *Worker) run(ctx context.Context, job work, deadline time.Time) (r *result) {
	d := job.d
	r = &result{job: job}
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
