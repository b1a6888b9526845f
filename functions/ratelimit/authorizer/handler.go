package authorizer

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/authz"
	"github.com/lambdis/lambdis/shared/ratelimit"
	"github.com/lambdis/lambdis/shared/session"
	"github.com/lambdis/lambdis/shared/telemetry"
)

// ErrUnauthorized is the error API Gateway turns into a 401: the message must
// be exactly "Unauthorized".
var ErrUnauthorized = errors.New("Unauthorized")

// ErrUnavailable is returned when the decision cannot be made and the
// configuration says to fail closed; API Gateway answers 500
// (AUTHORIZER_FAILURE), which the stack maps to 503.
var ErrUnavailable = errors.New("authorizer: decision store unavailable")

type verifier interface {
	Verify(ctx context.Context, token string) (authz.Claims, error)
}

type decider interface {
	DecideToken(ctx context.Context, c authz.Claims, cost int64, policies []ratelimit.Policy) (authz.Decision, error)
	DecideAnonymous(ctx context.Context, ip string, cost int64, policies []ratelimit.Policy) (authz.Decision, error)
}

type sessionDecider interface {
	Decide(ctx context.Context, id session.ID, cost int64, policies []ratelimit.Policy) (session.Decision, error)
}

type metrics interface {
	Count(name string, n int, dims ...telemetry.Dim)
	Duration(name string, d time.Duration, dims ...telemetry.Dim)
}

// Handler is the REQUEST authorizer.
type Handler struct {
	Config   Config
	Verifier verifier
	Store    decider
	// Sessions decides requests that present a session id instead of a
	// token; nil rejects them (401).
	Sessions sessionDecider
	Log      *slog.Logger
	Metrics  metrics
}

// ContextKeyAuth is set to AuthSession in the Allow context of a request
// authenticated by a session (tokens leave it out).
const (
	ContextKeyAuth = "auth"
	AuthSession    = "session"
)

// Handle answers one authorizer request. The credential is, in this order:
// the Authorization header ("Bearer <jwt>" or "Session <id>"), else the
// lambdis_session cookie, else none (anonymous, when enabled).
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayCustomAuthorizerRequestTypeRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
	log := telemetry.WithRequest(ctx, h.Log)
	auth, present, ok := authorizationHeader(req)
	if !ok {
		return h.unauthorized(log, "ambiguous_header", errors.New("more than one Authorization header"))
	}
	if !present {
		cookie, present, ok := sessionCookie(req)
		switch {
		case !ok:
			return h.unauthorized(log, "ambiguous_cookie", errors.New("more than one "+SessionCookie+" cookie, or oversize Cookie headers"))
		case present && !safeMethod(req.HTTPMethod) && !hasHeader(req, CSRFHeader):
			return h.unauthorized(log, "csrf_header_missing", errors.New("a cookie session on "+req.HTTPMethod+" needs the "+CSRFHeader+" header"))
		case present:
			return h.session(ctx, log, req, cookie)
		case len(h.Config.AnonymousPolicies) == 0:
			return h.unauthorized(log, "missing_token", nil)
		}
		return h.anonymous(ctx, log, req)
	}
	if id, ok := sessionCredential(auth); ok {
		return h.session(ctx, log, req, id)
	}
	raw, err := authz.BearerToken(auth)
	if err != nil {
		return h.unauthorized(log, "malformed_token", err)
	}
	claims, err := h.Verifier.Verify(ctx, raw)
	if err != nil {
		if errors.Is(err, authz.ErrKeysUnavailable) {
			// The token may be fine: a 401 would make clients drop it.
			return h.failClosed(log, "signing_keys", err)
		}
		return h.unauthorized(log, "invalid_token", err)
	}
	if claims.IssuedAt.IsZero() {
		return h.unauthorized(log, "missing_iat", errors.New("token has no iat: revoke-all could not apply to it"))
	}
	if life := claims.ExpiresAt.Sub(claims.IssuedAt); h.Config.MaxTokenTTL != authz.Unbounded && life > h.Config.MaxTokenTTL {
		return h.unauthorized(log, "lifetime_too_long", errors.New("token lifetime "+life.String()+" exceeds "+EnvMaxTokenTTL))
	}

	dctx, cancel := context.WithTimeout(ctx, h.Config.RedisTimeout)
	start := time.Now()
	d, err := h.Store.DecideToken(dctx, claims, 1, h.Config.Policies)
	cancel()
	h.duration("RedisLatency", time.Since(start))
	log = log.With("sub", claims.Subject, "jti", claims.ID)
	if err != nil {
		if !h.Config.RevocationFailOpen {
			return h.failClosed(log, "revocation", err)
		}
		return h.limiterDown(log, req, err, identityContext(claims))
	}
	switch d.Reason {
	case authz.ReasonRevoked, authz.ReasonCutoff:
		return h.unauthorized(log, string(d.Reason), nil)
	case authz.ReasonRateLimited:
		return h.rateLimited(log, req, d.Limit)
	}
	return h.allow(log, req, claims.Subject, identityContext(claims), d.Limit)
}

