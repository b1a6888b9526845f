package revocation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/authz"
	"github.com/lambdis/lambdis/shared/telemetry"
)

// DefaultAdminScope lets a caller revoke other subjects' tokens.
const DefaultAdminScope = "admin"

// MaxBody bounds a revoke request body.
const MaxBody = 16 << 10

type verifier interface {
	Verify(ctx context.Context, token string) (authz.Claims, error)
}

type store interface {
	Revoke(ctx context.Context, sub, iss, jti string, exp time.Time) error
	// RevokeAllSessions sets the subject's revoke-all cut-off and ends
	// every session of the subject in one script; it returns the cut-off
	// and how many sessions ended.
	RevokeAllSessions(ctx context.Context, sub string) (time.Time, int, error)
}

// Handler serves the revoke routes.
type Handler struct {
	Verifier     verifier
	Store        store
	AdminScope   string
	StoreTimeout time.Duration
	Log          *slog.Logger
}

// RevokeRequest is the body of POST /tokens/revoke.
type RevokeRequest struct {
	Token string `json:"token,omitempty"`
}

// RevokeResponse answers POST /tokens/revoke.
type RevokeResponse struct {
	Revoked bool   `json:"revoked"`
	Subject string `json:"sub"`
	TokenID string `json:"jti,omitempty"`
	// Until is when the entry stops mattering (the token's expiry); empty
	// when the token had already expired and nothing needed doing.
	Until string `json:"until,omitempty"`
}

// RevokeAllResponse answers POST /users/{sub}/revoke-all.
type RevokeAllResponse struct {
	Subject   string `json:"sub"`
	NotBefore string `json:"not_before"` // tokens issued and sessions created at or before it are rejected
	Sessions  int    `json:"sessions"`   // sessions ended (shared/session)
}

// Handle routes a proxy request.
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	log := telemetry.WithRequest(ctx, h.Log)
	var resp events.APIGatewayProxyResponse
	route, method := req.Resource, "POST"
	switch route {
	case "/tokens/self":
		method = "GET"
	case "/tokens/revoke", "/users/{sub}/revoke-all":
	default:
		return apigw.ProblemResponse(apigw.TypeNotFound.New("No such route.")), nil
	}
	switch {
	case req.HTTPMethod != method:
		resp = apigw.ProblemResponse(apigw.TypeMethodNotAllowed.New("Use " + method + "."))
		resp.Headers["Allow"] = method
	case route == "/tokens/self":
		resp = h.self(req)
	case route == "/tokens/revoke":
		resp = h.revoke(ctx, log, req)
	default:
		resp = h.revokeAll(ctx, log, req)
	}
	return apigw.WithRateLimitHeaders(req, resp), nil
}

// SelfResponse answers GET /tokens/self: the caller as the API sees it.
type SelfResponse struct {
	Subject   string   `json:"sub"`
	Issuer    string   `json:"iss,omitempty"`
	TokenID   string   `json:"jti,omitempty"`
	Scopes    []string `json:"scopes"`
	Anonymous bool     `json:"anonymous"`
}

func (h *Handler) self(req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	caller, err := apigw.Caller(req)
	if err != nil {
		return apigw.Internal()
	}
	scopes := caller.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	return apigw.JSON(200, SelfResponse{
		Subject: caller.Subject, Issuer: caller.Issuer, TokenID: caller.JTI,
		Scopes: scopes, Anonymous: caller.Anonymous,
	})
}

