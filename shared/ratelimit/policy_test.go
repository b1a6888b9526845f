package ratelimit

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParsePolicies(t *testing.T) {
	got, err := ParsePolicies(" per_second=10/1s:20 , per_day=10000/1d,burst-only=5/100ms:1")
	if err != nil {
		t.Fatal(err)
	}
	want := []Policy{
		{"per_second", 10, time.Second, 20},
		{"per_day", 10000, 24 * time.Hour, 10000},
		{"burst-only", 5, 100 * time.Millisecond, 1},
	}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("policy %d = %+v, want %+v", i, got[i], want[i])
		}
		// String round-trips.
		again, err := ParsePolicies(got[i].String())
		if err != nil || again[0] != got[i] {
			t.Errorf("round trip of %q: %v %v", got[i].String(), again, err)
		}
	}
	if ps, err := ParsePolicies("  "); err != nil || ps != nil {
		t.Errorf("empty: %v %v", ps, err)
	}
}

func TestParsePoliciesErrors(t *testing.T) {
	for _, tc := range []struct{ in, mention string }{
		{"per_minute", "missing '='"},
		{"per_minute=100", "missing '/'"},
		{"per_minute=x/1m", "rate"},
		{"per_minute=0/1m", "rate 0"},
		{"per_minute=-5/1m", "rate -5"},
		{"per_minute=10/1m:0", "burst 0"},
		{"per_minute=10/1m:-1", "burst -1"},
		{"per_minute=10/1m:x", "burst"},
		{"per_minute=10/soon", "period"},
		{"per_minute=10/999us", "period 999µs"},
		{"per_minute=10/0s", "period 0s"},
		{"per_minute=10/400d", "days"},
		{"per_minute=2000/1ms", "microsecond"},
		{"Per-Minute=10/1m", "name"},
		{"=10/1m", "name"},
		{"a=1/1s,a=2/1s", "twice"},
		{"a=1/1s,", "entry 2"},
		{"a=1/1s:2000000000", "burst"},
	} {
		_, err := ParsePolicies(tc.in)
		if !errors.Is(err, ErrInvalidPolicy) {
			t.Errorf("ParsePolicies(%q) err = %v, want ErrInvalidPolicy", tc.in, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("ParsePolicies(%q) = %q, want it to mention %q", tc.in, err, tc.mention)
		}
	}
}

func TestValidateNamesField(t *testing.T) {
	base := Policy{Name: "p", Rate: 1, Period: time.Second, Burst: 1}
	for field, p := range map[string]Policy{
		"rate":   {Name: "p", Rate: 0, Period: time.Second, Burst: 1},
		"period": {Name: "p", Rate: 1, Period: time.Microsecond, Burst: 1},
		"burst":  {Name: "p", Rate: 1, Period: time.Second, Burst: 0},
		"name":   {Name: "P P", Rate: 1, Period: time.Second, Burst: 1},
	} {
		err := p.Validate()
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: err = %v, want it to name the field", field, err)
		}
	}
	if err := base.Validate(); err != nil {
		t.Fatal(err)
	}
}

func FuzzParsePolicies(f *testing.F) {
	for _, s := range []string{
		"per_second=10/1s:20", "a=1/1d", "x=1/1ms,y=2/2h:3", "a=9223372036854775807/1s",
		"a=1/-1s", "a=1/1s:", "=/:", ",,,", "a=1/1e9h",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ParsePolicies(s)
		if err != nil {
			return
		}
		if err := ValidatePolicies(ps); err != nil {
			t.Fatalf("ParsePolicies(%q) returned invalid policies: %v", s, err)
		}
		for _, p := range ps {
			if iv := p.intervalMicros(); !(iv >= 1) || p.Burst < 1 {
				t.Fatalf("policy %+v: interval %v", p, iv)
			}
		}
	})
}
