package apigw

import (
	"errors"
	"net/http"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/shared/idempotency"
)

// IdempotencyError answers the refusals of shared/idempotency as the IETF
// Idempotency-Key draft asks: a repeat while the first request still runs is
// a 409 conflict with Retry-After: 1; a key reused with another payload is a
// 422. ok is false for any other error, which the caller handles as its own
// (usually StoreUnavailable).
func IdempotencyError(err error) (resp events.APIGatewayProxyResponse, ok bool) {
	switch {
	case errors.Is(err, idempotency.ErrInProgress):
		r := ProblemResponse(TypeConflict.New("A request with this idempotency key is still being processed; retry later."))
		if r.StatusCode == http.StatusConflict {
			r.Headers["Retry-After"] = "1"
		}
		return r, true
	case errors.Is(err, idempotency.ErrPayloadMismatch):
		return ProblemResponse(TypeUnprocessable.New("This idempotency key was used with a different request; use a new key for a new request.")), true
	}
	return events.APIGatewayProxyResponse{}, false
}
