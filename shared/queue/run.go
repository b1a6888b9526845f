package queue

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Plan is what one worker run drains.
type Plan struct {
	Queues []string
	// Weights share the run between queues with work (default 1 each): a
	// queue of weight 6 runs six jobs for every one of a queue of weight 1,
	// as in asynq. Each queue with due work gets its share whatever the
	// order of Queues.
	Weights map[string]int
	// Strict runs queues in strict priority, highest weight first (ties by
	// name): a queue runs only while every higher one has nothing due.
	Strict bool
	// MaxJobs caps the jobs run (0: no cap).
	MaxJobs int
	// Open lets the run take on a queue whose doorbell rings while no run
	// holds its lease (its first enqueue, or one while no worker was
	// awake on it): for a run over every queue in use.
	Open bool
}

// DefaultBudget bounds a run whose context has no deadline.
const DefaultBudget = time.Minute

// Drain runs queues with equal weights; see Run.
func (w *Worker) Drain(ctx context.Context, queues []string, maxJobs int) (Summary, error) {
	return w.Run(ctx, Plan{Queues: queues, MaxJobs: maxJobs})
}

// Run works the plan's queues until ctx's deadline leaves no time to start
// a job, maxJobs jobs have run, or nothing is left to do: with no Linger,
// once no queue has a job due now (after waiting MaxBlock for one); with a
// Linger, once nothing is due before the deadline and the run has been idle
// for Linger.
//
// A run polls its queues with one script each (fetch.lua: promote due
// delayed jobs, read new entries, hold the queue's wake lease), pipelined,
// so fifty empty queues cost one round trip per node, not fifty blocking
// reads. It polls a queue again at once while the last poll filled its
// count, on its doorbell (an enqueue to an idle queue publishes one), when
// its next delayed job or retry is due, and every Refresh in any case. It
// starts jobs by weight among the queues with entries fetched, and settles
// finished ones in the same pipeline as the next polls. Entries fetched but
// not started when the time is up are given back for the next run.
func (w *Worker) Run(ctx context.Context, p Plan) (Summary, error) {
	if len(p.Queues) == 0 {
		return Summary{}, nil // nothing registered yet: nothing to wait for either
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(DefaultBudget)
	}
	r, err := w.newRun(ctx, p, deadline)
	if err != nil {
		return Summary{}, err
	}
	defer r.close()
	r.loop(ctx)
	r.finish(ctx)
	return r.sum, errors.Join(r.errs...)
}

// lane is one queue in a run.
type lane struct {
	name     string
	k        queueKeys
	weight   int
	current  int       // smooth weighted round robin
	hot      bool      // the last poll filled its count: more is waiting
	poll     bool      // poll at the next turn: doorbell, or a lease to check
	nextPoll time.Time // poll by then (refresh)
	nextDue  time.Time // its next delayed job or retry (zero: none)
	ready    []work    // fetched, not started
	inflight int       // started, not finished
	back     []work    // handed back by a job cut short
	done     []*result // finished, not settled
	doneAt   time.Time // when the oldest of done finished
	reclaim  time.Time // look for orphans by then
}

// finished is a job's outcome on the way back to the run.
type finished struct {
	l *lane
	r *result
}

type run struct {
	w         *Worker
	lanes     []*lane
	byName    map[string]*lane
	strict    bool
	adopt     bool // takes on queues announced by their doorbell (Plan.Open)
	weights   map[string]int
	maxJobs   int
	started   int
	inflight  int
	deadline  time.Time
	lastStart time.Time // no job starts after this: it could not finish and settle
	lastWork  time.Time
	results   chan finished
	bell      *redis.PubSub
	bells     <-chan *redis.Message
	releases  int
	id        string // names the run in its leases
	sum       Summary
	errs      []error
	errSeen   map[string]bool
}

func (w *Worker) newRun(ctx context.Context, p Plan, deadline time.Time) (*run, error) {
	r := &run{
		w: w, byName: map[string]*lane{}, strict: p.Strict, adopt: p.Open, weights: p.Weights, maxJobs: p.MaxJobs,
		deadline: deadline, lastStart: deadline.Add(-w.cfg.JobTimeout - w.cfg.SettleReserve),
		lastWork: time.Now(), results: make(chan finished, w.cfg.Concurrency), errSeen: map[string]bool{},
		id: newRunID(),
	}
	for _, q := range p.Queues {
		if err := r.addLane(q); err != nil {
			return nil, err
		}
	}
	policy, evicting, err := EvictionPolicy(ctx, w.c.rdb)
	r.sum.EvictionPolicy, r.sum.Evicting = policy, evicting
	if err != nil {
		// Not fatal (miniredis has no INFO memory); the run is still safe.
		w.policyWarn.Do(func() { w.log.Warn("could not read the eviction policy", "error", err.Error()) })
	}
	if !p.Open { // an open run's queues come from the registry already
		if err := w.c.Register(ctx, p.Queues...); err != nil {
			r.fail(err)
		}
	}
	r.subscribe(ctx)
	return r, nil
}

