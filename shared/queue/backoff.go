package queue

import (
	"math"
	"math/rand/v2"
	"time"
)

// Backoff is capped exponential backoff with full jitter: the wait before
// attempt n+1 is uniform in [0, min(Max, Base·2^(n-1))).
type Backoff struct {
	Base, Max time.Duration
	// Rand returns a number in [0, 1); nil means math/rand/v2.
	Rand func() float64
}

// DefaultBackoff starts at 1 s and is capped at 1 h.
var DefaultBackoff = Backoff{Base: time.Second, Max: time.Hour}

// Ceiling is the upper bound of the wait after the attempt-th failure.
func (b Backoff) Ceiling(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	c := float64(b.Base) * math.Pow(2, float64(attempt-1))
	if c > float64(b.Max) || math.IsInf(c, 1) {
		return b.Max
	}
	return time.Duration(c)
}

// Delay is the wait after the attempt-th failure: full jitter under Ceiling,
// at least 1 ms.
func (b Backoff) Delay(attempt int) time.Duration {
	r := b.Rand
	if r == nil {
		r = rand.Float64
	}
	d := time.Duration(r() * float64(b.Ceiling(attempt)))
	if d < time.Millisecond {
		d = time.Millisecond
	}
	return d
}