func (h *Handler) anonymous(ctx context.Context, log *slog.Logger, req events.APIGatewayCustomAuthorizerRequestTypeRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
	ip := req.RequestContext.Identity.SourceIP
	tag, err := authz.IPTag(ip)
	if err != nil {
		return h.unauthorized(log, "no_source_ip", err)
	}
	log = log.With("anonymous", true, "ip", ip)
	dctx, cancel := context.WithTimeout(ctx, h.Config.RedisTimeout)
	start := time.Now()
	d, err := h.Store.DecideAnonymous(dctx, ip, 1, h.Config.AnonymousPolicies)
	cancel()
	h.duration("RedisLatency", time.Since(start))
	idCtx := map[string]any{apigw.ContextKeyAnonymous: "true", apigw.ContextKeySubject: ""}
	if err != nil {
		return h.limiterDown(log, req, err, idCtx)
	}
	if d.Reason == authz.ReasonRateLimited {
		return h.rateLimited(log, req, d.Limit)
	}
	return h.allow(log, req, "anonymous:"+tag, idCtx, d.Limit)
}

// session decides a request that presents a session id: one script reads
// the session, its subject's revoke-all cut-off and rate-limit state, and
// touches the session when the request is admitted. A session cannot be
// checked without Redis, so an outage always fails closed.
func (h *Handler) session(ctx context.Context, log *slog.Logger, req events.APIGatewayCustomAuthorizerRequestTypeRequest, raw string) (events.APIGatewayCustomAuthorizerResponse, error) {
	if h.Sessions == nil {
		return h.unauthorized(log, "sessions_disabled", nil)
	}
	id, err := session.ParseID(raw)
	if err != nil {
		return h.unauthorized(log, "malformed_session", err)
	}
	log = log.With("sub", id.Subject(), "session", id.Handle())
	dctx, cancel := context.WithTimeout(ctx, h.Config.RedisTimeout)
	start := time.Now()
	d, err := h.Sessions.Decide(dctx, id, 1, h.Config.Policies)
	cancel()
	h.duration("RedisLatency", time.Since(start))
	if err != nil {
		return h.failClosed(log, "session", err)
	}
	switch d.Reason {
	case authz.ReasonNoSession:
		return h.unauthorized(log, "no_session", nil)
	case authz.ReasonCutoff:
		return h.unauthorized(log, "session_cutoff", nil)
	case authz.ReasonRateLimited:
		return h.rateLimited(log, req, d.Limit)
	}
	return h.allow(log, req, id.Subject(), map[string]any{
		apigw.ContextKeySubject:   id.Subject(),
		apigw.ContextKeyScope:     strings.Join(d.Scopes, " "),
		apigw.ContextKeyAnonymous: "false",
		apigw.ContextKeySession:   id.Handle(),
		ContextKeyAuth:            AuthSession,
	}, d.Limit)
}

func identityContext(c authz.Claims) map[string]any {
	return map[string]any{
		apigw.ContextKeySubject:   c.Subject,
		apigw.ContextKeyJTI:       c.ID,
		apigw.ContextKeyIssuer:    c.Issuer,
		apigw.ContextKeyScope:     strings.Join(c.Scopes, " "),
		apigw.ContextKeyAnonymous: "false",
	}
}

func (h *Handler) unauthorized(log *slog.Logger, cause string, err error) (events.APIGatewayCustomAuthorizerResponse, error) {
	h.count("Decisions", telemetry.Dim{Name: "Reason", Value: "unauthorized"})
	h.count("Unauthorized", telemetry.Dim{Name: "Cause", Value: cause})
	attrs := []any{"decision", "unauthorized", "cause", cause}
	if err != nil {
		attrs = append(attrs, "error", err.Error())
	}
	log.Info("authorizer decision", attrs...)
	return events.APIGatewayCustomAuthorizerResponse{}, ErrUnauthorized
}

func (h *Handler) failClosed(log *slog.Logger, check string, err error) (events.APIGatewayCustomAuthorizerResponse, error) {
	h.count("FailClosed", telemetry.Dim{Name: "Check", Value: check})
	h.count("Decisions", telemetry.Dim{Name: "Reason", Value: "fail_closed"})
	log.Error("authorizer failed closed: decision store unavailable", "check", check, "error", err.Error())
	return events.APIGatewayCustomAuthorizerResponse{}, ErrUnavailable
}

