package apigw

import (
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Header names of draft-ietf-httpapi-ratelimit-headers-11.
const (
	HeaderRateLimit       = "RateLimit"
	HeaderRateLimitPolicy = "RateLimit-Policy"
)

// MaxPolicyNameLen bounds a policy name.
const MaxPolicyNameLen = 64

// maxSFInteger is the largest Integer a structured field may carry (RFC 9651).
const maxSFInteger = 999_999_999_999_999

// ErrInvalidRateLimit is wrapped by every error of the Format functions.
var ErrInvalidRateLimit = errors.New("invalid rate-limit state")

// RateLimitState is one policy and where the caller stands in it: the input of
// FormatRateLimitPolicy (Name, Quota, Window) and FormatRateLimit (Name,
// Remaining, Reset).
type RateLimitState struct {
	Name      string        // [a-z0-9_-], 1 to MaxPolicyNameLen bytes
	Quota     int           // requests allowed per Window
	Window    time.Duration // 0 omits the w parameter
	Remaining int           // requests still allowed now
	Reset     time.Duration // time until the quota is fully available again
}

// ValidPolicyName reports whether name may name a policy: 1 to
// MaxPolicyNameLen bytes of [a-z0-9_-]. Such a name needs no escaping as a
// structured-field string, a header value or a JSON string.
func ValidPolicyName(name string) bool {
	if name == "" || len(name) > MaxPolicyNameLen {
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

// FormatRateLimitPolicy returns the RateLimit-Policy field value for states,
// e.g. `"per_second";q=10;w=1, "per_minute";q=100;w=60`. Windows are whole
// seconds rounded up.
func FormatRateLimitPolicy(states []RateLimitState) (string, error) {
	return formatList(states, func(b *strings.Builder, s RateLimitState) error {
		if s.Quota < 0 || s.Quota > maxSFInteger {
			return fmt.Errorf("quota %d out of range", s.Quota)
		}
		if s.Window < 0 {
			return fmt.Errorf("negative window %v", s.Window)
		}
		fmt.Fprintf(b, ";q=%d", s.Quota)
		if s.Window > 0 {
			fmt.Fprintf(b, ";w=%d", ceilSeconds(s.Window))
		}
		return nil
	})
}

// FormatRateLimit returns the RateLimit field value for states, e.g.
// `"per_second";r=9;t=1, "per_minute";r=50;t=30`. Reset is whole seconds
// rounded up, so a client that waits t never comes back early.
func FormatRateLimit(states []RateLimitState) (string, error) {
	return formatList(states, func(b *strings.Builder, s RateLimitState) error {
		if s.Remaining < 0 || s.Remaining > maxSFInteger {
			return fmt.Errorf("remaining %d out of range", s.Remaining)
		}
		if s.Reset < 0 {
			return fmt.Errorf("negative reset %v", s.Reset)
		}
		fmt.Fprintf(b, ";r=%d;t=%d", s.Remaining, ceilSeconds(s.Reset))
		return nil
	})
}

// formatList writes the structured-field List of one Item per state: the
// policy name as an sf-string followed by the parameters params writes.
func formatList(states []RateLimitState, params func(*strings.Builder, RateLimitState) error) (string, error) {
	if len(states) == 0 {
		return "", fmt.Errorf("apigw: %w: no policies", ErrInvalidRateLimit)
	}
	var b strings.Builder
	seen := make(map[string]bool, len(states))
	for i, s := range states {
		if !ValidPolicyName(s.Name) {
			return "", fmt.Errorf("apigw: %w: policy name %q: want 1 to %d bytes of [a-z0-9_-]", ErrInvalidRateLimit, s.Name, MaxPolicyNameLen)
		}
		if seen[s.Name] {
			return "", fmt.Errorf("apigw: %w: policy %q listed twice", ErrInvalidRateLimit, s.Name)
		}
		seen[s.Name] = true
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`"` + s.Name + `"`) // ValidPolicyName: nothing to escape
		if err := params(&b, s); err != nil {
			return "", fmt.Errorf("apigw: %w: policy %q: %w", ErrInvalidRateLimit, s.Name, err)
		}
	}
	return b.String(), nil
}

// RateLimitContext returns the authorizer context entries that carry the
// RateLimit and RateLimit-Policy field values for states, for an Allow.
func RateLimitContext(states []RateLimitState) (map[string]any, error) {
	rl, err := FormatRateLimit(states)
	if err != nil {
		return nil, err
	}
	pol, err := FormatRateLimitPolicy(states)
	if err != nil {
		return nil, err
	}
	return map[string]any{ContextKeyRateLimit: rl, ContextKeyRateLimitPolicy: pol}, nil
}

// DenyContext returns the authorizer context for a rate-limit Deny: the keys
// the 429 gateway response reads (retry_after, policy, limit, remaining,
// reset) for the violated policy, and, when states is not empty, the
// RateLimit and RateLimit-Policy values for every policy. All values are
// strings, as API Gateway would pass them anyway.
func DenyContext(violated RateLimitState, retryAfter time.Duration, states []RateLimitState) (map[string]any, error) {
	// Validates the violated policy the same way the headers are validated.
	if _, err := FormatRateLimit([]RateLimitState{violated}); err != nil {
		return nil, err
	}
	if _, err := FormatRateLimitPolicy([]RateLimitState{violated}); err != nil {
		return nil, err
	}
	ctx := map[string]any{
		ContextKeyRetryAfter: strconv.FormatInt(ceilSeconds(retryAfter), 10),
		ContextKeyPolicy:     violated.Name,
		ContextKeyLimit:      strconv.Itoa(violated.Quota),
		ContextKeyRemaining:  strconv.Itoa(violated.Remaining),
		ContextKeyReset:      strconv.FormatInt(ceilSeconds(violated.Reset), 10),
	}
	if len(states) > 0 {
		hdr, err := RateLimitContext(states)
		if err != nil {
			return nil, err
		}
		maps.Copy(ctx, hdr)
	}
	return ctx, nil
}

// WithRateLimitHeaders returns resp with the RateLimit and RateLimit-Policy
// headers set from the authorizer context of req, each only when the context
// holds a non-empty, header-safe value. resp's header map is copied, not
// modified.
func WithRateLimitHeaders(req events.APIGatewayProxyRequest, resp events.APIGatewayProxyResponse) events.APIGatewayProxyResponse {
	ctx := authorizerContext(req)
	headers := make(map[string]string, len(resp.Headers)+2)
	maps.Copy(headers, resp.Headers)
	for key, header := range map[string]string{
		ContextKeyRateLimit:       HeaderRateLimit,
		ContextKeyRateLimitPolicy: HeaderRateLimitPolicy,
	} {
		if v, ok := contextString(ctx, key); ok && validHeaderValue(v) {
			headers[header] = v
		}
	}
	resp.Headers = headers
	return resp
}

// validHeaderValue reports whether v is a non-empty field value of visible
// ASCII, spaces and tabs: nothing that could split or smuggle a header.
func validHeaderValue(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c != '\t' && (c < 0x20 || c > 0x7e) {
			return false
		}
	}
	return true
}
