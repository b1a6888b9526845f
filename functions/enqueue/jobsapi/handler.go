package jobsapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/queue"
	"github.com/lambdis/lambdis/shared/telemetry"
)

// The routes of the enqueue function.
const (
	RouteEnqueue = "/jobs"
	RouteBatch   = "/jobs/batch"
	RouteStatus  = "/jobs/{id}"
)

type jobQueue interface {
	Enqueue(ctx context.Context, j queue.Job) (queue.Enqueued, error)
	EnqueueBatch(ctx context.Context, jobs []queue.Job) ([]queue.Enqueued, error)
	Status(ctx context.Context, id string) (queue.Record, error)
}

// metrics is the part of telemetry.Metrics the handler uses.
type metrics interface {
	Count(name string, n int, dims ...telemetry.Dim)
}

// The handler's EMF metrics: wakes of a worker by an enqueue (queue.Waker).
// No queue dimension: callers name queues, and each dimension value is a
// metric of its own to pay for; the WARN line names the queue.
const (
	MetricWoken      = "Woken"
	MetricWakeFailed = "WakeFailed"
)

type registry interface {
	Handler(typ string) (queue.Handler, bool)
	Validate(typ string, payload json.RawMessage) error
	Types() []string
}

// Handler serves the job routes.
type Handler struct {
	Queue    jobQueue
	Registry registry // validates types and payloads at enqueue
	// Scope, when set, is required of every caller.
	Scope string
	// AdminScope lets a caller read every job's status; anyone else reads
	// only the jobs it enqueued (DefaultAdminScope when empty).
	AdminScope string
	// Queues, when set (ENQUEUE_QUEUES), are the only queues a job may
	// name; any other is a 400 listing them, and nothing is written.
	Queues       []string
	StoreTimeout time.Duration
	// BatchTimeoutPerJob and BatchTimeoutPerMB lengthen a batch's store
	// timeout with its size (see batchContext).
	BatchTimeoutPerJob, BatchTimeoutPerMB time.Duration
	Log                                   *slog.Logger
	Metrics                               metrics // nil: none
	// Now is the clock run_at is checked against (time.Now when nil); the
	// queue itself schedules on Redis time.
	Now func() time.Time
}

// Handle routes a proxy request.
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	log := h.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = telemetry.WithRequest(ctx, log)
	method := "POST"
	switch req.Resource {
	case RouteEnqueue, RouteBatch:
	case RouteStatus:
		method = "GET"
	default:
		return apigw.ProblemResponse(apigw.TypeNotFound.New("No such route.")), nil
	}
	var resp events.APIGatewayProxyResponse
	caller, err := apigw.Caller(req)
	switch {
	case req.HTTPMethod != method:
		resp = apigw.ProblemResponse(apigw.TypeMethodNotAllowed.New("Use " + method + "."))
		resp.Headers["Allow"] = method
	case err != nil || caller.Anonymous || caller.Subject == "":
		resp = apigw.Unauthorized("A bearer token is required.")
	case h.Scope != "" && !caller.HasScope(h.Scope):
		resp = apigw.MissingScope(h.Scope)
	case req.Resource == RouteEnqueue:
		resp = h.enqueue(ctx, log, caller, req)
	case req.Resource == RouteBatch:
		resp = h.batch(ctx, log, caller, req)
	default:
		resp = h.status(ctx, log, caller, req)
	}
	return apigw.WithRateLimitHeaders(req, resp), nil
}

func (h *Handler) enqueue(ctx context.Context, log *slog.Logger, caller apigw.Identity, req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	idem, err := idempotencyHeader(req)
	if err != nil {
		return apigw.BadRequest(err.Error() + ".")
	}
	if idem != nil {
		if err := validIdempotencyKey(*idem); err != nil {
			return apigw.BadRequest(HeaderIdempotencyKey + ": " + err.Error() + ".")
		}
	}
	var body JobRequest
	if err := apigw.DecodeJSON(req, MaxBody, &body); err != nil {
		return apigw.DecodeError(err)
	}
	j, errs := h.job(body, nil, "", h.now())
	if len(errs) > 0 {
		return invalid(errs)
	}
	if idem != nil {
		j.IdempotencyKey, j.IdempotencyScope = *idem, idempotencyScope(caller)
	}
	j.Owner = owner(caller)
	sctx, cancel := h.storeContext(ctx)
	defer cancel()
	e, err := h.Queue.Enqueue(sctx, j)
	switch {
	case errors.Is(err, queue.ErrIdempotencyConflict):
		log.Info("enqueue: idempotency key reused with another job", "queue", j.Queue, "sub", caller.Subject)
		return conflict()
	case errors.Is(err, queue.ErrInvalidJob):
		return apigw.BadRequest(detail(err, "invalid job"))
	case err != nil:
		log.Error("enqueue: store write failed", "error", err.Error(), "queue", j.Queue, "type", j.Type)
		return maybeStored()
	}
	h.woken(log, j.Queue, e)
	log.Info("enqueued", "id", e.ID, "type", j.Type, "duplicate", e.Duplicate, "woken", e.Woken, "sub", caller.Subject)
	return apigw.JSON(202, EnqueueResponse{ID: e.ID, StatusURL: StatusURL(e.ID), Duplicate: e.Duplicate})
}

