package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lambdis/lambdis/shared/authz"
	"github.com/lambdis/lambdis/shared/cache"
	"github.com/lambdis/lambdis/shared/idempotency"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/leaderboard"
	"github.com/lambdis/lambdis/shared/lock"
	"github.com/lambdis/lambdis/shared/queue"
	"github.com/lambdis/lambdis/shared/ratelimit"
	"github.com/lambdis/lambdis/shared/session"
	"github.com/redis/go-redis/v9"
)

// The scenarios of `lambdis bench`: each a Lambdis operation through its
// package's public API beside the raw command(s) it is built on, over the
// same kind of data, with keys on the same hash tags (so that on a cluster
// both sides spread, or not, alike). The data are the package benchmarks'
// (go test -bench): 10,000 subjects, players, keys or lock names, one picked
// at random for every call so that each call does the full work.

// benchPopulation is the number of subjects, players, cache keys and lock
// names.
const benchPopulation = 10_000

// benchPolicies are the authorizer benchmark's two policies, so large that
// nothing is ever denied: the decision does its whole work on every call.
const benchPolicies = "per_second=1000000/1s:1000000000,per_day=1000000000/1d"

// Module names of the baselines' raw keys: <prefix>:raw:{<tag>}:...
const benchRawModule = "raw"

// benchPayload is a small job payload, as in the enqueue benchmarks.
const benchPayload = `{"to":"alice@example.com","template":"welcome"}`

// benchScenario is one row of the report.
type benchScenario struct {
	name     string // as --only takes it
	what     string // the Lambdis operation
	baseline string // the baseline's name
	baseWhat string // the raw command(s)
	// prepare writes the scenario's data and returns the two operations.
	prepare func(ctx context.Context, e *benchEnv) (op, base benchOp, err error)
}

// benchScenarios is every scenario, in the order they run and print.
var benchScenarios = []benchScenario{
	{"decision", "authz.Store.DecideToken: revocation, cut-off and 2 rate-limit policies, one script", "get", "GET of a small value", prepareDecision},
	{"session", "session.Store.Decide: session, listing, cut-off, 2 policies, touch, one script", "get", "GET of a small value", prepareSession},
	{"enqueue", "queue.Client.Enqueue of one job due now (the stream entry and the job record; no counter), one script", "xadd", "XADD of the same fields", prepareEnqueue},
	{"pickup", "a job from queue.Client.Enqueue to the start of its handler, a worker run awake on the queue", "xadd+xreadgroup", "XADD until a consumer blocked in XREADGROUP reads it", preparePickup},
	{"submit", "leaderboard.Store.Submit, increment: 3 windows, rank and previous rank, one script", "zincrby", "ZINCRBY", prepareSubmit},
	{"top10", "leaderboard.Store.Top, first page of 10 with ranks and a cursor", "zrevrange", "ZREVRANGE 0 9 WITHSCORES", prepareTop10},
	{"cache-hit", "cache.Cache.GetOrLoad of a warm key (256 bytes)", "get", "GET of a 256-byte value", prepareCacheHit},
	{"lock", "lock.Client.Obtain (with fence) + Lock.Release (owner-checked)", "setnx+del", "SET NX PX, then DEL", prepareLock},
	{"idempotency", "idempotency.Store.Claim + Claim.Complete of a new key", "set+set", "SET NX PX, then SET of the response", prepareIdempotency},
}

// benchEnv is what the scenarios share: the client, the run's key builder,
// and data that two scenarios use (written once).
type benchEnv struct {
	rdb     redis.UniversalClient
	kb      keys.Builder
	callers int

	subjects   []string // bench-00000 ...
	subjectRaw []string // their baseline keys, each on the subject's tag
	subjectsMu sync.Mutex
	subjectsOK bool

	board   *leaderboard.Store
	players []string
	rawZSet string
	boardMu sync.Mutex

	cleanup []func() // what a scenario left running, stopped after it
}

