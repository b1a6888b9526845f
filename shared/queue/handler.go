package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
)

// Delivery is one job handed to a Handler.
type Delivery struct {
	ID          string
	Queue       string
	Type        string
	Payload     json.RawMessage
	Attempt     int // 1 for the first attempt
	MaxAttempts int
	Deliveries  int // times the stream delivered this attempt (> 1 after a worker died)
}

// Handler runs one job: nil means done; an error means try again later
// (until MaxAttempts); an error wrapped with Permanent goes straight to the
// dead letters. The context ends at the job's timeout.
type Handler func(ctx context.Context, d Delivery) error

type permanentError struct{ err error }

func (p permanentError) Error() string { return p.err.Error() }
func (p permanentError) Unwrap() error { return p.err }

// Permanent marks err as not worth retrying.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// Registry maps job types to handlers. Register every type before use; a job
// whose type has no handler is dead-lettered, never dropped.
type Registry struct {
	handlers map[string]Handler
	// validators check a payload at enqueue time (optional per type).
	validators map[string]func(json.RawMessage) error
}

// NewRegistry returns an empty Registry.
func NewRegistry() *Registry {
	return &Registry{handlers: map[string]Handler{}, validators: map[string]func(json.RawMessage) error{}}
}

// Register adds a handler for typ, with an optional payload validator run
// when a job of that type is enqueued.
func (r *Registry) Register(typ string, h Handler, validate func(json.RawMessage) error) {
	r.handlers[typ] = h
	if validate != nil {
		r.validators[typ] = validate
	}
}

// Handler returns typ's handler.
func (r *Registry) Handler(typ string) (Handler, bool) {
	h, ok := r.handlers[typ]
	return h, ok
}

// Validate checks that typ is known and its payload acceptable.
func (r *Registry) Validate(typ string, payload json.RawMessage) error {
	if _, ok := r.handlers[typ]; !ok {
		return fmt.Errorf("%w: unknown job type %q (known: %v)", ErrInvalidJob, typ, r.Types())
	}
	if v := r.validators[typ]; v != nil {
		if err := v(payload); err != nil {
			return fmt.Errorf("%w: %s payload: %w", ErrInvalidJob, typ, err)
		}
	}
	return nil
}

// Types lists the registered types, sorted.
func (r *Registry) Types() []string {
	out := make([]string, 0, len(r.handlers))
	for t := range r.handlers {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}
