package lock

import (
	"math"
	"math/rand/v2"
	"time"
)

// MinWait is the shortest wait a retry strategy returns: strategies built
// with smaller durations wait this long, so no strategy spins on Redis.
const MinWait = time.Millisecond

// RetryStrategy decides whether Obtain tries again after finding the lock
// taken, and how long it waits first. Strategies are stateless (the attempt
// number is an argument), so one value may be shared by any number of
// goroutines and calls.
type RetryStrategy interface {
	// Wait returns the wait before retry n (1 for the first retry, i.e. the
	// second attempt), or false to give up.
	Wait(n int) (time.Duration, bool)
}

type retryFunc func(n int) (time.Duration, bool)

func (f retryFunc) Wait(n int) (time.Duration, bool) { return f(n) }

// NoRetry gives up after the first attempt. It is the default.
func NoRetry() RetryStrategy {
	return retryFunc(func(int) (time.Duration, bool) { return 0, false })
}

// LinearBackoff retries every d (at least MinWait) until Obtain's context
// ends.
func LinearBackoff(d time.Duration) RetryStrategy {
	d = max(d, MinWait)
	return retryFunc(func(int) (time.Duration, bool) { return d, true })
}

// ExponentialBackoff retries until Obtain's context ends, waiting before
// retry n a random duration in [c/2, c] with c = min(maxWait, minWait·2^(n-1))
// ("equal jitter": waiters that collided spread out, yet none polls much
// sooner than the schedule). minWait is raised to MinWait and maxWait to
// minWait.
func ExponentialBackoff(minWait, maxWait time.Duration) RetryStrategy {
	minWait = max(minWait, MinWait)
	maxWait = max(maxWait, minWait)
	return retryFunc(func(n int) (time.Duration, bool) {
		c := float64(minWait) * math.Pow(2, float64(max(n, 1)-1))
		if c > float64(maxWait) || math.IsInf(c, 1) {
			c = float64(maxWait)
		}
		return max(time.Duration(c/2+rand.Float64()*c/2), MinWait), true
	})
}

// LimitRetry follows s for at most n retries (n+1 attempts in all).
func LimitRetry(s RetryStrategy, n int) RetryStrategy {
	if s == nil {
		s = NoRetry()
	}
	return retryFunc(func(i int) (time.Duration, bool) {
		if i > n {
			return 0, false
		}
		return s.Wait(i)
	})
}
