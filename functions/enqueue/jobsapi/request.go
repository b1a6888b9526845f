package jobsapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/queue"
	"github.com/lambdis/lambdis/shared/strictjson"
)

// Body limits. A single job's payload may be queue.MaxPayload (256 KiB);
// the body around it a little more. A batch body is bounded by what one
// synchronous Lambda invocation accepts (6 MB, with the event around it).
const (
	MaxBody      = 300 << 10
	MaxBatchBody = 5 << 20
)

// HeaderIdempotencyKey names the idempotency key of POST /jobs.
const HeaderIdempotencyKey = "Idempotency-Key"

// JobRequest is the body of POST /jobs.
type JobRequest struct {
	Queue string `json:"queue"`
	Type  string `json:"type"`
	// Payload is any JSON value (null when absent), at most
	// queue.MaxPayload bytes once compacted; the job type validates it.
	Payload json.RawMessage `json:"payload,omitempty"`
	// Delay (a Go duration such as "30s" or "2h") or RunAt (RFC 3339),
	// not both, postpone the job; a RunAt in the past means now.
	Delay *string `json:"delay,omitempty"`
	RunAt *string `json:"run_at,omitempty"`
	// MaxAttempts is 1 to queue.MaxAttemptsLimit (default
	// queue.DefaultAttempts).
	MaxAttempts *int `json:"max_attempts,omitempty"`
}

// BatchJobRequest is one job of POST /jobs/batch: a JobRequest with its own
// idempotency key.
type BatchJobRequest struct {
	JobRequest
	IdempotencyKey *string `json:"idempotency_key,omitempty"`
}

// BatchRequest is the body of POST /jobs/batch.
type BatchRequest struct {
	Jobs []BatchJobRequest `json:"jobs"`
}

// EnqueueResponse answers POST /jobs (202).
type EnqueueResponse struct {
	ID        string `json:"id"`
	StatusURL string `json:"status_url"`
	// Duplicate: an earlier request with the same idempotency key and the
	// same job made this job; nothing new was enqueued.
	Duplicate bool `json:"duplicate,omitempty"`
}

// BatchResult is one job's outcome in a BatchResponse: the job, or the
// problem that kept it out (an idempotency key used with another job).
type BatchResult struct {
	ID        string         `json:"id,omitempty"`
	StatusURL string         `json:"status_url,omitempty"`
	Duplicate bool           `json:"duplicate,omitempty"`
	Error     *apigw.Problem `json:"error,omitempty"`
}

// BatchResponse answers POST /jobs/batch (202), one result per job, in the
// request's order.
type BatchResponse struct {
	Jobs []BatchResult `json:"jobs"`
}

// StatusURL is the path of a job's status, relative to the API's root.
func StatusURL(id string) string { return "/jobs/" + url.PathEscape(id) }

// maxDelayText is queue.MaxDelay for people.
var maxDelayText = fmt.Sprintf("%dh (%d days)", queue.MaxDelay/time.Hour, queue.MaxDelay/(24*time.Hour))

