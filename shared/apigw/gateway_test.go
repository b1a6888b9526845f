package apigw

import (
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

var authorizerRef = regexp.MustCompile(`\$context\.authorizer\.([A-Za-z0-9_]+)`)

// renderTemplate does what API Gateway does to a gateway response template:
// plain substitution of $context.authorizer.<key> (an absent key renders
// empty).
func renderTemplate(tmpl string, ctx map[string]any) string {
	return authorizerRef.ReplaceAllStringFunc(tmpl, func(ref string) string {
		s, _ := contextString(ctx, authorizerRef.FindStringSubmatch(ref)[1])
		return s
	})
}

// renderHeaders evaluates the header mapping expressions: 'static' values and
// context.authorizer.<key>; a header whose value is absent is not sent.
func renderHeaders(t *testing.T, g GatewayResponse, ctx map[string]any) map[string]string {
	t.Helper()
	out := map[string]string{}
	for name, expr := range g.Headers {
		switch {
		case strings.HasPrefix(expr, "'") && strings.HasSuffix(expr, "'") && len(expr) >= 2:
			out[name] = expr[1 : len(expr)-1]
		case strings.HasPrefix(expr, "context.authorizer."):
			if s, ok := contextString(ctx, strings.TrimPrefix(expr, "context.authorizer.")); ok && s != "" {
				out[name] = s
			}
		default:
			t.Fatalf("header %s: unsupported mapping expression %q", name, expr)
		}
	}
	return out
}

func members(t *testing.T, body string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("not a JSON object: %v\n%s", err, body)
	}
	return m
}

// TestGatewayMatchesGo: what API Gateway renders from the templates and what
// the local server answers with the Go functions carry the same status, JSON
// members and headers.
func TestGatewayMatchesGo(t *testing.T) {
	var fixture map[string]any
	loadJSON(t, "deny_context.json", &fixture)
	built, err := DenyContext(
		RateLimitState{Name: "per_day", Quota: 1000, Window: 24 * time.Hour, Remaining: 0, Reset: 5 * time.Hour},
		90*time.Minute, []RateLimitState{{Name: "per_day", Quota: 1000, Window: 24 * time.Hour, Remaining: 0, Reset: 5 * time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		g    GatewayResponse
		ctx  map[string]any
		resp events.APIGatewayProxyResponse
	}{
		{"401", UnauthorizedGateway(), nil, UnauthorizedResponse()},
		{"429 from the fixture context", RateLimitedGateway(), fixture, RateLimitedResponse(fixture)},
		{"429 from a DenyContext", RateLimitedGateway(), built, RateLimitedResponse(built)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.g.StatusCode != tt.resp.StatusCode {
				t.Fatalf("gateway status %d, Go status %d", tt.g.StatusCode, tt.resp.StatusCode)
			}
			tmpl, ok := tt.g.Templates[JSONContentType]
			if !ok || len(tt.g.Templates) != 1 {
				t.Fatalf("templates = %v", tt.g.Templates)
			}
			rendered := members(t, renderTemplate(tmpl, tt.ctx))
			goBody := members(t, tt.resp.Body)
			if !reflect.DeepEqual(rendered, goBody) {
				t.Fatalf("members differ\ntemplate %v\nGo       %v", rendered, goBody)
			}
			if got := renderHeaders(t, tt.g, tt.ctx); !reflect.DeepEqual(got, tt.resp.Headers) {
				t.Fatalf("headers differ\ntemplate %v\nGo       %v", got, tt.resp.Headers)
			}
			parseProblem(t, tt.resp)
		})
	}
}

func TestRateLimitedResponseContent(t *testing.T) {
	var ctx map[string]any
	loadJSON(t, "deny_context.json", &ctx)
	r := RateLimitedResponse(ctx)
	p := parseProblem(t, r)
	if p.Type != TypeQuotaExceeded.URI() || r.StatusCode != 429 {
		t.Fatalf("got %d %s", r.StatusCode, p.Type)
	}
	wantExt := map[string]any{
		"retry_after": 17.0, "limit": 60.0, "remaining": 0.0, "reset": 42.0,
		"violated-policies": []any{"per_minute"},
	}
	if !reflect.DeepEqual(p.Extensions, wantExt) {
		t.Fatalf("extensions = %v, want %v", p.Extensions, wantExt)
	}
	if r.Headers["Retry-After"] != "17" || r.Headers[HeaderRateLimit] == "" || r.Headers[HeaderRateLimitPolicy] == "" {
		t.Fatalf("headers = %v", r.Headers)
	}
}

// Unlike the template, the Go twin stays valid JSON on a partial or hostile
// context, and never invents a value.
func TestRateLimitedResponseDegrades(t *testing.T) {
	tests := []struct {
		name       string
		ctx        map[string]any
		wantDetail string
		wantExt    map[string]any
		wantRetry  string
	}{
		{"empty context", nil, "Rate limit exceeded.", nil, ""},
		{"retry only", map[string]any{"retry_after": "3"}, "Rate limit exceeded; retry after 3 seconds.",
			map[string]any{"retry_after": 3.0}, "3"},
		{"policy only", map[string]any{"policy": "per_ip"}, "Rate limit exceeded for policy per_ip.",
			map[string]any{"violated-policies": []any{"per_ip"}}, ""},
		{"hostile values", map[string]any{"policy": `x","evil":"1`, "retry_after": "-1", "limit": "ten", "reset": 4.0},
			"Rate limit exceeded.", map[string]any{"reset": 4.0}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := RateLimitedResponse(tt.ctx)
			p := parseProblem(t, r)
			if p.Detail != tt.wantDetail {
				t.Errorf("detail = %q, want %q", p.Detail, tt.wantDetail)
			}
			if !reflect.DeepEqual(p.Extensions, tt.wantExt) {
				t.Errorf("extensions = %v, want %v", p.Extensions, tt.wantExt)
			}
			if r.Headers["Retry-After"] != tt.wantRetry {
				t.Errorf("Retry-After = %q, want %q", r.Headers["Retry-After"], tt.wantRetry)
			}
		})
	}
}

func TestGatewayResponseDefinitions(t *testing.T) {
	u := UnauthorizedGateway()
	if u.Type != "UNAUTHORIZED" || u.StatusCode != 401 {
		t.Fatalf("unauthorized: %+v", u)
	}
	rl := RateLimitedGateway()
	if rl.Type != "ACCESS_DENIED" || rl.StatusCode != 429 {
		t.Fatalf("rate limited: %+v", rl)
	}
	params := rl.ResponseParameters()
	if params["gatewayresponse.header.Retry-After"] != "context.authorizer.retry_after" ||
		params["gatewayresponse.header.Content-Type"] != "'application/problem+json'" || len(params) != len(rl.Headers) {
		t.Fatalf("response parameters = %v", params)
	}
	// Every placeholder the body template uses is a key DenyContext sets.
	ctx, err := DenyContext(RateLimitState{Name: "p", Quota: 1, Remaining: 0}, time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range authorizerRef.FindAllStringSubmatch(RateLimitedBodyTemplate, -1) {
		if _, ok := ctx[m[1]]; !ok {
			t.Errorf("template reads $context.authorizer.%s, which DenyContext does not set", m[1])
		}
	}
	// Each call returns fresh maps: callers cannot corrupt the definitions.
	rl.Headers["Retry-After"] = "'0'"
	if RateLimitedGateway().Headers["Retry-After"] == "'0'" {
		t.Fatal("RateLimitedGateway shares its header map")
	}
}
