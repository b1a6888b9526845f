package adminapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/queue"
)

// Bounds of GET /admin/queues/{queue}/dead?limit= (those of `lambdis queue
// dead --limit`), and of a selection's ids.
const (
	DefaultDeadLimit = 20
	MaxDeadLimit     = 1000
	MaxSelectIDs     = 1000
	// MaxBody bounds a redrive or purge body (MaxSelectIDs job ids fit).
	MaxBody = 128 << 10
)

// QueuesResponse answers GET /admin/queues.
type QueuesResponse struct {
	Queues []QueueView `json:"queues"`
}

// QueueView is one queue's overview: its books (counters since it was
// created, sizes now) and the derived values `lambdis queue books` shows.
type QueueView struct {
	Queue string `json:"queue"`
	// Backlog is the jobs due now, waiting for a worker; OldestDueMS how
	// long the oldest of them has been due (0: none).
	Backlog     int64      `json:"backlog"`
	OldestDueMS int64      `json:"oldest_due_ms"`
	Delayed     int64      `json:"delayed"` // delayed and retrying
	Pending     int64      `json:"pending"` // held by workers
	DeadLetters int64      `json:"dead_letters"`
	Succeeded   int64      `json:"succeeded"`
	Drift       int64      `json:"drift"` // 0 unless jobs vanished unaccounted
	Enqueued    int64      `json:"enqueued"`
	Dedup       int64      `json:"deduplicated"`
	Retried     int64      `json:"retried"`
	Dead        int64      `json:"dead"`
	Lost        int64      `json:"lost"`
	Reclaimed   int64      `json:"reclaimed"`
	Redriven    int64      `json:"redriven"`
	FirstUsed   *time.Time `json:"first_used,omitempty"`
}

func newQueueView(o queue.Overview) QueueView {
	b := o.Books
	v := QueueView{
		Queue: o.Queue, Backlog: b.Backlog(), OldestDueMS: o.OldestDue.Milliseconds(), Delayed: b.Delayed,
		Pending: b.Pending, DeadLetters: b.DeadLetters, Succeeded: b.Succeeded, Drift: b.Drift(),
		Enqueued: b.Enqueued, Dedup: b.Deduplicated, Retried: b.Retried, Dead: b.Dead, Lost: b.Lost,
		Reclaimed: b.Reclaimed, Redriven: b.Redriven,
	}
	if !o.FirstUsed.IsZero() {
		t := o.FirstUsed
		v.FirstUsed = &t
	}
	return v
}

func (h *Handler) listQueues(ctx context.Context, log *slog.Logger) events.APIGatewayProxyResponse {
	all, err := h.Queue.Overviews(ctx)
	if err != nil {
		log.Error("admin: list queues failed", "error", err.Error())
		return apigw.StoreUnavailable()
	}
	out := QueuesResponse{Queues: make([]QueueView, len(all))}
	for i, o := range all {
		out.Queues[i] = newQueueView(o)
	}
	return apigw.JSON(200, out)
}

// DeadResponse answers GET /admin/queues/{queue}/dead.
type DeadResponse struct {
	Queue       string           `json:"queue"`
	DeadLetters []DeadLetterView `json:"dead_letters"`
	// NextCursor, when set, is the cursor of the next page.
	NextCursor string `json:"next_cursor,omitempty"`
}

// DeadLetterView is a dead letter with its error history.
type DeadLetterView struct {
	EntryID  string               `json:"entry_id"`
	JobID    string               `json:"job_id"`
	Type     string               `json:"type"`
	Payload  json.RawMessage      `json:"payload"`
	Attempts int                  `json:"attempts"`
	Error    string               `json:"error"`
	Errors   []queue.AttemptError `json:"errors"`
	Version  string               `json:"version"` // of the worker that gave up
	DiedAt   time.Time            `json:"died_at"`
}