func (h *Handler) batch(ctx context.Context, log *slog.Logger, caller apigw.Identity, req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	if idem, err := idempotencyHeader(req); idem != nil || err != nil {
		return apigw.BadRequest("A batch takes no " + HeaderIdempotencyKey + " header; give each job its own idempotency_key.")
	}
	var body BatchRequest
	if err := apigw.DecodeJSON(req, MaxBatchBody, &body); err != nil {
		return apigw.DecodeError(err)
	}
	if len(body.Jobs) == 0 || len(body.Jobs) > queue.MaxBatch {
		return invalid([]apigw.FieldError{{Pointer: "/jobs", Detail: "1 to " + strconv.Itoa(queue.MaxBatch) + " jobs, not " + strconv.Itoa(len(body.Jobs))}})
	}
	now := h.now()
	jobs := make([]queue.Job, len(body.Jobs))
	var errs []apigw.FieldError
	for i, r := range body.Jobs {
		j, e := h.job(r.JobRequest, r.IdempotencyKey, "/jobs/"+strconv.Itoa(i), now)
		j.IdempotencyScope, j.Owner = idempotencyScope(caller), owner(caller)
		jobs[i], errs = j, append(errs, e...)
	}
	if len(errs) > 0 {
		return invalid(errs)
	}
	sctx, cancel := h.batchContext(ctx, len(jobs), len(req.Body))
	defer cancel()
	out, err := h.Queue.EnqueueBatch(sctx, jobs)
	switch {
	case errors.Is(err, queue.ErrInvalidJob):
		return apigw.BadRequest(detail(err, "invalid job"))
	case err != nil:
		log.Error("enqueue batch: store write failed", "error", err.Error(), "jobs", len(jobs))
		return maybeStored()
	}
	resp := BatchResponse{Jobs: make([]BatchResult, len(out))}
	var created, dups, conflicts int
	for i, e := range out {
		h.woken(log, jobs[i].Queue, e)
		switch {
		case errors.Is(e.Err, queue.ErrIdempotencyConflict):
			p := conflictProblem()
			resp.Jobs[i] = BatchResult{Error: &p}
			conflicts++
		case e.Err != nil: // not returned by the queue today; never dropped silently
			p := apigw.TypeInternal.New("The job was not enqueued.")
			resp.Jobs[i] = BatchResult{Error: &p}
			log.Error("enqueue batch: job failed", "index", i, "error", e.Err.Error())
		default:
			resp.Jobs[i] = BatchResult{ID: e.ID, StatusURL: StatusURL(e.ID), Duplicate: e.Duplicate}
			if e.Duplicate {
				dups++
			} else {
				created++
			}
		}
	}
	log.Info("enqueued batch", "jobs", len(jobs), "created", created, "duplicates", dups, "conflicts", conflicts, "sub", caller.Subject)
	return apigw.JSON(202, resp)
}

// status answers GET /jobs/{id} for the job's owner (the caller that
// enqueued it: same issuer and subject) and for a caller with the admin
// scope. To anyone else a job that exists is the same 404, byte for byte, as
// an id that does not: no existence oracle. A record without an owner (made
// before owners were stored) is shown to admins only.
func (h *Handler) status(ctx context.Context, log *slog.Logger, caller apigw.Identity, req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	id := req.PathParameters["id"]
	sctx, cancel := h.storeContext(ctx)
	defer cancel()
	rec, err := h.Queue.Status(sctx, id)
	if errors.Is(err, queue.ErrNotFound) && strings.Contains(id, "%") {
		// The gateway handed the parameter on still escaped.
		if dec, derr := url.PathUnescape(id); derr == nil && dec != id {
			rec, err = h.Queue.Status(sctx, dec)
		}
	}
	switch {
	case errors.Is(err, queue.ErrNotFound):
		return jobNotFound()
	case err != nil:
		log.Error("job status: store read failed", "error", err.Error())
		return apigw.StoreUnavailable()
	case !h.mayRead(caller, rec):
		log.Info("job status: not the owner", "id", rec.ID, "sub", caller.Subject)
		return jobNotFound()
	}
	return apigw.JSON(200, rec)
}

// mayRead reports whether caller may see rec.
func (h *Handler) mayRead(caller apigw.Identity, rec queue.Record) bool {
	if rec.Owner != "" && rec.Owner == owner(caller) {
		return true
	}
	admin := h.AdminScope
	if admin == "" {
		admin = DefaultAdminScope
	}
	return caller.HasScope(admin)
}

// jobNotFound is the one answer for an unknown id and for another's job.
func jobNotFound() events.APIGatewayProxyResponse {
	return apigw.NotFound("No job has this id, or its record has expired.")
}

