package queue

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Bounds on jobs.
const (
	MaxPayload        = 256 << 10
	MaxAttemptsLimit  = 100
	DefaultAttempts   = 5
	MaxDelay          = 366 * 24 * time.Hour
	MaxIdempotencyKey = 255
	MaxTypeName       = 64
	MaxBatch          = 500
)

// ErrInvalidJob is wrapped by every job validation error.
var ErrInvalidJob = errors.New("invalid job")

// Job is a job to enqueue.
type Job struct {
	Queue   string
	Type    string
	Payload json.RawMessage // a JSON value, at most MaxPayload bytes
	// Delay or RunAt (not both) postpone the job; RunAt is absolute.
	Delay          time.Duration
	RunAt          time.Time
	MaxAttempts    int    // 1..MaxAttemptsLimit; 0 means DefaultAttempts
	IdempotencyKey string // optional; the same key and payload yield the same job
	// IdempotencyScope is whose key it is (the caller's subject, say): the
	// same key in another scope is another key, so one client never learns
	// another's job by guessing its keys. Empty: one scope for the queue.
	IdempotencyScope string
	// Owner is who may read the job's record (Record.Owner): an opaque
	// identity such as the caller's issuer and subject, stored with the
	// record. The queue only keeps it; the API decides who sees what.
	Owner string
}

// Validate checks the job's shape (not whether a handler exists for its type).
func (j Job) Validate() error {
	if err := ValidateQueueName(j.Queue); err != nil {
		return fmt.Errorf("%w: queue: %w", ErrInvalidJob, err)
	}
	if j.Type == "" || len(j.Type) > MaxTypeName || strings.ContainsAny(j.Type, " \t\r\n{}") {
		return fmt.Errorf("%w: type %q: 1 to %d bytes without spaces or braces", ErrInvalidJob, j.Type, MaxTypeName)
	}
	if len(j.Payload) > MaxPayload {
		return fmt.Errorf("%w: payload is %d bytes, the limit is %d", ErrInvalidJob, len(j.Payload), MaxPayload)
	}
	if len(j.Payload) > 0 && !json.Valid(j.Payload) {
		return fmt.Errorf("%w: payload is not valid JSON", ErrInvalidJob)
	}
	if j.Delay < 0 || j.Delay > MaxDelay {
		return fmt.Errorf("%w: delay %v: must be from 0 to %v", ErrInvalidJob, j.Delay, MaxDelay)
	}
	if j.Delay > 0 && !j.RunAt.IsZero() {
		return fmt.Errorf("%w: give delay or run_at, not both", ErrInvalidJob)
	}
	if j.MaxAttempts < 0 || j.MaxAttempts > MaxAttemptsLimit {
		return fmt.Errorf("%w: max_attempts %d: must be from 1 to %d", ErrInvalidJob, j.MaxAttempts, MaxAttemptsLimit)
	}
	if len(j.IdempotencyKey) > MaxIdempotencyKey || strings.ContainsAny(j.IdempotencyKey, " \t\r\n") {
		return fmt.Errorf("%w: idempotency key: at most %d bytes, no spaces", ErrInvalidJob, MaxIdempotencyKey)
	}
	for _, r := range j.IdempotencyKey {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%w: idempotency key: control characters", ErrInvalidJob)
		}
	}
	return nil
}

// newJobID returns <queue>:<32 hex>: the queue is recoverable from the id
// (queue names cannot hold ':'), so a status lookup needs only the id.
func newJobID(queue string) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return queue + ":" + hex.EncodeToString(b[:])
}

// QueueOf returns the queue of a job id.
func QueueOf(id string) (string, error) {
	i := strings.LastIndexByte(id, ':')
	if i <= 0 || len(id)-i-1 != 32 {
		return "", fmt.Errorf("%w: job id %q", ErrNotFound, id)
	}
	for _, c := range id[i+1:] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return "", fmt.Errorf("%w: job id %q", ErrNotFound, id)
		}
	}
	q := id[:i]
	if ValidateQueueName(q) != nil {
		return "", fmt.Errorf("%w: job id %q", ErrNotFound, id)
	}
	return q, nil
}

