package queue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/lambdis/lambdis/shared/envvar"
	"github.com/lambdis/lambdis/shared/idempotency"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/redis/go-redis/v9"
)

// DefaultRetention keeps finished job records (and their idempotency keys).
const DefaultRetention = 24 * time.Hour

// EnvRetention names how long finished job records are kept; the enqueue
// function and the worker must agree on it.
const EnvRetention = "JOB_RETENTION"

// RetentionFromEnv reads JOB_RETENTION: from 1s to MaxDelay, DefaultRetention
// when unset.
func RetentionFromEnv(get envvar.Getenv) (time.Duration, error) {
	return envvar.Duration(get, EnvRetention, DefaultRetention, time.Second, MaxDelay)
}

// Errors of the client.
var (
	ErrNotFound = errors.New("job not found")
	// ErrIdempotencyConflict: the idempotency key was used with another
	// payload. It is idempotency.ErrPayloadMismatch: enqueue keeps its
	// idempotency records with shared/idempotency's record library.
	ErrIdempotencyConflict = idempotency.ErrPayloadMismatch
)

// Client enqueues jobs, reads their state and manages dead letters.
type Client struct {
	rdb       redis.UniversalClient
	keys      keys.Builder
	retention time.Duration
	last      atomic.Pointer[queueKeys] // the keys of the queue last enqueued to
	waker     Waker                     // nil: no wakes
	registry  string                    // the queue registry's key
	doorbell  string                    // the doorbell channel
}

// NewClient returns a Client; retention 0 means DefaultRetention.
func NewClient(rdb redis.UniversalClient, kb keys.Builder, retention time.Duration) *Client {
	if retention <= 0 {
		retention = DefaultRetention
	}
	reg, _ := kb.Key(RegistryModule, RegistryTag) // a constant, valid tag
	return &Client{rdb: rdb, keys: kb, retention: retention, registry: reg, doorbell: doorbellChannel(kb)}
}

// Retention is how long finished records are kept.
func (c *Client) Retention() time.Duration { return c.retention }

// Enqueued is the outcome of one enqueue.
type Enqueued struct {
	ID        string
	Duplicate bool // an earlier request with the same key and payload made this job
	Err       error
	// Woken is set on the first job of each queue whose enqueue woke a
	// worker (the queue had none awake); WakeErr when that wake failed. A
	// failed wake is not an enqueue error: the job is stored, and the
	// schedule's next tick runs it. Callers log and count it.
	Woken   bool
	WakeErr error
	// RegisterErr: the queue was used for the first time and could not be
	// added to the registry; the next enqueue to it tries again. Until then
	// only a worker configured with its name drains it.
	RegisterErr error
}

// Enqueue adds one job in one script call.
func (c *Client) Enqueue(ctx context.Context, j Job) (Enqueued, error) {
	out, err := c.EnqueueBatch(ctx, []Job{j})
	if err != nil {
		return Enqueued{}, err
	}
	return out[0], out[0].Err
}