// addLane adds queue to the run (once), in priority order when strict.
func (r *run) addLane(q string) error {
	if r.byName[q] != nil {
		return nil
	}
	k, err := newQueueKeys(r.w.c.keys, q)
	if err != nil {
		return err
	}
	wt := r.weights[q]
	if wt <= 0 {
		wt = 1
	}
	now := time.Now()
	l := &lane{name: q, k: k, weight: wt, poll: true, nextPoll: now, reclaim: now}
	r.lanes = append(r.lanes, l)
	r.byName[q] = l
	if r.strict {
		slices.SortStableFunc(r.lanes, func(a, b *lane) int { return cmp.Or(cmp.Compare(b.weight, a.weight), strings.Compare(a.name, b.name)) })
	}
	return nil
}

// subscribe listens on the doorbell channel; without it (an error) idle
// queues are still polled every Refresh.
func (r *run) subscribe(ctx context.Context) {
	ps := r.w.c.rdb.Subscribe(ctx, r.w.c.doorbell)
	sctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if _, err := ps.Receive(sctx); err != nil {
		_ = ps.Close()
		r.w.log.Warn("queue: no doorbell: idle queues are polled every "+r.w.cfg.Refresh.String(), "error", err.Error())
		return
	}
	r.bell, r.bells = ps, ps.Channel(redis.WithChannelSize(1024))
}

func (r *run) close() {
	if r.bell != nil {
		_ = r.bell.Close()
	}
}

// fail records an error once (a node that is down fails every poll).
func (r *run) fail(err error) {
	if msg := err.Error(); !r.errSeen[msg] {
		r.errSeen[msg] = true
		r.errs = append(r.errs, err)
	}
}

// open reports whether the run may still start jobs.
func (r *run) open(ctx context.Context) bool {
	return ctx.Err() == nil && time.Now().Before(r.lastStart) && (r.maxJobs <= 0 || r.started < r.maxJobs)
}

func (r *run) loop(ctx context.Context) {
	for {
		r.listen()
		open := r.open(ctx)
		if open {
			r.reclaimOrphans(ctx)
			r.dispatch(ctx) // jobs run while the round trip below is out
		}
		r.exchange(ctx, open, false)
		if open {
			r.dispatch(ctx)
		}
		busy := r.inflight > 0 || r.readyCount() > 0
		switch {
		case !open && r.inflight == 0:
			r.sum.OutOfTime = r.sum.OutOfTime || (ctx.Err() == nil && r.readyCount() > 0)
			return
		case !open:
			r.wait(ctx, r.deadline)
		case len(r.quotas(time.Now())) > 0:
			continue // a lane can read more now
		case busy:
			r.wait(ctx, r.nextPoll())
		default:
			if r.idleDone() {
				if r.release(ctx, false) {
					return
				}
				continue
			}
			start := time.Now()
			r.wait(ctx, r.idleUntil())
			r.sum.IdleMS += time.Since(start).Milliseconds()
		}
	}
}

// idleDone reports whether an idle run may return: with no Linger once it
// has waited MaxBlock, with one once nothing is due before the last start
// and it has been idle for Linger.
func (r *run) idleDone() bool {
	if r.w.cfg.Linger == 0 {
		return time.Since(r.lastWork) >= r.w.cfg.MaxBlock
	}
	if due := r.nextDue(); !due.IsZero() && due.Before(r.lastStart) {
		return false
	}
	return time.Since(r.lastWork) >= r.w.cfg.Linger
}

// idleUntil is when an idle run looks again: the next poll or due time,
// within its idle allowance.
func (r *run) idleUntil() time.Time {
	until := r.nextPoll()
	stay := r.w.cfg.Linger
	if stay == 0 {
		stay = r.w.cfg.MaxBlock
	}
	if due := r.nextDue(); r.w.cfg.Linger > 0 && !due.IsZero() && due.Before(r.lastStart) {
		return minTime(until, due)
	}
	return minTime(until, r.lastWork.Add(stay))
}

