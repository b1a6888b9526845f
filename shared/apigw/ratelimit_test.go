package apigw

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

func TestFormatRateLimit(t *testing.T) {
	perSecond := RateLimitState{Name: "per_second", Quota: 10, Window: time.Second, Remaining: 9, Reset: 100 * time.Millisecond}
	perMinute := RateLimitState{Name: "per_minute", Quota: 100, Window: time.Minute, Remaining: 50, Reset: 30 * time.Second}
	tests := []struct {
		name       string
		states     []RateLimitState
		wantPolicy string
		wantLimit  string
	}{
		{
			name:       "draft example",
			states:     []RateLimitState{perMinute},
			wantPolicy: `"per_minute";q=100;w=60`,
			wantLimit:  `"per_minute";r=50;t=30`,
		},
		{
			name:       "several policies in order",
			states:     []RateLimitState{perSecond, perMinute},
			wantPolicy: `"per_second";q=10;w=1, "per_minute";q=100;w=60`,
			wantLimit:  `"per_second";r=9;t=1, "per_minute";r=50;t=30`,
		},
		{
			name:       "seconds round up, zero stays zero, no window omits w",
			states:     []RateLimitState{{Name: "burst-1", Quota: 0, Window: 1500 * time.Millisecond, Remaining: 0, Reset: time.Nanosecond}, {Name: "total", Quota: 5, Remaining: 5}},
			wantPolicy: `"burst-1";q=0;w=2, "total";q=5`,
			wantLimit:  `"burst-1";r=0;t=1, "total";r=5;t=0`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pol, err := FormatRateLimitPolicy(tt.states)
			if err != nil || pol != tt.wantPolicy {
				t.Errorf("FormatRateLimitPolicy = %q, %v; want %q", pol, err, tt.wantPolicy)
			}
			rl, err := FormatRateLimit(tt.states)
			if err != nil || rl != tt.wantLimit {
				t.Errorf("FormatRateLimit = %q, %v; want %q", rl, err, tt.wantLimit)
			}
		})
	}
}

func TestFormatRateLimitRejects(t *testing.T) {
	ok := RateLimitState{Name: "ok", Quota: 1, Window: time.Second, Remaining: 1, Reset: time.Second}
	with := func(f func(*RateLimitState)) []RateLimitState {
		s := ok
		f(&s)
		return []RateLimitState{s}
	}
	tests := []struct {
		name           string
		states         []RateLimitState
		policy, status bool // which formatter must reject
	}{
		{"no policies", nil, true, true},
		{"empty name", with(func(s *RateLimitState) { s.Name = "" }), true, true},
		{"upper case", with(func(s *RateLimitState) { s.Name = "PerMinute" }), true, true},
		{"quote in name", with(func(s *RateLimitState) { s.Name = `a"b` }), true, true},
		{"space in name", with(func(s *RateLimitState) { s.Name = "a b" }), true, true},
		{"name too long", with(func(s *RateLimitState) { s.Name = strings.Repeat("a", MaxPolicyNameLen+1) }), true, true},
		{"duplicate", []RateLimitState{ok, ok}, true, true},
		{"negative quota", with(func(s *RateLimitState) { s.Quota = -1 }), true, false},
		{"negative window", with(func(s *RateLimitState) { s.Window = -time.Second }), true, false},
		{"negative remaining", with(func(s *RateLimitState) { s.Remaining = -1 }), false, true},
		{"negative reset", with(func(s *RateLimitState) { s.Reset = -time.Second }), false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, perr := FormatRateLimitPolicy(tt.states)
			_, serr := FormatRateLimit(tt.states)
			if tt.policy != errors.Is(perr, ErrInvalidRateLimit) {
				t.Errorf("FormatRateLimitPolicy error = %v, want rejected=%v", perr, tt.policy)
			}
			if tt.status != errors.Is(serr, ErrInvalidRateLimit) {
				t.Errorf("FormatRateLimit error = %v, want rejected=%v", serr, tt.status)
			}
		})
	}
}