func (h *Handler) revoke(ctx context.Context, log *slog.Logger, req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	caller, err := apigw.Caller(req)
	if err != nil || caller.Anonymous || caller.Subject == "" {
		return apigw.Unauthorized("A bearer token is required.")
	}
	var body RevokeRequest
	if strings.TrimSpace(req.Body) != "" {
		if err := apigw.DecodeJSON(req, MaxBody, &body); err != nil {
			return apigw.DecodeError(err)
		}
	}
	raw, own := body.Token, body.Token == ""
	if own {
		hdr := header(req, "Authorization")
		if raw, err = authz.BearerToken(hdr); err != nil {
			return apigw.Unauthorized("A bearer token is required.")
		}
	} else if len(raw) > authz.MaxTokenBytes {
		return apigw.BadRequest("token: too long")
	}
	claims, err := h.Verifier.Verify(ctx, raw)
	var te *authz.TokenError
	switch {
	case err == nil:
	case errors.As(err, &te) && te.Reason == authz.ReasonExpired && !own:
		// An expired token is revoked already; RFC 7009 answers 200 for it.
		log.Info("revoke: token already expired")
		return apigw.JSON(200, RevokeResponse{Revoked: true, Subject: caller.Subject})
	case errors.Is(err, authz.ErrKeysUnavailable):
		log.Error("revoke: signing keys unavailable", "error", err.Error())
		return apigw.ProblemResponse(apigw.TypeStoreUnavailable.New("The signing keys could not be fetched; try again."))
	case own:
		return apigw.Unauthorized("The presenting token is not valid.")
	default:
		return apigw.BadRequest("token: not a valid token for this API (" + reason(err) + ")")
	}
	if claims.Subject != caller.Subject && !caller.HasScope(h.adminScope()) {
		return apigw.Forbidden("Only the token's subject or a caller with the " + h.adminScope() + " scope may revoke it.")
	}
	if claims.ID == "" {
		return apigw.BadRequest("token: it has no jti, so it cannot be revoked alone; use POST /users/{sub}/revoke-all")
	}
	sctx, cancel := h.storeContext(ctx)
	defer cancel()
	if err := h.Store.Revoke(sctx, claims.Subject, claims.Issuer, claims.ID, claims.ExpiresAt); err != nil {
		log.Error("revoke: store write failed", "error", err.Error(), "sub", claims.Subject, "jti", claims.ID)
		return apigw.ProblemResponse(apigw.TypeStoreUnavailable.New("The revocation was not stored; try again."))
	}
	log.Info("revoked token", "sub", claims.Subject, "jti", claims.ID, "by", caller.Subject)
	return apigw.JSON(200, RevokeResponse{
		Revoked: true, Subject: claims.Subject, TokenID: claims.ID,
		Until: claims.ExpiresAt.UTC().Format(time.RFC3339),
	})
}

func (h *Handler) revokeAll(ctx context.Context, log *slog.Logger, req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	caller, err := apigw.Caller(req)
	if err != nil || caller.Anonymous || caller.Subject == "" {
		return apigw.Unauthorized("A bearer token is required.")
	}
	if strings.TrimSpace(req.Body) != "" {
		var empty struct{}
		if err := apigw.DecodeJSON(req, MaxBody, &empty); err != nil {
			return apigw.DecodeError(err)
		}
	}
	sub := req.PathParameters["sub"]
	if err := authz.ValidateSubject(sub); err != nil { // the authorizer's own rule
		return apigw.BadRequest(fmt.Sprintf("sub: must be 1 to %d bytes of UTF-8 without control characters.", authz.MaxSubjectBytes))
	}
	if sub != caller.Subject && !caller.HasScope(h.adminScope()) {
		return apigw.Forbidden("Only the subject itself or a caller with the " + h.adminScope() + " scope may revoke all its tokens.")
	}
	sctx, cancel := h.storeContext(ctx)
	defer cancel()
	cut, sessions, err := h.Store.RevokeAllSessions(sctx, sub)
	if err != nil {
		log.Error("revoke-all: store write failed", "error", err.Error(), "sub", sub)
		return apigw.ProblemResponse(apigw.TypeStoreUnavailable.New("The revocation was not stored; try again."))
	}
	log.Info("revoked all tokens and sessions", "sub", sub, "by", caller.Subject, "not_before", cut.Unix(), "sessions", sessions)
	return apigw.JSON(200, RevokeAllResponse{Subject: sub, NotBefore: cut.UTC().Format(time.RFC3339), Sessions: sessions})
}

func (h *Handler) adminScope() string {
	if h.AdminScope == "" {
		return DefaultAdminScope
	}
	return h.AdminScope
}

func (h *Handler) storeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if h.StoreTimeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, h.StoreTimeout)
}

func reason(err error) string {
	var te *authz.TokenError
	if errors.As(err, &te) {
		return te.Reason
	}
	return "invalid"
}

func header(req events.APIGatewayProxyRequest, name string) string {
	for k, v := range req.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	for k, vs := range req.MultiValueHeaders {
		if strings.EqualFold(k, name) && len(vs) == 1 {
			return vs[0]
		}
	}
	return ""
}