func (h *Handler) listDead(ctx context.Context, log *slog.Logger, req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	q, bad := queueParam(req)
	if bad != nil {
		return *bad
	}
	params, err := query(req, "cursor", "limit")
	if err != nil {
		return apigw.BadRequest(err.Error())
	}
	limit := DefaultDeadLimit
	if s, ok := params["limit"]; ok {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxDeadLimit {
			return apigw.BadRequest(fmt.Sprintf("limit: must be a whole number from 1 to %d.", MaxDeadLimit))
		}
		limit = n
	}
	cursor := params["cursor"]
	if _, ok := params["cursor"]; ok && !queue.IsEntryID(cursor) {
		return apigw.BadRequest("cursor: not a cursor this API gave (a dead-letter entry id such as 1700000000000-0).")
	}
	list, err := h.Queue.NewestDeadLetters(ctx, q, int64(limit)+1, cursor)
	if err != nil {
		log.Error("admin: list dead letters failed", "queue", q, "error", err.Error())
		return apigw.StoreUnavailable()
	}
	out := DeadResponse{Queue: q, DeadLetters: make([]DeadLetterView, 0, min(len(list), limit))}
	if len(list) > limit {
		list = list[:limit]
		out.NextCursor = list[limit-1].EntryID
	}
	for _, d := range list {
		out.DeadLetters = append(out.DeadLetters, DeadLetterView{
			EntryID: d.EntryID, JobID: d.JobID, Type: d.Type, Payload: d.Payload, Attempts: d.Attempts,
			Error: d.Error, Errors: d.History(), Version: d.Version, DiedAt: time.UnixMilli(d.DiedAt).UTC(),
		})
	}
	return apigw.JSON(200, out)
}

// SelectRequest is the body of a redrive or purge: none, or {} for every
// dead letter of the queue, or the ids of some.
type SelectRequest struct {
	IDs *[]string `json:"ids,omitempty"`
}

// RedriveResponse answers POST /admin/queues/{queue}/dead/redrive.
type RedriveResponse struct {
	Queue    string   `json:"queue"`
	Redriven []string `json:"redriven"` // job ids put back on the work stream
	Missing  []string `json:"missing"`  // ids that matched no dead letter
}

// PurgeResponse answers DELETE /admin/queues/{queue}/dead.
type PurgeResponse struct {
	Queue   string   `json:"queue"`
	Deleted int64    `json:"deleted"`
	Missing []string `json:"missing"`
}

func (h *Handler) redrive(ctx context.Context, log *slog.Logger, req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	q, all, ids, bad := selection(req)
	if bad != nil {
		return *bad
	}
	redriven, missing, err := h.Queue.RedriveDead(ctx, q, all, ids)
	if err != nil {
		// Some may have been redriven before the error: the log names them.
		log.Error("admin: redrive failed", "queue", q, "error", err.Error(), "redriven", len(redriven))
		return apigw.StoreUnavailable()
	}
	log.Info("admin: redrove dead letters", "queue", q, "all", all, "redriven", len(redriven), "missing", len(missing))
	return apigw.JSON(200, RedriveResponse{Queue: q, Redriven: nonNil(redriven), Missing: nonNil(missing)})
}

func (h *Handler) purge(ctx context.Context, log *slog.Logger, req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	q, all, ids, bad := selection(req)
	if bad != nil {
		return *bad
	}
	n, missing, err := h.Queue.PurgeDead(ctx, q, all, ids)
	if err != nil {
		log.Error("admin: purge failed", "queue", q, "error", err.Error())
		return apigw.StoreUnavailable()
	}
	log.Info("admin: purged dead letters", "queue", q, "all", all, "deleted", n, "missing", len(missing))
	return apigw.JSON(200, PurgeResponse{Queue: q, Deleted: n, Missing: nonNil(missing)})
}

