package ratelimit

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Bounds on policies; they keep every number in the script exact.
const (
	MinPeriod   = time.Millisecond
	MaxPeriod   = 366 * 24 * time.Hour
	MaxBurst    = 1_000_000_000
	MaxCost     = 1_000_000
	MaxPolicies = 16
	// MaxSpan bounds burst*period/rate, the time a full burst takes to
	// refill: it keeps TATs and TTLs exact in the script's doubles.
	MaxSpan = 100 * 366 * 24 * time.Hour
)

// ErrInvalidPolicy is wrapped by every policy validation error.
var ErrInvalidPolicy = errors.New("invalid rate-limit policy")

// Policy is one limit applied to a subject. See the package documentation for
// the exact meaning of Rate, Period and Burst.
type Policy struct {
	Name   string        // [a-z0-9_-], 1 to 32 bytes; part of the key and the headers
	Rate   int64         // requests per Period, sustained
	Period time.Duration // at least MinPeriod
	Burst  int64         // requests admitted at once; at least 1
}

// validName reports whether name is 1-32 bytes of [a-z0-9_-] (a loop, not a
// regexp: policies are checked on every decision).
func validName(name string) bool {
	if len(name) == 0 || len(name) > 32 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Validate reports the first invalid field of p, naming it.
func (p Policy) Validate() error {
	switch {
	case !validName(p.Name):
		return fmt.Errorf("%w: name %q: want 1-32 characters of a-z, 0-9, '_' or '-'", ErrInvalidPolicy, p.Name)
	case p.Rate <= 0:
		return fmt.Errorf("%w %q: rate %d: must be at least 1", ErrInvalidPolicy, p.Name, p.Rate)
	case p.Period < MinPeriod:
		return fmt.Errorf("%w %q: period %v: must be at least %v", ErrInvalidPolicy, p.Name, p.Period, MinPeriod)
	case p.Period > MaxPeriod:
		return fmt.Errorf("%w %q: period %v: must be at most %v", ErrInvalidPolicy, p.Name, p.Period, MaxPeriod)
	case p.Period/time.Microsecond < time.Duration(p.Rate):
		return fmt.Errorf("%w %q: rate %d per %v: more than one request per microsecond", ErrInvalidPolicy, p.Name, p.Rate, p.Period)
	case p.Burst < 1:
		return fmt.Errorf("%w %q: burst %d: must be at least 1", ErrInvalidPolicy, p.Name, p.Burst)
	case p.Burst > MaxBurst:
		return fmt.Errorf("%w %q: burst %d: must be at most %d", ErrInvalidPolicy, p.Name, p.Burst, MaxBurst)
	case float64(p.Burst)*p.intervalMicros() > float64(MaxSpan/time.Microsecond):
		return fmt.Errorf("%w %q: burst %d at %d per %v takes more than 100 years to refill", ErrInvalidPolicy, p.Name, p.Burst, p.Rate, p.Period)
	}
	return nil
}

// Window is the time a full burst takes to refill (burst*period/rate): the
// policy admits Burst requests per Window, the pair shown to clients.
func (p Policy) Window() time.Duration {
	return time.Duration(float64(p.Burst) * float64(p.Period) / float64(p.Rate))
}

// Interval is the emission interval period/rate: one request's worth of time.
func (p Policy) Interval() time.Duration { return p.Period / time.Duration(p.Rate) }

// intervalMicros is period/rate in microseconds, fractional.
func (p Policy) intervalMicros() float64 {
	return float64(p.Period) / float64(time.Microsecond) / float64(p.Rate)
}

// String renders p in the RATE_LIMITS format.
func (p Policy) String() string {
	s := fmt.Sprintf("%s=%d/%s", p.Name, p.Rate, formatPeriod(p.Period))
	if p.Burst != p.Rate {
		s += ":" + strconv.FormatInt(p.Burst, 10)
	}
	return s
}

// ValidatePolicies checks each policy and that names are unique.
func ValidatePolicies(ps []Policy) error {
	if len(ps) > MaxPolicies {
		return fmt.Errorf("%w: %d policies, the limit is %d", ErrInvalidPolicy, len(ps), MaxPolicies)
	}
	for i, p := range ps {
		if err := p.Validate(); err != nil {
			return err
		}
		for _, q := range ps[:i] {
			if q.Name == p.Name {
				return fmt.Errorf("%w: name %q appears twice", ErrInvalidPolicy, p.Name)
			}
		}
	}
	return nil
}

// ParsePolicies parses a comma-separated list of name=rate/period[:burst].
// An empty string yields no policies. Errors say which entry is wrong and why.
func ParsePolicies(s string) ([]Policy, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var out []Policy
	for i, entry := range strings.Split(s, ",") {
		p, err := parsePolicy(strings.TrimSpace(entry))
		if err != nil {
			return nil, fmt.Errorf("entry %d %q: %w", i+1, strings.TrimSpace(entry), err)
		}
		out = append(out, p)
	}
	if err := ValidatePolicies(out); err != nil {
		return nil, err
	}
	return out, nil
}

func parsePolicy(e string) (Policy, error) {
	const want = "want name=rate/period[:burst], e.g. per_minute=100/1m:20"
	name, spec, ok := strings.Cut(e, "=")
	if !ok {
		return Policy{}, fmt.Errorf("%w: missing '=': %s", ErrInvalidPolicy, want)
	}
	rateS, rest, ok := strings.Cut(spec, "/")
	if !ok {
		return Policy{}, fmt.Errorf("%w: missing '/': %s", ErrInvalidPolicy, want)
	}
	periodS, burstS, hasBurst := strings.Cut(rest, ":")
	p := Policy{Name: strings.TrimSpace(name)}
	var err error
	if p.Rate, err = strconv.ParseInt(strings.TrimSpace(rateS), 10, 64); err != nil {
		return Policy{}, fmt.Errorf("%w: rate %q is not a whole number", ErrInvalidPolicy, rateS)
	}
	if p.Period, err = parsePeriod(strings.TrimSpace(periodS)); err != nil {
		return Policy{}, err
	}
	p.Burst = p.Rate
	if hasBurst {
		if p.Burst, err = strconv.ParseInt(strings.TrimSpace(burstS), 10, 64); err != nil {
			return Policy{}, fmt.Errorf("%w: burst %q is not a whole number", ErrInvalidPolicy, burstS)
		}
	}
	return p, p.Validate()
}

func parsePeriod(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseInt(d, 10, 64)
		if err != nil || n < 1 || n > 366 {
			return 0, fmt.Errorf("%w: period %q: days must be a whole number from 1 to 366", ErrInvalidPolicy, s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%w: period %q is not a duration such as 1s, 1m, 1h or 1d", ErrInvalidPolicy, s)
	}
	return d, nil
}

func formatPeriod(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return d.String()
}
