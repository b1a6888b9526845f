package main

import (
	"encoding/json"
	"time"

	"github.com/lambdis/lambdis/shared/queue"
)

// The JSON `lambdis queue` prints: every time is RFC 3339 in UTC with
// milliseconds (the scripts store unix milliseconds, the API's records Go
// times; neither is shown as such), and text is re-encoded by Go, so that a
// URL in an error reads https://, not cjson's https:\/\/.

// jsonTimeLayout is RFC 3339 with exactly three fractional digits.
const jsonTimeLayout = "2006-01-02T15:04:05.000Z07:00"

// jsonTime is a time in the JSON output.
type jsonTime time.Time

func (t jsonTime) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format(jsonTimeLayout) + `"`), nil
}

func jsonTimePtr(t *time.Time) *jsonTime {
	if t == nil {
		return nil
	}
	j := jsonTime(*t)
	return &j
}

// attemptErrorView is one failed attempt.
type attemptErrorView struct {
	Attempt int      `json:"attempt"`
	Error   string   `json:"error"`
	At      jsonTime `json:"at"`
}

// deadLetterView is a dead letter in `lambdis queue dead --json`.
type deadLetterView struct {
	EntryID  string             `json:"entry_id"`
	JobID    string             `json:"job_id"`
	Type     string             `json:"type"`
	Payload  json.RawMessage    `json:"payload"`
	Attempts int                `json:"attempts"`
	Error    string             `json:"error"`
	Errors   []attemptErrorView `json:"errors"`
	Version  string             `json:"version"`
	DiedAt   jsonTime           `json:"died_at"`
}

func newDeadLetterViews(list []queue.DeadLetter) []deadLetterView {
	out := make([]deadLetterView, len(list))
	for i, d := range list {
		hist := d.History()
		errs := make([]attemptErrorView, len(hist))
		for j, e := range hist {
			errs[j] = attemptErrorView{Attempt: e.Attempt, Error: e.Error, At: jsonTime(e.At)}
		}
		out[i] = deadLetterView{
			EntryID: d.EntryID, JobID: d.JobID, Type: d.Type, Payload: d.Payload, Attempts: d.Attempts,
			Error: d.Error, Errors: errs, Version: d.Version, DiedAt: jsonTime(time.UnixMilli(d.DiedAt)),
		}
	}
	return out
}

// recordView is a job's record in `lambdis queue status`: the API's
// queue.Record, with the times in the one format.
type recordView struct {
	ID             string             `json:"id"`
	Queue          string             `json:"queue"`
	Type           string             `json:"type"`
	State          string             `json:"state"`
	Attempts       int                `json:"attempts"`
	MaxAttempts    int                `json:"max_attempts"`
	LastError      string             `json:"last_error,omitempty"`
	Errors         []attemptErrorView `json:"errors,omitempty"`
	CreatedAt      jsonTime           `json:"created_at"`
	UpdatedAt      jsonTime           `json:"updated_at"`
	RunAt          *jsonTime          `json:"run_at,omitempty"`
	FinishedAt     *jsonTime          `json:"finished_at,omitempty"`
	IdempotencyKey string             `json:"idempotency_key,omitempty"`
}

func newRecordView(r queue.Record) recordView {
	v := recordView{
		ID: r.ID, Queue: r.Queue, Type: r.Type, State: r.State, Attempts: r.Attempts, MaxAttempts: r.MaxAttempts,
		LastError: r.LastError, CreatedAt: jsonTime(r.CreatedAt), UpdatedAt: jsonTime(r.UpdatedAt),
		RunAt: jsonTimePtr(r.RunAt), FinishedAt: jsonTimePtr(r.FinishedAt), IdempotencyKey: r.IdempotencyKey,
	}
	for _, e := range r.Errors {
		v.Errors = append(v.Errors, attemptErrorView{Attempt: e.Attempt, Error: e.Error, At: jsonTime(e.At)})
	}
	return v
}