func (r *run) nextPoll() time.Time {
	t := r.lastStart
	for _, l := range r.lanes {
		if len(l.done) > 0 {
			t = minTime(t, l.doneAt.Add(settleDelay))
		}
		t = minTime(t, l.nextPoll)
		if !l.nextDue.IsZero() {
			t = minTime(t, l.nextDue)
		}
	}
	return t
}

func (r *run) nextDue() time.Time {
	var t time.Time
	for _, l := range r.lanes {
		if !l.nextDue.IsZero() && (t.IsZero() || l.nextDue.Before(t)) {
			t = l.nextDue
		}
	}
	return t
}

// newRunID is a random id for a run's leases.
func newRunID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func (r *run) readyCount() int {
	n := 0
	for _, l := range r.lanes {
		n += len(l.ready)
	}
	return n
}

// room is how many more entries the run may hold: fetched entries wait at
// most one batch.
func (r *run) room() int { return r.w.cfg.Batch - r.inflight - r.readyCount() }

// due reports whether a lane is to be polled now.
func (r *run) due(l *lane, now time.Time) bool {
	return l.hot || l.poll || !now.Before(l.nextPoll) || (!l.nextDue.IsZero() && !now.Before(l.nextDue))
}

// wait blocks until until, a finished job, a doorbell or ctx's end.
func (r *run) wait(ctx context.Context, until time.Time) {
	if r.inflight == 0 && r.pendingSettles() {
		r.exchange(ctx, false, true) // settle before a wait that may be long
	}
	d := time.Until(until)
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case f := <-r.results:
		r.collect(f)
	case m, ok := <-r.bells:
		if !ok {
			r.bells = nil
		} else {
			r.ring(m)
		}
	case <-t.C:
	case <-ctx.Done():
	}
	r.listen() // whatever else arrived
}

// listen takes the doorbells that rang and the jobs that finished,
// without waiting.
func (r *run) listen() {
	for {
		select {
		case f := <-r.results:
			r.collect(f)
		case m, ok := <-r.bells:
			if !ok {
				r.bells = nil
				return
			}
			r.ring(m)
		default:
			return
		}
	}
}

func (r *run) pendingSettles() bool {
	return slices.ContainsFunc(r.lanes, func(l *lane) bool { return len(l.done) > 0 })
}

func (r *run) ring(m *redis.Message) {
	if l := r.byName[m.Payload]; l != nil {
		l.poll = true
		return
	}
	if r.adopt && len(r.lanes) < MaxRunQueues {
		_ = r.addLane(m.Payload) // an invalid name is no queue: ignored
	}
}

// MaxRunQueues bounds the queues one run takes on by their doorbells.
const MaxRunQueues = 1000

func (r *run) collect(f finished) {
	r.inflight--
	f.l.inflight--
	r.lastWork = time.Now()
	if f.r.outcome == "giveback" {
		f.l.back = append(f.l.back, f.r.job)
		return
	}
	if len(f.l.done) == 0 {
		f.l.doneAt = r.lastWork
	}
	f.l.done = append(f.l.done, f.r)
}

// reclaimOrphans takes over, on lanes whose time has come, entries whose
// worker died, as many as the run has room for: they run in this run.
func (r *run) reclaimOrphans(ctx context.Context) {
	now := time.Now()
	for _, l := range r.lanes {
		room := r.room()
		if now.Before(l.reclaim) || room <= 0 {
			continue
		}
		batch, lost, dead, more, err := r.w.reclaim(ctx, l.k, l.name, room)
		l.reclaim = now.Add(r.w.cfg.ReclaimEvery)
		if err != nil && strings.Contains(err.Error(), "NOGROUP") {
			// No group yet (or lost): this turn's poll creates it (and
			// tells a loss from a first use); reclaim on the next turn.
			l.reclaim = now
			continue
		}
		if err != nil {
			r.fail(fmt.Errorf("queue %s: %w", l.name, err))
			continue
		}
		if more {
			l.reclaim = now
		}
		r.sum.Lost += lost
		r.sum.Dead += len(dead)
		r.sum.Reclaimed += len(batch) + len(dead)
		if lost > 0 {
			r.w.log.Error("stream entries lost: deleted while pending", "queue", l.name, "lost", lost)
		}
		for _, d := range dead {
			r.w.logDead(l.name, d)
		}
		l.ready = append(batch, l.ready...)
	}
}