// job turns a request into a queue.Job, or lists every invalid value with a
// JSON Pointer under at ("" for a single job, "/jobs/3" in a batch).
func (h *Handler) job(r JobRequest, idem *string, at string, now time.Time) (queue.Job, []apigw.FieldError) {
	var errs []apigw.FieldError
	bad := func(field, format string, args ...any) {
		errs = append(errs, apigw.FieldError{Pointer: at + "/" + field, Detail: fmt.Sprintf(format, args...)})
	}
	j := queue.Job{Queue: r.Queue, Type: r.Type}
	if err := queue.ValidateQueueName(r.Queue); err != nil {
		bad("queue", "%s", detail(err, "1 to %d bytes, no braces, ':', spaces or control characters", queue.MaxQueueName))
	} else if len(h.Queues) > 0 && !slices.Contains(h.Queues, r.Queue) {
		bad("queue", "%q is not an allowed queue (%s); allowed: %s", r.Queue, EnvQueues, strings.Join(h.Queues, ", "))
	}
	// The payload, compacted: whitespace neither counts against the limit
	// nor makes a retry with the same idempotency key a different job.
	payload := []byte("null")
	if len(r.Payload) > 0 {
		var buf bytes.Buffer
		if err := json.Compact(&buf, r.Payload); err != nil {
			bad("payload", "not valid JSON") // unreachable: the decoder checked it
		}
		payload = buf.Bytes()
	}
	j.Payload = payload
	switch _, known := h.Registry.Handler(r.Type); {
	case r.Type == "":
		bad("type", "required; one of %s", strings.Join(h.types(), ", "))
	case !known:
		bad("type", "unknown job type; one of %s", strings.Join(h.types(), ", "))
	case len(payload) > queue.MaxPayload:
		bad("payload", "%d bytes, the limit is %d", len(payload), queue.MaxPayload)
	default:
		if err := h.Registry.Validate(r.Type, payload); err != nil {
			var se *strictjson.Error
			if errors.As(err, &se) { // the pointer inside the payload
				errs = append(errs, apigw.FieldError{Pointer: at + "/payload" + se.Pointer, Detail: se.Message})
			} else {
				bad("payload", "%s", detail(err, "invalid"))
			}
		}
	}
	switch {
	case r.Delay != nil && r.RunAt != nil:
		bad("run_at", "give delay or run_at, not both")
	case r.Delay != nil:
		d, err := time.ParseDuration(*r.Delay)
		switch {
		case err != nil:
			bad("delay", "not a duration such as \"30s\" or \"2h\"")
		case d < 0 || d > queue.MaxDelay:
			bad("delay", "must be from 0s to %s", maxDelayText)
		default:
			j.Delay = d
		}
	case r.RunAt != nil:
		t, err := time.Parse(time.RFC3339, *r.RunAt)
		switch {
		case err != nil:
			bad("run_at", "not an RFC 3339 time such as \"2026-11-26T07:00:00Z\"")
		case t.After(now.Add(queue.MaxDelay)):
			bad("run_at", "more than %s ahead", maxDelayText)
		default:
			j.RunAt = t
		}
	}
	if r.MaxAttempts != nil {
		if n := *r.MaxAttempts; n < 1 || n > queue.MaxAttemptsLimit {
			bad("max_attempts", "must be from 1 to %d", queue.MaxAttemptsLimit)
		} else {
			j.MaxAttempts = n
		}
	}
	if idem != nil {
		if err := validIdempotencyKey(*idem); err != nil {
			bad("idempotency_key", "%s", err.Error())
		} else {
			j.IdempotencyKey = *idem
		}
	}
	if len(errs) == 0 {
		// The queue's own check, in case it is stricter than the above.
		if err := j.Validate(); err != nil {
			errs = append(errs, apigw.FieldError{Pointer: at, Detail: detail(err, "invalid job")})
		}
	}
	return j, errs
}

// validIdempotencyKey accepts 1 to queue.MaxIdempotencyKey bytes of
// visible ASCII.
func validIdempotencyKey(k string) error {
	if k == "" || len(k) > queue.MaxIdempotencyKey {
		return fmt.Errorf("1 to %d characters", queue.MaxIdempotencyKey)
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return errors.New("visible ASCII characters only (no spaces)")
		}
	}
	return nil
}

// maxDetail bounds how much of an error (which may quote client input) is
// echoed in a problem.
const maxDetail = 300

// detail is err's text for a client: without the sentinel prefixes, valid
// UTF-8, bounded; fallback when nothing is left.
func detail(err error, fallback string, args ...any) string {
	s := err.Error()
	for _, prefix := range []string{queue.ErrInvalidJob.Error() + ": ", queue.ErrInvalidQueue.Error() + ": "} {
		s = strings.TrimPrefix(s, prefix)
	}
	s = strings.ToValidUTF8(s, "�")
	if len(s) > maxDetail {
		s = strings.ToValidUTF8(s[:maxDetail], "") + "…"
	}
	if s == "" {
		return fmt.Sprintf(fallback, args...)
	}
	return s
}

// idempotencyHeader returns the request's Idempotency-Key header: its value
// and whether it was sent; given more than once with different values is
// an error.
func idempotencyHeader(req events.APIGatewayProxyRequest) (*string, error) {
	var vals []string
	for k, vs := range req.MultiValueHeaders {
		if strings.EqualFold(k, HeaderIdempotencyKey) {
			vals = append(vals, vs...)
		}
	}
	for k, v := range req.Headers {
		if strings.EqualFold(k, HeaderIdempotencyKey) {
			vals = append(vals, v)
		}
	}
	if len(vals) == 0 {
		return nil, nil
	}
	for _, v := range vals[1:] {
		if v != vals[0] {
			return nil, fmt.Errorf("%s is given more than once", HeaderIdempotencyKey)
		}
	}
	v := vals[0]
	return &v, nil
}
