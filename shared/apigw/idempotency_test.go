package apigw

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/lambdis/lambdis/shared/idempotency"
)

func TestIdempotencyError(t *testing.T) {
	tests := []struct {
		err        error
		status     int
		typ        ProblemType
		retryAfter string
	}{
		{fmt.Errorf("claim: %w", idempotency.ErrInProgress), 409, TypeConflict, "1"},
		{fmt.Errorf("claim: %w", idempotency.ErrPayloadMismatch), 422, TypeUnprocessable, ""},
	}
	for _, tt := range tests {
		r, ok := IdempotencyError(tt.err)
		if !ok || r.StatusCode != tt.status || r.Headers["Retry-After"] != tt.retryAfter {
			t.Errorf("%v: ok=%v status %d Retry-After %q, want %d %q", tt.err, ok, r.StatusCode, r.Headers["Retry-After"], tt.status, tt.retryAfter)
		}
		var p Problem
		if err := json.Unmarshal([]byte(r.Body), &p); err != nil || p.Type != tt.typ.URI() {
			t.Errorf("%v: body %s (%v), want type %s", tt.err, r.Body, err, tt.typ)
		}
		if r.Headers["Content-Type"] != "application/problem+json" {
			t.Errorf("%v: Content-Type %q", tt.err, r.Headers["Content-Type"])
		}
	}
	for _, err := range []error{nil, errors.New("redis: connection refused"), idempotency.ErrNotOwner} {
		if _, ok := IdempotencyError(err); ok {
			t.Errorf("%v was answered as an idempotency refusal", err)
		}
	}
}
