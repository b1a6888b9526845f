package lock

import (
	"testing"
	"time"
)

func TestNoRetryGivesUp(t *testing.T) {
	if d, ok := NoRetry().Wait(1); ok || d != 0 {
		t.Fatalf("NoRetry().Wait(1) = %v, %v; want 0, false", d, ok)
	}
}

func TestLinearBackoff(t *testing.T) {
	for _, tc := range []struct{ in, want time.Duration }{
		{5 * time.Millisecond, 5 * time.Millisecond},
		{0, MinWait},
		{-time.Second, MinWait},
	} {
		s := LinearBackoff(tc.in)
		for n := 1; n <= 100; n++ {
			if d, ok := s.Wait(n); !ok || d != tc.want {
				t.Fatalf("LinearBackoff(%v).Wait(%d) = %v, %v; want %v, true", tc.in, n, d, ok, tc.want)
			}
		}
	}
}

func TestExponentialBackoffStaysInItsJitterBand(t *testing.T) {
	const lo, hi = 2 * time.Millisecond, 100 * time.Millisecond
	s := ExponentialBackoff(lo, hi)
	for n := 1; n <= 70; n++ {
		ceiling := min(hi, lo<<min(n-1, 40))
		seen := map[time.Duration]bool{}
		for range 200 {
			d, ok := s.Wait(n)
			if !ok {
				t.Fatalf("Wait(%d) gave up", n)
			}
			if d < ceiling/2 || d > ceiling || d < MinWait {
				t.Fatalf("Wait(%d) = %v, want within [%v, %v]", n, d, ceiling/2, ceiling)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Fatalf("Wait(%d) returned %v every time: no jitter", n, seen)
		}
	}
}

func TestExponentialBackoffClampsItsBounds(t *testing.T) {
	// min below MinWait, max below min: every wait is in [MinWait/2, MinWait]
	// raised to MinWait, i.e. exactly MinWait.
	s := ExponentialBackoff(0, -time.Second)
	for n := 1; n <= 10; n++ {
		if d, ok := s.Wait(n); !ok || d != MinWait {
			t.Fatalf("Wait(%d) = %v, %v; want %v, true", n, d, ok, MinWait)
		}
	}
}

func TestLimitRetry(t *testing.T) {
	s := LimitRetry(LinearBackoff(3*time.Millisecond), 3)
	for n := 1; n <= 3; n++ {
		if d, ok := s.Wait(n); !ok || d != 3*time.Millisecond {
			t.Fatalf("Wait(%d) = %v, %v; want 3ms, true", n, d, ok)
		}
	}
	if _, ok := s.Wait(4); ok {
		t.Fatal("Wait(4) retries past the limit of 3")
	}
	if _, ok := LimitRetry(nil, 5).Wait(1); ok {
		t.Fatal("LimitRetry(nil, 5) retries")
	}
	if _, ok := LimitRetry(LinearBackoff(time.Millisecond), 0).Wait(1); ok {
		t.Fatal("LimitRetry(s, 0) retries")
	}
	// The inner strategy giving up ends the retries too.
	if _, ok := LimitRetry(NoRetry(), 5).Wait(1); ok {
		t.Fatal("LimitRetry(NoRetry(), 5) retries")
	}
}