// States of a job record.
const (
	StateQueued    = "queued"
	StateDelayed   = "delayed"
	StateActive    = "active"
	StateRetrying  = "retrying"
	StateSucceeded = "succeeded"
	StateDead      = "dead"
)

// AttemptError is one failed attempt in a record's history.
type AttemptError struct {
	Attempt int       `json:"attempt"`
	Error   string    `json:"error"`
	At      time.Time `json:"at"`
}

// Record is a job's state as GET /jobs/{id} shows it.
type Record struct {
	ID             string         `json:"id"`
	Queue          string         `json:"queue"`
	Type           string         `json:"type"`
	State          string         `json:"state"`
	Attempts       int            `json:"attempts"`
	MaxAttempts    int            `json:"max_attempts"`
	LastError      string         `json:"last_error,omitempty"`
	Errors         []AttemptError `json:"errors,omitempty"`
	CreatedAt      time.Time      `json:"created_at"`
	UpdatedAt      time.Time      `json:"updated_at"`
	RunAt          *time.Time     `json:"run_at,omitempty"`
	FinishedAt     *time.Time     `json:"finished_at,omitempty"`
	IdempotencyKey string         `json:"idempotency_key,omitempty"`
	// Owner is Job.Owner ("" for a job enqueued without one). It is never
	// marshalled: GET /jobs/{id} compares it, it does not show it.
	Owner string `json:"-"`
}

// rawRecord is the record as the scripts store it (cjson: times in unix ms;
// no created_ms for a job created on the stream, whose entry id's time it
// is, until its entry changes; no updated_ms until the job first changes
// state; an empty error list may come back as an object).
type rawRecord struct {
	ID             string          `json:"id"`
	Type           string          `json:"type"`
	State          string          `json:"state"`
	Attempts       int             `json:"attempts"`
	MaxAttempts    int             `json:"max_attempts"`
	Entry          string          `json:"entry"`
	CreatedMS      int64           `json:"created_ms"`
	UpdatedMS      int64           `json:"updated_ms"`
	RunAtMS        int64           `json:"run_at_ms"`
	FinishedMS     int64           `json:"finished_ms"`
	LastError      string          `json:"last_error"`
	IdempotencyKey string          `json:"idempotency_key"`
	Owner          string          `json:"owner"`
	Errors         json.RawMessage `json:"errors"`
}

func parseRecord(raw string) (Record, error) {
	var r rawRecord
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		return Record{}, fmt.Errorf("queue: job record: %w", err)
	}
	if r.CreatedMS == 0 {
		r.CreatedMS, _ = strconv.ParseInt(strings.SplitN(r.Entry, "-", 2)[0], 10, 64)
	}
	q, _ := QueueOf(r.ID)
	rec := Record{
		ID: r.ID, Queue: q, Type: r.Type, State: r.State, Attempts: r.Attempts, MaxAttempts: r.MaxAttempts,
		LastError: r.LastError, CreatedAt: ms(r.CreatedMS), UpdatedAt: ms(max(r.UpdatedMS, r.CreatedMS)), IdempotencyKey: r.IdempotencyKey,
		Owner: r.Owner,
	}
	if r.RunAtMS > 0 && (r.State == StateDelayed || r.State == StateRetrying) {
		t := ms(r.RunAtMS)
		rec.RunAt = &t
	}
	if r.FinishedMS > 0 {
		t := ms(r.FinishedMS)
		rec.FinishedAt = &t
	}
	var errs []struct {
		Attempt int    `json:"attempt"`
		Error   string `json:"error"`
		AtMS    int64  `json:"at_ms"`
	}
	if len(r.Errors) > 0 && r.Errors[0] == '[' {
		if err := json.Unmarshal(r.Errors, &errs); err != nil {
			return Record{}, fmt.Errorf("queue: job record errors: %w", err)
		}
	}
	for _, e := range errs {
		rec.Errors = append(rec.Errors, AttemptError{Attempt: e.Attempt, Error: e.Error, At: ms(e.AtMS)})
	}
	return rec, nil
}

func ms(n int64) time.Time { return time.UnixMilli(n).UTC() }