// EnqueueBatch adds up to MaxBatch jobs in one round trip (one script call
// per queue, pipelined). A job whose idempotency key was used with another
// payload gets ErrIdempotencyConflict in its Err; the others are enqueued.
func (c *Client) EnqueueBatch(ctx context.Context, jobs []Job) ([]Enqueued, error) {
	if len(jobs) == 0 || len(jobs) > MaxBatch {
		return nil, fmt.Errorf("%w: a batch holds 1 to %d jobs, not %d", ErrInvalidJob, MaxBatch, len(jobs))
	}
	// A batch of jobs due now without keys (the common case) runs
	// enqueuenow.lua, any other enqueue.lua.
	now := true
	for _, j := range jobs {
		if j.Delay != 0 || !j.RunAt.IsZero() || j.IdempotencyKey != "" {
			now = false
			break
		}
	}
	script := enqueueScript
	if now {
		script = enqueueNowScript
	}
	groups := map[string]*group{}
	var order []string
	for i, j := range jobs {
		if err := j.Validate(); err != nil {
			return nil, fmt.Errorf("job %d: %w", i, err)
		}
		g := groups[j.Queue]
		if g == nil {
			k, err := c.queueKeys(j.Queue)
			if err != nil {
				return nil, err
			}
			g = &group{queue: j.Queue, scriptKeys: []string{k.stream, k.meta, k.stats, k.awake}, args: c.wakeArgs(j.Queue)}
			if !now {
				g.scriptKeys = []string{k.stream, k.meta, k.stats, k.delayed, k.delayedData, k.awake}
			}
			groups[j.Queue] = g
			order = append(order, j.Queue)
		}
		g.idx = append(g.idx, i)
		max := j.MaxAttempts
		if max == 0 {
			max = DefaultAttempts
		}
		payload := []byte(j.Payload)
		if len(payload) == 0 {
			payload = []byte("null")
		}
		id, rk, opts := newJobID(j.Queue), "", ""
		if j.IdempotencyKey != "" {
			var err error
			if rk, err = idemRecordKey(c.keys, j.Queue, j.IdempotencyScope, j.IdempotencyKey); err != nil {
				return nil, fmt.Errorf("job %d: %w: %w", i, ErrInvalidJob, err)
			}
			opts = fmt.Sprintf("%d %d %d %s", j.Delay.Milliseconds(), runAtMS(j), g.recordIndex(rk), payloadHash(j))
		} else if j.Delay != 0 || !j.RunAt.IsZero() {
			opts = fmt.Sprintf("%d %d 0 ", j.Delay.Milliseconds(), runAtMS(j))
		}
		g.args = append(g.args, id, j.Type, payload, max, baseRecord(id, j.Type, max, j.IdempotencyKey, rk, j.Owner))
		if !now {
			g.args = append(g.args, opts)
		}
	}
	cmds := make([]*redis.Cmd, len(order))
	if len(order) == 1 { // one queue: one EVALSHA, no pipeline
		g := groups[order[0]]
		cmds[0] = script.Run(ctx, c.rdb, g.scriptKeys, g.args...)
		return c.enqueued(ctx, jobs, order, groups, cmds, now)
	}
	_, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, q := range order {
			g := groups[q]
			cmds[i] = script.EvalSha(ctx, p, g.scriptKeys, g.args...)
		}
		return nil
	})
	if err != nil && isNoScript(err) {
		// First use on some node: run again only the groups that node
		// refused (Run sends the script itself after a NOSCRIPT), with the
		// same job ids; the groups other nodes ran are done and must not be
		// enqueued twice.
		err = nil
		for i, q := range order {
			if isNoScript(cmds[i].Err()) {
				g := groups[q]
				cmds[i] = script.Run(ctx, c.rdb, g.scriptKeys, g.args...)
			}
			if e := cmds[i].Err(); e != nil && err == nil {
				err = e
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("queue: enqueue: %w", err)
	}
	return c.enqueued(ctx, jobs, order, groups, cmds, now)
}

// queueKeys returns the keys of queue, reusing those of the queue last
// enqueued to (most clients enqueue to one queue).
func (c *Client) queueKeys(queue string) (queueKeys, error) {
	if k := c.last.Load(); k != nil && k.queue == queue {
		return *k, nil
	}
	k, err := newQueueKeys(c.keys, queue)
	if err == nil {
		c.last.Store(&k)
	}
	return k, err
}

// runAtMS is a job's run_at in unix ms, 0 when it has none.
func runAtMS(j Job) int64 {
	if j.RunAt.IsZero() {
		return 0
	}
	return max64(j.RunAt.UnixMilli(), 1)
}

// wakeHeader is the number of arguments before the jobs' (wakeArgs).
const wakeHeader = 3

// wakeArgs are the enqueue scripts' first arguments (see wake.lua): the wake
// lease in ms (0 without a waker), the doorbell channel, the queue.
func (c *Client) wakeArgs(queue string) []any {
	lease := int64(0)
	if c.waker != nil {
		lease = WakeLease.Milliseconds()
	}
	return []any{lease, c.doorbell, queue}
}

// WakeLease is how long an enqueue that woke a worker holds the queue's
// lease for it: long enough for a cold start, so a burst causes one wake;
// a wake that never arrives costs at most this before the next enqueue
// wakes again (the schedule's tick runs the job in any case).
const WakeLease = 10 * time.Second

// Wake flags of the enqueue scripts (see wake.lua).
const (
	flagWake     = 1
	flagRegister = 2
)

// enqueued reads the scripts' replies: enqueuenow.lua's (now) is one
// integer, the number of jobs created * 4 + the wake flags; enqueue.lua's a
// code and a job id per job, then the wake flags. The flags are acted on here.
func (c *Client) enqueued(ctx context.Context, jobs []Job, order []string, groups map[string]*group, cmds []*redis.Cmd, now bool) ([]Enqueued, error) {
	out := make([]Enqueued, len(jobs))
	for i, q := range order {
		g := groups[q]
		if now {
			v, err := cmds[i].Int64()
			if err != nil {
				return nil, fmt.Errorf("queue: enqueue to %s: %w", q, err)
			}
			if n := v / 4; n != int64(len(g.idx)) {
				return nil, fmt.Errorf("queue: enqueue to %s: %d created of %d jobs", q, n, len(g.idx))
			}
			for n, ji := range g.idx {
				out[ji] = Enqueued{ID: g.args[wakeHeader+n*5].(string)} // 5 arguments per job, the id first
			}
			c.afterEnqueue(ctx, q, v%4, &out[g.idx[0]])
			continue
		}
		rows, err := cmds[i].Slice()
		if err != nil {
			return nil, fmt.Errorf("queue: enqueue to %s: %w", q, err)
		}
		if len(rows) != 2*len(g.idx)+1 {
			return nil, fmt.Errorf("queue: enqueue to %s: %d results for %d jobs", q, len(rows), len(g.idx))
		}
		for n, ji := range g.idx {
			code, _ := rows[2*n].(int64)
			id, _ := rows[2*n+1].(string)
			e := Enqueued{ID: id, Duplicate: code == 1}
			switch code {
			case 2:
				e.Err = fmt.Errorf("%w (job %s)", ErrIdempotencyConflict, id)
			case 3: // a claim in progress that enqueue did not make
				e.Err = fmt.Errorf("queue: enqueue to %s: %w (owner %s)", q, idempotency.ErrInProgress, id)
			}
			out[ji] = e
		}
		flags, _ := rows[len(rows)-1].(int64)
		c.afterEnqueue(ctx, q, flags, &out[g.idx[0]])
	}
	return out, nil
}

// afterEnqueue acts on an enqueue script's flags: it registers a queue used
// for the first time and wakes a worker for a queue that had none awake,
// reporting the wake on e (the queue's first job). Neither fails the
// enqueue: the jobs are stored.
func (c *Client) afterEnqueue(ctx context.Context, queue string, flags int64, e *Enqueued) {
	if flags&flagRegister != 0 {
		if err := c.register(ctx, queue); err != nil {
			e.RegisterErr = err
		}
	}
	if flags&flagWake != 0 && c.waker != nil {
		wctx, cancel := context.WithTimeout(ctx, DefaultWakeTimeout)
		defer cancel()
		e.Woken = true
		if err := c.waker.Wake(wctx, queue); err != nil {
			e.WakeErr = fmt.Errorf("queue: wake a worker for %s: %w", queue, err)
		}
	}
}

// baseRecord is a job record's fixed part as JSON without its closing
// brace; the enqueue scripts add the state, the entry and the times.
// idem_record names the job's idempotency record, which purge_expired hands
// to the gc with the job's record.
func baseRecord(id, typ string, max int, idem, recordKey, owner string) string {
	b := make([]byte, 0, 96+len(id)+len(typ)+len(idem)+len(recordKey)+len(owner))
	b = appendJSONString(append(b, `{"id":`...), id)
	b = appendJSONString(append(b, `,"type":`...), typ)
	b = strconv.AppendInt(append(b, `,"max_attempts":`...), int64(max), 10)
	b = append(b, `,"attempts":0`...)
	if idem != "" {
		b = appendJSONString(append(b, `,"idempotency_key":`...), idem)
		b = appendJSONString(append(b, `,"idem_record":`...), recordKey)
	}
	if owner != "" {
		b = appendJSONString(append(b, `,"owner":`...), owner)
	}
	return string(b)
}

// appendJSONString appends s as a JSON string: as is when it is printable
// ASCII without quotes or backslashes (job ids, most types), else through
// encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// group is the part of a batch bound for one queue.
type group struct {
	queue      string
	idx        []int
	args       []any
	scriptKeys []string       // the script's KEYS: the queue's, then idempotency records
	records    map[string]int // record key -> its index in KEYS (1-based, as in Lua)
}

// recordIndex returns the KEYS index of an idempotency record, adding it
// once however many jobs of the batch share the key.
func (g *group) recordIndex(rk string) int {
	if i, ok := g.records[rk]; ok {
		return i
	}
	if g.records == nil {
		g.records = map[string]int{}
	}
	g.scriptKeys = append(g.scriptKeys, rk)
	g.records[rk] = len(g.scriptKeys)
	return len(g.scriptKeys)
}

// payloadHash identifies what an idempotency key promises: the type, the
// payload and the schedule of the first request.
func payloadHash(j Job) string {
	h := sha256.New()
	fmt.Fprintf(h, "%d:%s|%d:%s|%d|%d|%d", len(j.Type), j.Type, len(j.Payload), j.Payload, j.Delay.Milliseconds(), j.RunAt.UnixMilli(), j.MaxAttempts)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func isNoScript(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT")
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// Status returns a job's record: queued, delayed, active (a worker holds it),
// retrying, succeeded or dead. ErrNotFound when unknown or past retention.
func (c *Client) Status(ctx context.Context, id string) (Record, error) {
	q, err := QueueOf(id)
	if err != nil {
		return Record{}, err
	}
	k, err := newQueueKeys(c.keys, q)
	if err != nil {
		return Record{}, fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	res, err := statusScript.Run(ctx, c.rdb, []string{k.meta, k.stream, k.done}, id, Group, GivenBackConsumer).Slice()
	if err != nil {
		return Record{}, fmt.Errorf("queue: status of %s: %w", id, err)
	}
	if len(res) != 3 {
		return Record{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	raw, _ := res[0].(string)
	rec, err := parseRecord(raw)
	if err != nil {
		return Record{}, err
	}
	if active, _ := res[1].(int64); active == 1 {
		rec.State = StateActive
	}
	if done, _ := res[2].(string); done != "" {
		var finished int64
		var attempts int
		if _, err := fmt.Sscanf(done, "%d %d", &finished, &attempts); err != nil {
			return Record{}, fmt.Errorf("queue: status of %s: done entry %q", id, done)
		}
		t := ms(finished)
		rec.State, rec.Attempts, rec.FinishedAt, rec.UpdatedAt, rec.RunAt = StateSucceeded, attempts, &t, t, nil
	}
	return rec, nil
}

// Books is one consistent snapshot of a queue's counters and sizes.
type Books struct {
	Enqueued, Deduplicated, Succeeded, Retried, Dead, Lost, Reclaimed, Redriven int64
	Stream                                                                      int64 // entries on the work stream: backlog + pending
	Delayed                                                                     int64 // delayed and retrying jobs
	Pending                                                                     int64 // entries held by workers
	DeadLetters                                                                 int64 // entries on the dead-letter stream
}

// Backlog is the number of jobs waiting for a worker now.
func (b Books) Backlog() int64 { return b.Stream - b.Pending }

// Drift is how far the books are off: enqueued + redriven minus everything
// accounted for. It is 0 when nothing was lost silently.
func (b Books) Drift() int64 {
	return b.Enqueued + b.Redriven - (b.Succeeded + b.Dead + b.Deduplicated + b.Lost + b.Stream + b.Delayed)
}

// Books reads a queue's counters and sizes in one script call.
func (c *Client) Books(ctx context.Context, queue string) (Books, error) {
	k, err := newQueueKeys(c.keys, queue)
	if err != nil {
		return Books{}, err
	}
	res, err := booksScript.Run(ctx, c.rdb, []string{k.stream, k.delayed, k.stats, k.dead, k.meta}, Group, GivenBackConsumer).Slice()
	if err != nil || len(res) != 6 {
		return Books{}, fmt.Errorf("queue: books of %s: %v %w", queue, res, err)
	}
	var b Books
	var purged int64
	counters := map[string]*int64{
		"purged": &purged, "deduplicated": &b.Deduplicated, "succeeded": &b.Succeeded, "retried": &b.Retried,
		"dead": &b.Dead, "lost": &b.Lost, "reclaimed": &b.Reclaimed, "redriven": &b.Redriven,
	}
	flat, _ := res[0].([]any)
	for i := 0; i+1 < len(flat); i += 2 {
		name, _ := flat[i].(string)
		v, _ := flat[i+1].(string)
		if p := counters[name]; p != nil {
			*p, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	b.Stream, _ = res[1].(int64)
	b.Delayed, _ = res[2].(int64)
	b.Pending, _ = res[3].(int64)
	b.DeadLetters, _ = res[4].(int64)
	records, _ := res[5].(int64)
	// Every job created has a record until it is purged, and a duplicate
	// enqueue creates none: no enqueue pays for a counter.
	b.Enqueued = records + purged + b.Deduplicated
	return b, nil
}