// woken logs and counts the wake an enqueue made (the queue client sets
// Woken on the first job of each queue that found no worker awake), and
// logs a queue used for the first time that the registry did not take (a
// scheduled run drains only registered queues). A failed
// wake is a WARN, never an error answer: the job is stored and the
// schedule's next tick runs it.
func (h *Handler) woken(log *slog.Logger, queueName string, e queue.Enqueued) {
	if e.RegisterErr != nil {
		log.Warn("enqueue: queue not registered yet; the next enqueue to it tries again", "queue", queueName, "error", e.RegisterErr.Error())
	}
	if !e.Woken {
		return
	}
	if e.WakeErr != nil {
		log.Warn("enqueue: wake failed; the job waits for the next scheduled run", "queue", queueName, "error", e.WakeErr.Error(), "metric", MetricWakeFailed)
		h.count(MetricWakeFailed)
		return
	}
	log.Debug("enqueue: woke a worker", "queue", queueName)
	h.count(MetricWoken)
}

func (h *Handler) count(name string) {
	if h.Metrics != nil {
		h.Metrics.Count(name, 1)
	}
}

// invalid is the 400 for invalid values, each listed with its pointer.
func invalid(errs []apigw.FieldError) events.APIGatewayProxyResponse {
	first := errs[0]
	msg := "Invalid job: " + first.Detail
	if first.Pointer != "" {
		msg = "Invalid job: " + strings.TrimPrefix(first.Pointer, "/") + ": " + first.Detail
	}
	if len(errs) > 1 {
		msg += " (and " + strconv.Itoa(len(errs)-1) + " more; see errors)"
	}
	return apigw.ProblemResponse(apigw.TypeBadRequest.New(msg).With("errors", errs))
}

func conflictProblem() apigw.Problem {
	return apigw.TypeUnprocessable.New("This idempotency key was used for a different job (type, payload, schedule or attempts); use a new key for a new job.")
}

func conflict() events.APIGatewayProxyResponse { return apigw.ProblemResponse(conflictProblem()) }

func (h *Handler) types() []string { return h.Registry.Types() }

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// Batch store timeouts: a batch gets StoreTimeout plus BatchTimeoutPerJob
// per job and BatchTimeoutPerMB per MiB of body (DefaultBatchTimeoutPerJob
// and DefaultBatchTimeoutPerMB when zero), never more than the function's
// remaining time less batchMargin (to answer in).
const (
	DefaultBatchTimeoutPerJob = 10 * time.Millisecond
	DefaultBatchTimeoutPerMB  = 500 * time.Millisecond
	batchMargin               = 250 * time.Millisecond
)

// batchContext bounds a batch write: longer for a larger batch, within the
// invocation's deadline (ctx's, as the Lambda runtime sets it).
func (h *Handler) batchContext(ctx context.Context, jobs, bodyBytes int) (context.Context, context.CancelFunc) {
	if h.StoreTimeout <= 0 {
		return context.WithCancel(ctx)
	}
	perJob, perMB := h.BatchTimeoutPerJob, h.BatchTimeoutPerMB
	if perJob <= 0 {
		perJob = DefaultBatchTimeoutPerJob
	}
	if perMB <= 0 {
		perMB = DefaultBatchTimeoutPerMB
	}
	now := time.Now()
	end := now.Add(h.StoreTimeout + time.Duration(jobs)*perJob + time.Duration(int64(bodyBytes)*int64(perMB)>>20))
	if deadline, ok := ctx.Deadline(); ok && deadline.Add(-batchMargin).Before(end) {
		end = deadline.Add(-batchMargin)
		if floor := now.Add(max(h.StoreTimeout/4, time.Millisecond)); end.Before(floor) {
			end = floor // too little time left: try briefly rather than not at all
		}
	}
	return context.WithDeadline(ctx, end)
}

// maybeStored is the 503 for a write whose outcome is unknown: the store may
// have taken it before the error (a timeout after the script ran, a lost
// reply). A retry without idempotency keys would enqueue the jobs twice.
func maybeStored() events.APIGatewayProxyResponse {
	return apigw.ProblemResponse(apigw.TypeStoreUnavailable.New(MsgMaybeStored))
}

// MsgMaybeStored is the detail of a 503 after a write that may have happened.
const MsgMaybeStored = "The store did not confirm the write: the jobs may have been stored; retry with idempotency keys (the Idempotency-Key header, or idempotency_key on each job of a batch) so that a retry cannot enqueue them twice."

func (h *Handler) storeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if h.StoreTimeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, h.StoreTimeout)
}

// DefaultAdminScope lets a caller read the status of every job.
const DefaultAdminScope = "admin"

// owner is the identity stored with a caller's jobs: its issuer and subject,
// length-prefixed so that no two pairs collide.
// (The same value scopes its idempotency keys.)
func owner(c apigw.Identity) string { return idempotencyScope(c) }

// idempotencyScope is whose idempotency keys a caller's are: its issuer and
// subject, so that the same key sent by two callers makes two jobs and no
// caller learns another's job id (or gets a 422) by reusing its keys.
func idempotencyScope(c apigw.Identity) string {
	return strconv.Itoa(len(c.Issuer)) + ":" + c.Issuer + c.Subject
}