// limiterDown applies the rate limiter's failure mode once revocation has
// been checked or is configured to fail open.
func (h *Handler) limiterDown(log *slog.Logger, req events.APIGatewayCustomAuthorizerRequestTypeRequest, err error, idCtx map[string]any) (events.APIGatewayCustomAuthorizerResponse, error) {
	if !h.Config.RateLimitFailOpen {
		h.count("FailClosed", telemetry.Dim{Name: "Check", Value: "ratelimit"})
		h.count("Decisions", telemetry.Dim{Name: "Reason", Value: "fail_closed"})
		log.Error("rate limiter failed closed: decision store unavailable", "error", err.Error())
		ctx := map[string]any{
			apigw.ContextKeyRetryAfter: "1", apigw.ContextKeyPolicy: "unavailable",
			apigw.ContextKeyLimit: "0", apigw.ContextKeyRemaining: "0", apigw.ContextKeyReset: "1",
		}
		return response("unavailable", "Deny", req.MethodArn, ctx), nil
	}
	h.count("FailOpen", telemetry.Dim{Name: "Check", Value: "ratelimit"})
	h.count("Decisions", telemetry.Dim{Name: "Reason", Value: "fail_open"})
	log.Warn("rate limiter failed open: decision store unavailable", "error", err.Error())
	principal, _ := idCtx[apigw.ContextKeySubject].(string)
	if principal == "" {
		principal = "anonymous"
	}
	idCtx["degraded"] = "true"
	return response(principal, "Allow", stageWildcard(req.MethodArn), idCtx), nil
}

func (h *Handler) rateLimited(log *slog.Logger, req events.APIGatewayCustomAuthorizerRequestTypeRequest, d ratelimit.Decision) (events.APIGatewayCustomAuthorizerResponse, error) {
	denied := d.Binding() // the policy that keeps the client out longest
	retry := denied.RetryAfter
	if retry == ratelimit.Never {
		retry = denied.Policy.Period
	}
	ctx, err := apigw.DenyContext(state(*denied), retry, states(d))
	if err != nil {
		log.Error("building the deny context", "error", err.Error())
		return events.APIGatewayCustomAuthorizerResponse{}, ErrUnavailable
	}
	h.count("Decisions", telemetry.Dim{Name: "Reason", Value: string(authz.ReasonRateLimited)})
	log.Info("authorizer decision", "decision", "rate_limited", "policy", denied.Policy.Name, "retry_after_ms", retry.Milliseconds())
	return response("rate-limited", "Deny", req.MethodArn, ctx), nil
}

func (h *Handler) allow(log *slog.Logger, req events.APIGatewayCustomAuthorizerRequestTypeRequest, principal string, ctx map[string]any, d ratelimit.Decision) (events.APIGatewayCustomAuthorizerResponse, error) {
	if len(d.Results) > 0 {
		hdr, err := apigw.RateLimitContext(states(d))
		if err != nil {
			log.Error("building the rate-limit context", "error", err.Error())
			return events.APIGatewayCustomAuthorizerResponse{}, ErrUnavailable
		}
		for k, v := range hdr {
			ctx[k] = v
		}
		t := d.Tightest()
		ctx[apigw.ContextKeyPolicy] = t.Policy.Name
		ctx[apigw.ContextKeyLimit] = strconv.FormatInt(t.Policy.Burst, 10)
		ctx[apigw.ContextKeyRemaining] = strconv.FormatInt(t.Remaining, 10)
		ctx[apigw.ContextKeyReset] = strconv.FormatInt(int64((t.ResetAfter+time.Second-1)/time.Second), 10)
	}
	h.count("Decisions", telemetry.Dim{Name: "Reason", Value: string(authz.ReasonOK)})
	log.Debug("authorizer decision", "decision", "allow")
	return response(principal, "Allow", stageWildcard(req.MethodArn), ctx), nil
}

func state(r ratelimit.Result) apigw.RateLimitState {
	return apigw.RateLimitState{
		Name: r.Policy.Name, Quota: int(r.Policy.Burst), Window: r.Policy.Window(),
		Remaining: int(max(r.Remaining, 0)), Reset: r.ResetAfter,
	}
}

func states(d ratelimit.Decision) []apigw.RateLimitState {
	out := make([]apigw.RateLimitState, len(d.Results))
	for i, r := range d.Results {
		out[i] = state(r)
	}
	return out
}

func (h *Handler) count(name string, dims ...telemetry.Dim) {
	if h.Metrics != nil {
		h.Metrics.Count(name, 1, dims...)
	}
}

func (h *Handler) duration(name string, d time.Duration) {
	if h.Metrics != nil {
		h.Metrics.Duration(name, d)
	}
}