func (r *run) recreated(l *lane) {
	r.sum.Recreated++
	r.w.log.Error("queue: the stream or its consumer group was gone and has been created again: Redis lost queue data (restart without persistence, FLUSHALL, failover); see the books for what is missing",
		"queue", l.name, "metric", "Recreated")
}

// settleDelay bounds how long a finished job waits for its settle.
const settleDelay = 20 * time.Millisecond

// call is one script call of a pipelined exchange.
type call struct {
	s    *redis.Script
	keys []string
	args []any
	cmd  *redis.Cmd
	done func(*redis.Cmd)
}

// exchange settles the finished jobs and polls the queues that are due, in
// one pipeline.
//
// Finished jobs are settled in batches: a lane's once it has a batch's
// worth (a concurrency's, at least a quarter of WORKER_BATCH), or its
// oldest finished settleDelay ago, or it has nothing more to run, or when
// flush says so (the run is about to wait, or to end): each settle call
// has a fixed cost (the ownership check, the trim), so a few large ones
// cost far less than many small ones.
func (r *run) exchange(ctx context.Context, open, flush bool) {
	var calls []*call
	least := max(r.w.cfg.Concurrency, r.w.cfg.Batch/4)
	for _, l := range r.lanes {
		if n := len(l.done); n > 0 && (flush || n >= least || time.Since(l.doneAt) >= settleDelay || (l.inflight == 0 && len(l.ready) == 0)) {
			calls = append(calls, r.settleCalls(l)...)
		}
	}
	if open {
		calls = append(calls, r.pollCalls(time.Now())...)
	}
	if len(calls) == 0 {
		return
	}
	// A settle outlives a cancelled ctx (a finished job must be recorded)
	// but not the deadline.
	pctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), r.deadline)
	defer cancel()
	r.w.eval(pctx, calls)
	for _, c := range calls {
		c.done(c.cmd)
	}
}

// eval runs calls in one pipeline (one EVALSHA each); a call refused with
// NOSCRIPT (a node that has not seen the script) runs again alone.
func (w *Worker) eval(ctx context.Context, calls []*call) {
	if len(calls) == 1 {
		c := calls[0]
		c.cmd = c.s.Run(ctx, w.c.rdb, c.keys, c.args...)
		return
	}
	_, _ = w.c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, c := range calls {
			c.cmd = c.s.EvalSha(ctx, p, c.keys, c.args...)
		}
		return nil
	})
	for _, c := range calls {
		if isNoScript(c.cmd.Err()) {
			c.cmd = c.s.Run(ctx, w.c.rdb, c.keys, c.args...)
		}
	}
}

// pollCalls are the fetches of the lanes due for a poll, each reading its
// quota; a lane due only for its lease and with no quota is polled for 0
// entries (the lease is renewed, due jobs promoted).
func (r *run) pollCalls(now time.Time) []*call {
	var calls []*call
	q := r.quotas(now)
	for _, l := range r.lanes {
		if n := q[l]; n > 0 {
			calls = append(calls, r.fetchCall(l, n))
		} else if r.due(l, now) && !now.Before(l.nextPoll) {
			calls = append(calls, r.fetchCall(l, 0))
		}
	}
	return calls
}

// quotas are how many entries each lane due for a poll may read now.
// Weighted fair: each active lane (one with entries fetched or running, a
// full last read, or a doorbell) may hold its weight's share of a batch, at
// least one, so a flooded queue never fills the run and a quiet one always
// has room. Strict: the first due lane in priority order gets all the
// room, the lanes below it wait their turn.
func (r *run) quotas(now time.Time) map[*lane]int {
	q := map[*lane]int{}
	if r.strict {
		if room := r.room(); room > 0 {
			for _, l := range r.lanes {
				if r.due(l, now) {
					q[l] = room
					break
				}
			}
		}
		return q
	}
	active := 0
	for _, l := range r.lanes {
		if l.hot || l.poll || len(l.ready) > 0 || l.inflight > 0 {
			active += l.weight
		}
	}
	for _, l := range r.lanes {
		if !r.due(l, now) {
			continue
		}
		share := max(1, r.w.cfg.Batch*l.weight/max(active, l.weight))
		free := share - len(l.ready) - l.inflight
		// A lane that is working refills once half its share is free (few
		// large reads, not many small ones); one that is not reads at once.
		if free > 0 && (l.inflight+len(l.ready) == 0 || l.poll || free >= share/2) {
			q[l] = free
		}
	}
	return q
}