// selection reads the queue and the body of a redrive or purge.
func selection(req events.APIGatewayProxyRequest) (q string, all bool, ids []string, bad *events.APIGatewayProxyResponse) {
	q, bad = queueParam(req)
	if bad != nil {
		return "", false, nil, bad
	}
	if len(req.QueryStringParameters)+len(req.MultiValueQueryStringParameters) > 0 {
		r := apigw.BadRequest("This route takes no query parameters; select dead letters with the body {\"ids\": [...]}.")
		return "", false, nil, &r
	}
	var body SelectRequest
	if strings.TrimSpace(req.Body) != "" {
		if err := apigw.DecodeJSON(req, MaxBody, &body); err != nil {
			r := apigw.DecodeError(err)
			return "", false, nil, &r
		}
	}
	if body.IDs == nil {
		return q, true, nil, nil
	}
	ids = *body.IDs
	var errs []apigw.FieldError
	if len(ids) == 0 || len(ids) > MaxSelectIDs {
		errs = append(errs, apigw.FieldError{Pointer: "/ids", Detail: fmt.Sprintf("1 to %d ids (leave ids out to select every dead letter)", MaxSelectIDs)})
	}
	for i, id := range ids {
		if len(errs) >= 10 {
			break
		}
		if err := queue.ValidateDeadLetterRef(id); err != nil {
			errs = append(errs, apigw.FieldError{Pointer: "/ids/" + strconv.Itoa(i), Detail: "neither an entry id (1700000000000-0) nor a job id (<queue>:<32 hex>)"})
		}
	}
	if len(errs) > 0 {
		r := apigw.Unprocessable("Invalid selection: "+strings.TrimPrefix(errs[0].Pointer, "/")+": "+errs[0].Detail+".", errs...)
		return "", false, nil, &r
	}
	return q, false, ids, nil
}

// queueParam reads and validates {queue}.
func queueParam(req events.APIGatewayProxyRequest) (string, *events.APIGatewayProxyResponse) {
	q := req.PathParameters["queue"] // raw, as the leaderboard reads {board}: a queue name may hold '%'
	if err := queue.ValidateQueueName(q); err != nil {
		r := apigw.BadRequest("queue: " + err.Error() + ".")
		return "", &r
	}
	return q, nil
}

func (h *Handler) job(ctx context.Context, log *slog.Logger, req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	id := req.PathParameters["id"]
	if _, err := queue.QueueOf(id); err != nil && !strings.Contains(id, "%") {
		return apigw.BadRequest("id: not a job id (<queue>:<32 hex>).")
	}
	rec, err := h.Queue.Status(ctx, id)
	if errors.Is(err, queue.ErrNotFound) && strings.Contains(id, "%") {
		// The gateway handed the parameter on still escaped (as GET /jobs/{id} allows).
		if dec, derr := url.PathUnescape(id); derr == nil && dec != id {
			rec, err = h.Queue.Status(ctx, dec)
		}
	}
	switch {
	case errors.Is(err, queue.ErrNotFound):
		return apigw.NotFound("No job has this id, or its record has expired (JOB_RETENTION).")
	case err != nil:
		log.Error("admin: job status failed", "id", id, "error", err.Error())
		return apigw.StoreUnavailable()
	}
	return apigw.JSON(200, rec)
}

// query returns the query parameters, refusing any not in allowed and any
// given more than once.
func query(req events.APIGatewayProxyRequest, allowed ...string) (map[string]string, error) {
	names := slices.Sorted(maps.Keys(req.QueryStringParameters))
	for _, k := range slices.Sorted(maps.Keys(req.MultiValueQueryStringParameters)) {
		if len(req.MultiValueQueryStringParameters[k]) > 1 {
			return nil, fmt.Errorf("The query parameter %q is given more than once.", k)
		}
		names = append(names, k)
	}
	for _, k := range names {
		if !slices.Contains(allowed, k) {
			return nil, fmt.Errorf("The query parameter %q is not accepted here; use %s.", k, strings.Join(allowed, ", "))
		}
	}
	out := maps.Clone(req.QueryStringParameters)
	if out == nil {
		out = map[string]string{}
	}
	for k, vs := range req.MultiValueQueryStringParameters {
		if _, ok := out[k]; !ok && len(vs) == 1 {
			out[k] = vs[0]
		}
	}
	return out, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
