package adminapi

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/authz"
	"github.com/lambdis/lambdis/shared/ratelimit"
)

// LimitsResponse answers GET /admin/subjects/{sub}/limits.
type LimitsResponse struct {
	Subject string `json:"sub"`
	// RevokedAll is whether a revoke-all cut-off is in force: tokens issued
	// at or before NotBefore and sessions created at or before RevokedAt are
	// rejected; RevokeAllUntil is when it is dropped (absent: kept forever).
	RevokedAll     bool       `json:"revoked_all"`
	RevokedAt      *time.Time `json:"revoked_at,omitempty"`
	NotBefore      *time.Time `json:"not_before,omitempty"`
	RevokeAllUntil *time.Time `json:"revoke_all_until,omitempty"`
	Limits         []Limit    `json:"limits"`
}

// Limit is the subject's state under one policy, as the RateLimit headers
// would show it on its next request, before that request is charged.
type Limit struct {
	Policy string `json:"policy"`
	// Quota requests per Window seconds is the policy as RateLimit-Policy
	// shows it; Rate per PeriodSeconds its sustained rate.
	Quota         int64   `json:"quota"`
	WindowSeconds int64   `json:"window_seconds"`
	Rate          int64   `json:"rate"`
	PeriodSeconds float64 `json:"period_seconds"`
	// Remaining requests are admissible now; ResetSeconds until the subject
	// is back to a full burst (0: it is).
	Remaining    int64 `json:"remaining"`
	ResetSeconds int64 `json:"reset_seconds"`
}

func (h *Handler) limits(ctx context.Context, log *slog.Logger, req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	sub := req.PathParameters["sub"] // as POST /users/{sub}/revoke-all reads it
	if err := authz.ValidateSubject(sub); err != nil {
		return apigw.BadRequest(fmt.Sprintf("sub: must be 1 to %d bytes of UTF-8 without control characters.", authz.MaxSubjectBytes))
	}
	st, err := h.Subjects.Peek(ctx, sub, h.Policies)
	if err != nil {
		log.Error("admin: read subject state failed", "sub", sub, "error", err.Error())
		return apigw.StoreUnavailable()
	}
	out := LimitsResponse{Subject: sub, RevokedAll: st.RevokedAll, Limits: make([]Limit, len(st.Limits))}
	if st.RevokedAll {
		out.RevokedAt, out.NotBefore = &st.RevokedAt, &st.NotBefore
		if !st.Until.IsZero() {
			out.RevokeAllUntil = &st.Until
		}
	}
	for i, r := range st.Limits {
		out.Limits[i] = newLimit(r)
	}
	return apigw.JSON(200, out)
}

func newLimit(r ratelimit.Result) Limit {
	p := r.Policy
	return Limit{
		Policy: p.Name, Quota: p.Burst, WindowSeconds: ceilSeconds(p.Window()),
		Rate: p.Rate, PeriodSeconds: p.Period.Seconds(),
		Remaining: r.Remaining, ResetSeconds: ceilSeconds(r.ResetAfter),
	}
}

// ceilSeconds rounds d up to whole seconds, as the RateLimit headers do.
func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64(math.Ceil(d.Seconds()))
}
