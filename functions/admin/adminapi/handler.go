package adminapi

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/authz"
	"github.com/lambdis/lambdis/shared/queue"
	"github.com/lambdis/lambdis/shared/ratelimit"
	"github.com/lambdis/lambdis/shared/redischeck"
	"github.com/lambdis/lambdis/shared/telemetry"
)

// The routes of the admin function, as the API defines them.
const (
	RouteQueues  = "/admin/queues"
	RouteDead    = "/admin/queues/{queue}/dead"
	RouteRedrive = "/admin/queues/{queue}/dead/redrive"
	RouteJob     = "/admin/jobs/{id}"
	RouteLimits  = "/admin/subjects/{sub}/limits"
	RouteRedis   = "/admin/redis"
)

// routeMethods are the methods of each route.
var routeMethods = map[string][]string{
	RouteQueues:  {"GET"},
	RouteDead:    {"GET", "DELETE"},
	RouteRedrive: {"POST"},
	RouteJob:     {"GET"},
	RouteLimits:  {"GET"},
	RouteRedis:   {"GET"},
}

// Routes returns every method and resource the function serves, for the
// local API and the stack.
func Routes() [][2]string {
	var out [][2]string
	for _, r := range []string{RouteQueues, RouteDead, RouteRedrive, RouteJob, RouteLimits, RouteRedis} {
		for _, m := range routeMethods[r] {
			out = append(out, [2]string{m, r})
		}
	}
	return out
}

// DefaultAdminScope is the scope every route needs.
const DefaultAdminScope = "admin"

// queues is what the handler needs of the queue library.
type queues interface {
	Overviews(ctx context.Context) ([]queue.Overview, error)
	NewestDeadLetters(ctx context.Context, queue string, count int64, before string) ([]queue.DeadLetter, error)
	RedriveDead(ctx context.Context, queue string, all bool, refs []string) (redriven, missing []string, err error)
	PurgeDead(ctx context.Context, queue string, all bool, refs []string) (deleted int64, missing []string, err error)
	Status(ctx context.Context, id string) (queue.Record, error)
}

// subjects reads a subject's state without spending.
type subjects interface {
	Peek(ctx context.Context, sub string, policies []ratelimit.Policy) (authz.SubjectState, error)
}

// redisChecker runs `lambdis doctor`'s Redis checks.
type redisChecker interface {
	Check(ctx context.Context) redischeck.Report
}

// Handler serves the admin routes.
type Handler struct {
	Queue    queues
	Subjects subjects
	Redis    redisChecker
	// Policies are the authorizer's (RATE_LIMITS): the limits a subject's
	// state is shown under.
	Policies     []ratelimit.Policy
	AdminScope   string // DefaultAdminScope when empty
	StoreTimeout time.Duration
	Log          *slog.Logger
}

// Handle routes a proxy request.
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	log := h.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = telemetry.WithRequest(ctx, log)
	methods, ok := routeMethods[req.Resource]
	if !ok {
		return apigw.ProblemResponse(apigw.TypeNotFound.New("No such route.")), nil
	}
	var resp events.APIGatewayProxyResponse
	caller, err := apigw.Caller(req)
	switch {
	case !slices.Contains(methods, req.HTTPMethod):
		allow := strings.Join(methods, ", ")
		resp = apigw.ProblemResponse(apigw.TypeMethodNotAllowed.New("Use " + allow + "."))
		resp.Headers["Allow"] = allow
	case err != nil || caller.Anonymous || caller.Subject == "":
		resp = apigw.Unauthorized("A bearer token is required.")
	case !caller.HasScope(h.adminScope()):
		resp = apigw.MissingScope(h.adminScope())
	default:
		sctx, cancel := h.storeContext(ctx)
		defer cancel()
		log = log.With("admin", caller.Subject)
		switch req.Resource {
		case RouteQueues:
			resp = h.listQueues(sctx, log)
		case RouteDead:
			if req.HTTPMethod == "GET" {
				resp = h.listDead(sctx, log, req)
			} else {
				resp = h.purge(sctx, log, req)
			}
		case RouteRedrive:
			resp = h.redrive(sctx, log, req)
		case RouteJob:
			resp = h.job(sctx, log, req)
		case RouteRedis:
			resp = apigw.JSON(200, h.Redis.Check(sctx))
		default:
			resp = h.limits(sctx, log, req)
		}
	}
	return apigw.WithRateLimitHeaders(req, resp), nil
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
