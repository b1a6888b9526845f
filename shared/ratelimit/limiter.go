package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/lambdis/lambdis/shared/keys"
	"github.com/redis/go-redis/v9"
)

// Module is the key module of rate-limit state: one key per subject,
// <prefix>:rl:{<subject>}, holding the state of every policy it is limited by.
const Module = "rl"

// Never is the RetryAfter of a request whose cost exceeds a policy's burst.
const Never time.Duration = -1

// Result is one policy's verdict.
type Result struct {
	Policy     Policy
	Allowed    bool          // this policy admits the request
	Remaining  int64         // requests left now (after the charge, when charged)
	RetryAfter time.Duration // 0 when allowed; Never when cost > burst
	ResetAfter time.Duration // until the subject is back to a full burst
}

// Decision is the verdict over all policies of one call.
type Decision struct {
	Allowed bool
	Results []Result // one per policy, in the order given
	Denied  int      // index into Results of the first denying policy, or -1
}

// DeniedBy returns the first denying policy's result, or nil when allowed.
func (d Decision) DeniedBy() *Result {
	if d.Denied < 0 || d.Denied >= len(d.Results) {
		return nil
	}
	return &d.Results[d.Denied]
}

// Binding returns the denying result a client must wait longest for (Never
// counts longest): waiting its RetryAfter is needed for every policy to
// admit. It is nil when the decision allows.
func (d Decision) Binding() *Result {
	var b *Result
	for i := range d.Results {
		r := &d.Results[i]
		if r.Allowed {
			continue
		}
		if b == nil || r.RetryAfter == Never || (b.RetryAfter != Never && r.RetryAfter > b.RetryAfter) {
			b = r
		}
	}
	return b
}

// Tightest returns the result with the fewest remaining requests (the one a
// client should pace itself by), or nil when there are no results.
func (d Decision) Tightest() *Result {
	var t *Result
	for i := range d.Results {
		if t == nil || d.Results[i].Remaining < t.Remaining {
			t = &d.Results[i]
		}
	}
	return t
}

// Limiter rate-limits subjects with one EVALSHA per decision.
type Limiter struct {
	rdb  redis.Scripter
	keys keys.Builder
}

// New returns a Limiter that stores its state under kb's prefix.
func New(rdb redis.Scripter, kb keys.Builder) *Limiter {
	return &Limiter{rdb: rdb, keys: kb}
}

// Allow charges cost requests to subject against every policy, all or nothing.
// subject is the hash tag (e.g. "u:alice" or "ip:203.0.113.7"). Cost 0 peeks.
func (l *Limiter) Allow(ctx context.Context, subject string, cost int64, policies ...Policy) (Decision, error) {
	if len(policies) == 0 {
		return Decision{}, fmt.Errorf("ratelimit: no policies")
	}
	if err := ValidatePolicies(policies); err != nil {
		return Decision{}, fmt.Errorf("ratelimit: %w", err)
	}
	key, err := StateKey(l.keys, subject)
	if err != nil {
		return Decision{}, fmt.Errorf("ratelimit: %w", err)
	}
	args, err := Args(cost, policies)
	if err != nil {
		return Decision{}, fmt.Errorf("ratelimit: %w", err)
	}
	reply, err := allowScript.Run(ctx, l.rdb, []string{key}, args...).Slice()
	if err != nil {
		return Decision{}, fmt.Errorf("ratelimit: allow %q: %w", subject, err)
	}
	return ParseReply(reply, policies)
}

// StateKey returns the key of subject's rate-limit state: one string with
// every policy's theoretical arrival time (see gcra.lua), so a decision over
// any number of policies reads one key and writes it once.
func StateKey(kb keys.Builder, subject string) (string, error) {
	return kb.Key(Module, subject)
}

// Args returns the ARGV gcra.lua expects after its first argument index: the
// cost, then each policy's name, interval (µs) and burst.
func Args(cost int64, policies []Policy) ([]any, error) {
	if cost < 0 || cost > MaxCost {
		return nil, fmt.Errorf("cost %d: must be from 0 to %d", cost, MaxCost)
	}
	args := make([]any, 0, 1+3*len(policies))
	args = append(args, cost)
	for _, p := range policies {
		args = append(args, p.Name, p.intervalMicros(), p.Burst)
	}
	return args, nil
}

// ParseReply decodes gcra's reply for policies.
func ParseReply(reply []any, policies []Policy) (Decision, error) {
	if len(reply) != 2+3*len(policies) {
		return Decision{}, fmt.Errorf("ratelimit: reply has %d values, want %d", len(reply), 2+3*len(policies))
	}
	nums := make([]int64, len(reply))
	for i, v := range reply {
		n, ok := v.(int64)
		if !ok {
			return Decision{}, fmt.Errorf("ratelimit: reply value %d is %T, want an integer", i, v)
		}
		nums[i] = n
	}
	d := Decision{Allowed: nums[0] == 1, Denied: int(nums[1]) - 1, Results: make([]Result, len(policies))}
	for i, p := range policies {
		rem, retry, reset := nums[2+3*i], nums[3+3*i], nums[4+3*i]
		r := Result{Policy: p, Remaining: rem, ResetAfter: micros(reset)}
		switch {
		case retry < 0:
			r.RetryAfter = Never
		case retry > 0:
			r.RetryAfter = micros(retry)
		default:
			r.Allowed = true
		}
		d.Results[i] = r
	}
	if !d.Allowed && d.Denied < 0 {
		return Decision{}, errors.New("ratelimit: denied reply names no policy")
	}
	return d, nil
}

func micros(n int64) time.Duration {
	if n > math.MaxInt64/int64(time.Microsecond) {
		return math.MaxInt64
	}
	return time.Duration(n) * time.Microsecond
}