func newBenchEnv(rdb redis.UniversalClient, kb keys.Builder, callers int) *benchEnv {
	e := &benchEnv{rdb: rdb, kb: kb, callers: callers}
	e.subjects = make([]string, benchPopulation)
	e.players = make([]string, benchPopulation)
	for i := range benchPopulation {
		e.subjects[i] = fmt.Sprintf("bench-%05d", i)
		e.players[i] = fmt.Sprintf("player-%05d", i)
	}
	return e
}

// fill runs write(i) for i in [0, n) from a few goroutines.
func (e *benchEnv) fill(ctx context.Context, n int, write func(ctx context.Context, i int) error) error {
	workers := min(max(e.callers, 1), 64)
	var (
		next   atomic.Int64
		failed atomic.Pointer[error]
		wg     sync.WaitGroup
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for failed.Load() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := write(ctx, i); err != nil {
					failed.CompareAndSwap(nil, &err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if p := failed.Load(); p != nil {
		return *p
	}
	return nil
}

// rawSubjectKeys writes the GET baseline's keys, one per subject on its
// {u:<sub>} tag, once per run.
func (e *benchEnv) rawSubjectKeys(ctx context.Context) error {
	e.subjectsMu.Lock()
	defer e.subjectsMu.Unlock()
	if e.subjectsOK {
		return nil
	}
	e.subjectRaw = make([]string, benchPopulation)
	for i, sub := range e.subjects {
		k, err := e.kb.Key(benchRawModule, authz.UserTag(sub), "get")
		if err != nil {
			return err
		}
		e.subjectRaw[i] = k
	}
	if err := e.fill(ctx, benchPopulation, func(ctx context.Context, i int) error {
		return e.rdb.Set(ctx, e.subjectRaw[i], "1", 0).Err()
	}); err != nil {
		return err
	}
	e.subjectsOK = true
	return nil
}

// decisionSetup is what the token and session decisions share: the
// policies they charge and the GET baseline's keys.
func (e *benchEnv) decisionSetup(ctx context.Context) ([]ratelimit.Policy, error) {
	ps, err := ratelimit.ParsePolicies(benchPolicies)
	if err != nil {
		return nil, err
	}
	return ps, e.rawSubjectKeys(ctx)
}

// getSubject is the GET baseline of the decisions.
func (e *benchEnv) getSubject(ctx context.Context) error {
	return e.rdb.Get(ctx, e.subjectRaw[rand.IntN(benchPopulation)]).Err()
}

// leaderboard writes the board of 10,000 players with random scores, once
// per run, and the same players and scores in a raw sorted set on the
// board's tag.
func (e *benchEnv) leaderboard(ctx context.Context) error {
	e.boardMu.Lock()
	defer e.boardMu.Unlock()
	if e.board != nil {
		return nil
	}
	s, err := leaderboard.NewStore(e.rdb, e.kb, leaderboard.Config{})
	if err != nil {
		return err
	}
	raw, err := e.kb.Key(benchRawModule, "bench", "zset")
	if err != nil {
		return err
	}
	if err := e.fill(ctx, benchPopulation, func(ctx context.Context, i int) error {
		score := int64(rand.IntN(1_000_000))
		if err := e.rdb.ZAdd(ctx, raw, redis.Z{Score: float64(score), Member: e.players[i]}).Err(); err != nil {
			return err
		}
		_, err := s.Submit(ctx, leaderboard.Submission{Board: "bench", Player: e.players[i], Score: score, Mode: leaderboard.ModeSet})
		return err
	}); err != nil {
		return err
	}
	e.board, e.rawZSet = s, raw
	return nil
}

func decisionOK(r authz.Reason) error {
	if r != authz.ReasonOK {
		return fmt.Errorf("decision %s, want %s", r, authz.ReasonOK)
	}
	return nil
}

func prepareDecision(ctx context.Context, e *benchEnv) (benchOp, benchOp, error) {
	store, err := authz.NewStore(e.rdb, e.kb, authz.StoreConfig{})
	if err != nil {
		return nil, nil, err
	}
	ps, err := e.decisionSetup(ctx)
	if err != nil {
		return nil, nil, err
	}
	iat := time.Now().Add(-time.Minute)
	claims := make([]authz.Claims, benchPopulation)
	for i, sub := range e.subjects {
		claims[i] = authz.Claims{Subject: sub, Issuer: "https://bench.lambdis.invalid", ID: "jti-" + strconv.Itoa(i), IssuedAt: iat, ExpiresAt: iat.Add(time.Hour)}
	}
	op := func(ctx context.Context) error {
		d, err := store.DecideToken(ctx, claims[rand.IntN(benchPopulation)], 1, ps)
		if err != nil {
			return err
		}
		return decisionOK(d.Reason)
	}
	return op, e.getSubject, nil
}

func prepareSession(ctx context.Context, e *benchEnv) (benchOp, benchOp, error) {
	store, err := session.NewStore(e.rdb, e.kb, session.Config{})
	if err != nil {
		return nil, nil, err
	}
	ps, err := e.decisionSetup(ctx)
	if err != nil {
		return nil, nil, err
	}
	ids := make([]session.ID, benchPopulation)
	if err := e.fill(ctx, benchPopulation, func(ctx context.Context, i int) error {
		id, _, err := store.Create(ctx, e.subjects[i], session.CreateOptions{Scopes: []string{"read", "write"}})
		ids[i] = id
		return err
	}); err != nil {
		return nil, nil, err
	}
	op := func(ctx context.Context) error {
		d, err := store.Decide(ctx, ids[rand.IntN(benchPopulation)], 1, ps)
		if err != nil {
			return err
		}
		return decisionOK(d.Reason)
	}
	return op, e.getSubject, nil
}

func prepareEnqueue(ctx context.Context, e *benchEnv) (benchOp, benchOp, error) {
	c := queue.NewClient(e.rdb, e.kb, 0)
	job := queue.Job{Queue: "bench", Type: "email", Payload: json.RawMessage(benchPayload)}
	stream, err := e.kb.Key(benchRawModule, job.Queue, "stream")
	if err != nil {
		return nil, nil, err
	}
	op := func(ctx context.Context) error {
		_, err := c.Enqueue(ctx, job)
		return err
	}
	base := func(ctx context.Context) error {
		return e.rdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []any{
			"id", "bench:0123456789abcdef0123456789abcdef", "type", job.Type, "payload", benchPayload, "attempt", 1, "max", 5,
		}}).Err()
	}
	return op, base, nil
}

func prepareSubmit(ctx context.Context, e *benchEnv) (benchOp, benchOp, error) {
	if err := e.leaderboard(ctx); err != nil {
		return nil, nil, err
	}
	op := func(ctx context.Context) error {
		_, err := e.board.Submit(ctx, leaderboard.Submission{Board: "bench", Player: e.players[rand.IntN(benchPopulation)], Score: 1, Mode: leaderboard.ModeIncrement})
		return err
	}
	base := func(ctx context.Context) error {
		return e.rdb.ZIncrBy(ctx, e.rawZSet, 1, e.players[rand.IntN(benchPopulation)]).Err()
	}
	return op, base, nil
}

func prepareTop10(ctx context.Context, e *benchEnv) (benchOp, benchOp, error) {
	if err := e.leaderboard(ctx); err != nil {
		return nil, nil, err
	}
	all := leaderboard.WindowAt(leaderboard.PeriodAll, time.Now())
	op := func(ctx context.Context) error {
		p, err := e.board.Top(ctx, "bench", all, 10, nil)
		if err == nil && (len(p.Entries) != 10 || p.Next == nil) {
			err = fmt.Errorf("top 10 answered %d entries", len(p.Entries))
		}
		return err
	}
	base := func(ctx context.Context) error {
		zs, err := e.rdb.ZRevRangeWithScores(ctx, e.rawZSet, 0, 9).Result()
		if err == nil && len(zs) != 10 {
			err = fmt.Errorf("ZREVRANGE answered %d entries", len(zs))
		}
		return err
	}
	return op, base, nil
}

// errColdKey fails the cache-hit scenario when a warm key was missing (the
// server evicted it?): a miss would measure a load, not a hit.
var errColdKey = errors.New("a warm cache key was missing (evicted?): the scenario measures hits only")

func prepareCacheHit(ctx context.Context, e *benchEnv) (benchOp, benchOp, error) {
	c, err := cache.New(e.rdb, e.kb, cache.Options{})
	if err != nil {
		return nil, nil, err
	}
	value := bytes.Repeat([]byte("x"), 256)
	names := make([]string, benchPopulation)
	raw := make([]string, benchPopulation)
	for i := range names {
		names[i] = fmt.Sprintf("hot:%05d", i)
		if raw[i], err = e.kb.Key(benchRawModule, names[i], "cache"); err != nil {
			return nil, nil, err
		}
	}
	warm := func(context.Context) ([]byte, error) { return value, nil }
	if err := e.fill(ctx, benchPopulation, func(ctx context.Context, i int) error {
		if err := e.rdb.Set(ctx, raw[i], value, time.Hour).Err(); err != nil {
			return err
		}
		_, err := c.GetOrLoad(ctx, names[i], time.Hour, warm)
		return err
	}); err != nil {
		return nil, nil, err
	}
	cold := func(context.Context) ([]byte, error) { return nil, errColdKey }
	op := func(ctx context.Context) error {
		_, err := c.GetOrLoad(ctx, names[rand.IntN(benchPopulation)], time.Hour, cold)
		return err
	}
	base := func(ctx context.Context) error {
		return e.rdb.Get(ctx, raw[rand.IntN(benchPopulation)]).Err()
	}
	return op, base, nil
}

func prepareLock(ctx context.Context, e *benchEnv) (benchOp, benchOp, error) {
	c := lock.New(e.rdb, e.kb)
	names := make([]string, benchPopulation)
	raw := make([]string, benchPopulation)
	for i := range names {
		names[i] = fmt.Sprintf("bench:%05d", i)
		var err error
		if raw[i], err = e.kb.Key(benchRawModule, names[i], "lock"); err != nil {
			return nil, nil, err
		}
	}
	const ttl = 10 * time.Second
	// A name that another caller holds (two picked it) is a success for
	// both sides, as in the package benchmark.
	op := func(ctx context.Context) error {
		l, err := c.Obtain(ctx, names[rand.IntN(benchPopulation)], ttl, nil)
		if errors.Is(err, lock.ErrNotObtained) {
			return nil
		}
		if err != nil {
			return err
		}
		return l.Release(ctx)
	}
	base := func(ctx context.Context) error {
		k := raw[rand.IntN(benchPopulation)]
		ok, err := e.rdb.SetNX(ctx, k, "token", ttl).Result()
		if err != nil || !ok {
			return err
		}
		return e.rdb.Del(ctx, k).Err()
	}
	return op, base, nil
}

func prepareIdempotency(ctx context.Context, e *benchEnv) (benchOp, benchOp, error) {
	// One store, one tag, as an API keeps its records (and the raw keys on
	// the same tag).
	const tag = "bench"
	s, err := idempotency.NewStore(e.rdb, e.kb, tag, idempotency.Options{})
	if err != nil {
		return nil, nil, err
	}
	body := []byte(`{"id":"o-0123456789","status":"created","total":"12.50"}`)
	hash := idempotency.HashPayload([]byte(`{"order":42}`))
	var n atomic.Int64
	next := func() string { return "k-" + strconv.FormatInt(n.Add(1), 10) }
	op := func(ctx context.Context) error {
		c, err := s.Claim(ctx, next(), hash)
		if err != nil {
			return err
		}
		if c.Replayed {
			return errors.New("a new key was replayed")
		}
		return c.Complete(ctx, idempotency.Response{Status: 201, Body: body})
	}
	base := func(ctx context.Context) error {
		k, err := e.kb.Key(benchRawModule, tag, "idem", next())
		if err != nil {
			return err
		}
		if err := e.rdb.SetNX(ctx, k, "in-progress", time.Minute).Err(); err != nil {
			return err
		}
		return e.rdb.Set(ctx, k, body, idempotency.DefaultRetention).Err()
	}
	return op, base, nil
}