func (r *run) fetchCall(l *lane, count int) *call {
	w := r.w
	c := &call{
		s:    fetchScript,
		keys: []string{l.k.stream, l.k.delayed, l.k.delayedData, l.k.meta, l.k.done, l.k.idemGC, l.k.expiry, l.k.stats, l.k.awake},
		args: []any{Group, w.cfg.Consumer, count, w.cfg.Lease.Milliseconds(), 1000, idemGCBatch, r.id},
	}
	c.done = func(cmd *redis.Cmd) {
		r.sum.Polls++
		now := time.Now()
		l.nextPoll = now.Add(w.cfg.Refresh)
		if count > 0 { // a fetch of 0 only renewed the lease: still hot, still due
			l.poll, l.hot = false, false
		}
		res, err := cmd.Slice()
		if err == nil && len(res) < 5 {
			err = fmt.Errorf("malformed reply of %d values", len(res))
		}
		if err != nil {
			r.fail(fmt.Errorf("queue %s: poll: %w", l.name, err))
			return
		}
		promoted, _ := res[0].(int64)
		healed, _ := res[1].(int64)
		nextDue, _ := res[2].(int64)
		redisNow, _ := res[3].(int64)
		ngc, _ := res[4].(int64)
		r.sum.Promoted += int(promoted)
		_, seen := w.seen.LoadOrStore(l.name, struct{}{})
		if healed == 2 || (healed == 1 && seen) {
			r.recreated(l)
		}
		l.nextDue = time.Time{}
		if nextDue >= 0 {
			l.nextDue = now.Add(time.Duration(nextDue-redisNow) * time.Millisecond)
		}
		rest := res[5:]
		if int(ngc) <= len(rest) && ngc > 0 {
			gc := rest[:ngc]
			for round := 0; len(gc) > 0 && round < idemGCRounds; round++ {
				if gc, err = w.idemGC(context.Background(), l.k, gc); err != nil {
					// Housekeeping only: the members stay in the gc set for the next poll.
					w.log.Warn("queue: idempotency records of purged jobs not deleted yet", "set", l.k.idemGC, "error", err.Error())
					break
				}
			}
		}
		rest = rest[min(int(ngc), len(rest)):]
		got := 0
		if len(rest) > 0 {
			entries, _ := rest[0].([]any)
			for _, e := range entries {
				if w, ok := entryWork(l.name, e); ok {
					l.ready = append(l.ready, w)
					got++
				}
			}
		}
		if count > 0 {
			l.hot = got >= count
		}
	}
	return c
}

// settleCalls settle a lane's finished jobs, 500 a call.
func (r *run) settleCalls(l *lane) []*call {
	w := r.w
	var calls []*call
	done := l.done
	l.done = nil
	for start := 0; start < len(done); start += 500 {
		chunk := done[start:min(start+500, len(done))]
		lo, hi := chunk[0].job.entry, chunk[0].job.entry
		for _, res := range chunk {
			if entryLess(res.job.entry, lo) {
				lo = res.job.entry
			}
			if entryLess(hi, res.job.entry) {
				hi = res.job.entry
			}
		}
		args := []any{Group, w.c.retention.Milliseconds(), w.cfg.Version, w.cfg.Consumer, len(chunk), lo, hi}
		for _, res := range chunk {
			args = append(args, res.job.entry, res.job.d.ID, res.job.d.Attempt, res.outcome, res.err, res.backoff.Milliseconds())
		}
		calls = append(calls, &call{
			s:    settleScript,
			keys: []string{l.k.stream, l.k.delayed, l.k.delayedData, l.k.dead, l.k.meta, l.k.stats, l.k.expiry, l.k.done},
			args: args,
			done: func(cmd *redis.Cmd) { r.settled(l, chunk, cmd) },
		})
	}
	return calls
}

func (r *run) settled(l *lane, chunk []*result, cmd *redis.Cmd) {
	owned, err := cmd.Int64Slice()
	if err != nil {
		// The entries stay pending: reclaimed after ReclaimAfter, run again.
		r.fail(fmt.Errorf("queue %s: settle: %w", l.name, err))
		return
	}
	for i, res := range chunk {
		if i >= len(owned) || owned[i] != 1 {
			r.sum.NotOwned++
			continue
		}
		r.sum.Processed++
		switch res.outcome {
		case "ok":
			r.sum.Succeeded++
		case "retry":
			r.sum.Retried++
			l.poll = true // its due time is news to the run
		default:
			r.sum.Dead++
			r.w.logDead(l.name, deadNote{id: res.job.d.ID, typ: res.job.d.Type, attempts: res.job.d.Attempt, err: res.err})
		}
	}
}

