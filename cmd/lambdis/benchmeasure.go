package main

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"
)

// The measurement loop of `lambdis bench`: RunCallers of shared/redistest
// (a test-support package, which imports testing, so the binary does not
// import it) turned from b.N operations into a fixed duration.

// latencyHistogram counts latencies in log-linear buckets: exact below 128
// ns, then 128 buckets per power of two (under 0.8% relative error), so a
// 60-second run from 1000 callers needs a few KiB per caller, not a slice of
// every sample.
type latencyHistogram struct {
	counts []uint32
	n      int64
}

const (
	histSubBits = 7 // 128 buckets per power of two
	histSub     = 1 << histSubBits
	// histMax is the longest latency counted exactly enough (about 9
	// minutes); anything longer lands in the last bucket.
	histMaxBits = 39
	histBuckets = histSub * (histMaxBits - histSubBits + 2)
)

func newLatencyHistogram() *latencyHistogram {
	return &latencyHistogram{counts: make([]uint32, histBuckets)}
}

// histIndex maps a latency in nanoseconds to its bucket.
func histIndex(ns int64) int {
	if ns < histSub {
		return int(max(ns, 0))
	}
	e := bits.Len64(uint64(ns)) - histSubBits - 1 // ns>>e is in [128, 256)
	i := e*histSub + int(ns>>e)
	return min(i, histBuckets-1)
}

// histValue is the middle of bucket i, in nanoseconds.
func histValue(i int) int64 {
	if i < 2*histSub {
		return int64(i)
	}
	e := i/histSub - 1
	lo := int64(i-e*histSub) << e
	return lo + (int64(1)<<e)/2
}

func (h *latencyHistogram) add(d time.Duration) {
	h.counts[histIndex(int64(d))]++
	h.n++
}

func (h *latencyHistogram) merge(o *latencyHistogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
}

// quantile returns the latency at or below which a fraction q of the
// samples lie (the sample of rank ceil(q·n)).
func (h *latencyHistogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := int64(q*float64(h.n) + 0.999999)
	rank = min(max(rank, 1), h.n)
	var seen int64
	for i, c := range h.counts {
		seen += int64(c)
		if seen >= rank {
			return time.Duration(histValue(i))
		}
	}
	return time.Duration(histValue(len(h.counts) - 1))
}

// benchStats is one measured operation.
type benchStats struct {
	Ops     int64
	Elapsed time.Duration
	P50     time.Duration
	P99     time.Duration
}

// OpsPerSec is completed operations over the wall time of the run.
func (s benchStats) OpsPerSec() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Ops) / s.Elapsed.Seconds()
}

// benchOp is one operation; each call does the full work (fresh random
// subject, key or player).
type benchOp func(ctx context.Context) error

// measure runs op from callers goroutines for d and returns the throughput
// and latency percentiles of the operations that completed. Each goroutine
// first runs op once untimed (connections dialled, scripts loaded), then all
// start together. The first error stops the run and is returned.
func measure(ctx context.Context, callers int, d time.Duration, op benchOp) (benchStats, error) {
	var (
		warm, done sync.WaitGroup
		start      = make(chan struct{})
		stop       atomic.Bool
		failed     atomic.Pointer[error]
		deadline   time.Time // written before start is closed
	)
	fail := func(err error) {
		failed.CompareAndSwap(nil, &err)
		stop.Store(true)
	}
	hists := make([]*latencyHistogram, callers)
	for c := range callers {
		hists[c] = newLatencyHistogram()
		warm.Add(1)
		done.Add(1)
		go func(h *latencyHistogram) {
			defer done.Done()
			err := op(ctx)
			warm.Done()
			if err != nil {
				fail(fmt.Errorf("warm-up: %w", err))
				return
			}
			<-start
			for !stop.Load() {
				t0 := time.Now()
				if !t0.Before(deadline) {
					return
				}
				if err := op(ctx); err != nil {
					fail(err)
					return
				}
				h.add(time.Since(t0))
			}
		}(hists[c])
	}
	warm.Wait()
	if ctx.Err() != nil {
		stop.Store(true)
	}
	t0 := time.Now()
	deadline = t0.Add(d)
	close(start)
	stopOnCancel := context.AfterFunc(ctx, func() { stop.Store(true) })
	done.Wait()
	elapsed := time.Since(t0)
	stopOnCancel()
	if p := failed.Load(); p != nil {
		return benchStats{}, *p
	}
	if err := ctx.Err(); err != nil {
		return benchStats{}, err
	}
	all := newLatencyHistogram()
	for _, h := range hists {
		all.merge(h)
	}
	if all.n == 0 {
		return benchStats{}, errors.New("no operation completed")
	}
	return benchStats{Ops: all.n, Elapsed: elapsed, P50: all.quantile(0.50), P99: all.quantile(0.99)}, nil
}