func TestWithRateLimitHeaders(t *testing.T) {
	user := loadRequest(t, "request_user.json")
	withCtx := func(ctx map[string]any) events.APIGatewayProxyRequest {
		return events.APIGatewayProxyRequest{RequestContext: events.APIGatewayProxyRequestContext{Authorizer: ctx}}
	}
	tests := []struct {
		name string
		req  events.APIGatewayProxyRequest
		want map[string]string
	}{
		{
			name: "copied from the authorizer context",
			req:  user,
			want: map[string]string{
				"Content-Type":        JSONContentType,
				HeaderRateLimit:       `"per_second";r=9;t=1, "per_minute";r=57;t=42`,
				HeaderRateLimitPolicy: `"per_second";q=10;w=1, "per_minute";q=60;w=60`,
			},
		},
		{name: "no authorizer", req: loadRequest(t, "request_no_authorizer.json"),
			want: map[string]string{"Content-Type": JSONContentType}},
		{name: "empty values are skipped", req: withCtx(map[string]any{"ratelimit": "", "ratelimit_policy": ""}),
			want: map[string]string{"Content-Type": JSONContentType}},
		{name: "header injection is skipped", req: withCtx(map[string]any{"ratelimit": "\"a\";r=1\r\nX-Evil: 1", "ratelimit_policy": `"a";q=1`}),
			want: map[string]string{"Content-Type": JSONContentType, HeaderRateLimitPolicy: `"a";q=1`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := JSON(200, map[string]string{"ok": "yes"})
			got := WithRateLimitHeaders(tt.req, in)
			if !reflect.DeepEqual(got.Headers, tt.want) {
				t.Fatalf("headers = %v, want %v", got.Headers, tt.want)
			}
			if len(in.Headers) != 1 {
				t.Fatalf("the input response's headers were modified: %v", in.Headers)
			}
			if got.Body != in.Body || got.StatusCode != in.StatusCode {
				t.Fatal("status or body changed")
			}
		})
	}
	// A response without headers gets a map.
	if got := WithRateLimitHeaders(user, events.APIGatewayProxyResponse{StatusCode: 204}); got.Headers[HeaderRateLimit] == "" {
		t.Fatalf("nil header map: got %v", got.Headers)
	}
}

func TestDenyContext(t *testing.T) {
	perSecond := RateLimitState{Name: "per_second", Quota: 10, Window: time.Second, Remaining: 3, Reset: 700 * time.Millisecond}
	perMinute := RateLimitState{Name: "per_minute", Quota: 60, Window: time.Minute, Remaining: 0, Reset: 41200 * time.Millisecond}
	got, err := DenyContext(perMinute, 16100*time.Millisecond, []RateLimitState{perSecond, perMinute})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"retry_after": "17", "policy": "per_minute", "limit": "60", "remaining": "0", "reset": "42",
		"ratelimit":        `"per_second";r=3;t=1, "per_minute";r=0;t=42`,
		"ratelimit_policy": `"per_second";q=10;w=1, "per_minute";q=60;w=60`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %v\nwant %v", got, want)
	}
	// The fixture the gateway test uses is what DenyContext builds.
	var fixture map[string]any
	loadJSON(t, "deny_context.json", &fixture)
	for k, v := range want {
		if k == "ratelimit" {
			continue // the fixture's per_second state differs
		}
		if fixture[k] != v {
			t.Errorf("fixture %s = %v, DenyContext gives %v", k, fixture[k], v)
		}
	}

	if _, err := DenyContext(RateLimitState{Name: "Bad Name"}, time.Second, nil); !errors.Is(err, ErrInvalidRateLimit) {
		t.Fatalf("invalid policy: err = %v", err)
	}
	only, err := DenyContext(perSecond, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := only["ratelimit"]; ok || only["retry_after"] != "0" {
		t.Fatalf("without states: %v", only)
	}
}