// deadNote is what the WARN line of a dead-lettered job says.
type deadNote struct {
	id, typ  string
	attempts int
	err      string
}

// logDead writes the one WARN line of a dead-lettered job.
func (w *Worker) logDead(queue string, d deadNote) {
	w.log.Warn("queue: job dead-lettered", "queue", queue, "id", d.id, "type", d.typ, "attempts", d.attempts, "error", d.err)
}

// dispatch starts jobs while the run has slots: strict priority takes the
// first lane with entries, weighted fair a smooth weighted round robin over
// the lanes with entries.
func (r *run) dispatch(ctx context.Context) {
	for r.inflight < r.w.cfg.Concurrency && r.open(ctx) {
		l := r.pick()
		if l == nil {
			return
		}
		job := l.ready[0]
		l.ready = l.ready[1:]
		r.inflight++
		l.inflight++
		r.started++
		r.lastWork = time.Now()
		go func() { r.results <- finished{l: l, r: r.w.run(ctx, job, r.deadline)} }()
	}
}

func (r *run) pick() *lane {
	var best *lane
	total := 0
	for _, l := range r.lanes {
		if len(l.ready) == 0 {
			continue
		}
		if r.strict {
			return l
		}
		l.current += l.weight
		total += l.weight
		if best == nil || l.current > best.current {
			best = l
		}
	}
	if best != nil {
		best.current -= total
	}
	return best
}

// release gives up the run's wake leases before it returns; it reports
// false (poll again) when an enqueue rang since the last poll. A run asks
// at most twice: another run busy on the queue keeps its lease "busy".
func (r *run) release(ctx context.Context, force bool) bool {
	r.releases++
	forced := 0
	if force {
		forced = 1
	}
	calls := make([]*call, 0, len(r.lanes))
	again := false
	for _, l := range r.lanes {
		calls = append(calls, &call{s: releaseScript, keys: []string{l.k.awake}, args: []any{forced, r.id}, done: func(cmd *redis.Cmd) {
			if n, err := cmd.Int(); err == nil && n == 0 {
				l.poll, again = true, true
			}
		}})
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	r.w.eval(rctx, calls)
	for _, c := range calls {
		c.done(c.cmd)
	}
	if again && !force && r.releases < 2 {
		r.lastWork = time.Now()
		return false
	}
	return true
}

// finish waits for the jobs in flight, settles them, gives back what did
// not start, and reads the books.
func (r *run) finish(ctx context.Context) {
	for r.inflight > 0 {
		r.collect(<-r.results)
	}
	r.exchange(ctx, false, true)
	for _, l := range r.lanes {
		back := append(l.back, l.ready...)
		l.back, l.ready = nil, nil
		if err := r.w.giveBack(ctx, l.k, back, r.deadline, &r.sum); err != nil {
			r.fail(fmt.Errorf("queue %s: %w", l.name, err))
		}
	}
	if r.releases == 0 { // out of time (or cancelled): give up every lease
		r.release(ctx, true)
	}
	bctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), r.deadline)
	defer cancel()
	for _, l := range r.lanes {
		removed, err := janitorScript.Run(bctx, r.w.c.rdb, []string{l.k.stream}, Group, r.w.cfg.IdleConsumer.Milliseconds()).Int()
		r.sum.ConsumersRemoved += removed
		if err != nil && !strings.Contains(err.Error(), "NOGROUP") {
			r.fail(fmt.Errorf("queue %s: janitor: %w", l.name, err))
		}
		b, err := r.w.c.Books(bctx, l.name)
		if err != nil {
			r.fail(err)
			continue
		}
		r.sum.Backlog += b.Backlog()
		r.sum.Pending += b.Pending
		r.sum.Delayed += b.Delayed
	}
}

// entryWork reads one XREADGROUP entry, {id, {field, value, ...}}.
func entryWork(queue string, e any) (work, bool) {
	pair, _ := e.([]any)
	if len(pair) != 2 {
		return work{}, false
	}
	id, _ := pair[0].(string)
	fields, _ := pair[1].([]any)
	var jid, typ, payload, attempt, max string
	for i := 0; i+1 < len(fields); i += 2 {
		k, _ := fields[i].(string)
		v, _ := fields[i+1].(string)
		switch k {
		case "id":
			jid = v
		case "type":
			typ = v
		case "payload":
			payload = v
		case "attempt":
			attempt = v
		case "max":
			max = v
		}
	}
	return work{entry: id, d: delivery(queue, jid, typ, payload, attempt, max, 1)}, true
}
