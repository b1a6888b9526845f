package apigw

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// JSONContentType is the media type of JSON response bodies.
const JSONContentType = "application/json"

// JSON returns a response with status and v marshalled as its application/json
// body. A nil v gives an empty body without a Content-Type (e.g. for 204). If v
// cannot be marshalled, which is a programming error, the error is logged with
// slog.Default and the client gets Internal().
func JSON(status int, v any) events.APIGatewayProxyResponse {
	if v == nil {
		return events.APIGatewayProxyResponse{StatusCode: status, Headers: map[string]string{}}
	}
	b, err := json.Marshal(v)
	if err != nil {
		slog.Error("apigw: marshal JSON response", "status", status, "err", err)
		return Internal()
	}
	return events.APIGatewayProxyResponse{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": JSONContentType},
		Body:       string(b),
	}
}

// ProblemResponse returns p as an application/problem+json response whose
// status is p.Status. A zero Status takes the status of p's type when it is a
// Lambdis type, and a Status outside 400–599 becomes 500. If p cannot be
// marshalled (an extension that shadows a standard member or does not
// marshal), the error is logged with slog.Default and the client gets
// Internal().
func ProblemResponse(p Problem) events.APIGatewayProxyResponse {
	if p.Status == 0 {
		if t, ok := ParseProblemType(p.Type); ok {
			p.Status = t.Status()
		}
	}
	if p.Status < 400 || p.Status > 599 {
		p.Status = http.StatusInternalServerError
	}
	b, err := json.Marshal(p)
	if err != nil {
		slog.Error("apigw: marshal problem", "type", p.Type, "err", err)
		return Internal()
	}
	return problemBody(p.Status, b)
}

func problemBody(status int, body []byte) events.APIGatewayProxyResponse {
	return events.APIGatewayProxyResponse{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": ProblemContentType},
		Body:       string(body),
	}
}

// internalDetail is the only detail a 500 ever carries.
const internalDetail = "The server failed to handle the request; the error has been logged."

// Internal returns the 500 internal problem. It takes no argument on purpose:
// internal error text belongs in the log, never in the response.
func Internal() events.APIGatewayProxyResponse {
	p := TypeInternal.New(internalDetail)
	b, err := json.Marshal(p)
	if err != nil { // cannot happen: only strings and an int
		b = []byte(`{"type":"` + TypeInternal.URI() + `","status":500}`)
	}
	return problemBody(p.Status, b)
}

// BadRequest returns a 400 bad-request problem: the request itself (a path or
// query parameter, a header, the body's transfer encoding) is malformed.
func BadRequest(detail string) events.APIGatewayProxyResponse {
	return ProblemResponse(TypeBadRequest.New(detail))
}

// InvalidJSON returns a 400 invalid-json problem: the body is not the JSON the
// endpoint accepts (syntax, wrong type, unknown field, trailing data, empty).
func InvalidJSON(detail string) events.APIGatewayProxyResponse {
	return ProblemResponse(TypeInvalidJSON.New(detail))
}

// BodyTooLarge returns a 413 body-too-large problem with the limit in bytes as
// the max_bytes extension.
func BodyTooLarge(limit int64) events.APIGatewayProxyResponse {
	p := TypeBodyTooLarge.New(fmt.Sprintf("The request body exceeds the limit of %d bytes.", limit))
	return ProblemResponse(p.With("max_bytes", limit))
}

// Unauthorized returns a 401 unauthorized problem with
// "WWW-Authenticate: Bearer" (RFC 6750).
func Unauthorized(detail string) events.APIGatewayProxyResponse {
	r := ProblemResponse(TypeUnauthorized.New(detail))
	r.Headers["WWW-Authenticate"] = "Bearer"
	return r
}

// Forbidden returns a 403 forbidden problem.
func Forbidden(detail string) events.APIGatewayProxyResponse {
	return ProblemResponse(TypeForbidden.New(detail))
}

// MissingScope returns the 403 forbidden problem for a caller whose token lacks
// scope: the required_scope extension names it, and the WWW-Authenticate header
// carries error="insufficient_scope" (RFC 6750 §3.1).
func MissingScope(scope string) events.APIGatewayProxyResponse {
	p := TypeForbidden.New(fmt.Sprintf("The token lacks the scope %q.", scope))
	r := ProblemResponse(p.With("required_scope", scope))
	h := `Bearer error="insufficient_scope"`
	if validScopeToken(scope) {
		h += `, scope="` + scope + `"`
	}
	r.Headers["WWW-Authenticate"] = h
	return r
}

// validScopeToken reports whether s is an RFC 6749 scope-token, which is safe
// inside a quoted header parameter.
func validScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// NotFound returns a 404 not-found problem.
func NotFound(detail string) events.APIGatewayProxyResponse {
	return ProblemResponse(TypeNotFound.New(detail))
}

// Conflict returns a 409 conflict problem.
func Conflict(detail string) events.APIGatewayProxyResponse {
	return ProblemResponse(TypeConflict.New(detail))
}

// FieldError is one invalid value in an unprocessable request: Pointer is an
// RFC 6901 JSON Pointer into the body (e.g. "/run_at"), Detail says what is
// wrong with it.
type FieldError struct {
	Pointer string `json:"pointer"`
	Detail  string `json:"detail"`
}

// Unprocessable returns a 422 unprocessable problem: the body is well-formed
// JSON but its values are invalid. Field errors, if any, are listed in the
// errors extension as RFC 9457 §3 suggests.
func Unprocessable(detail string, errs ...FieldError) events.APIGatewayProxyResponse {
	p := TypeUnprocessable.New(detail)
	if len(errs) > 0 {
		p = p.With("errors", errs)
	}
	return ProblemResponse(p)
}

// RateLimited returns a 429 quota-exceeded problem with the retry_after
// extension (whole seconds, rounded up) and a Retry-After header of the same
// value, plus the violated-policies extension of the IETF ratelimit-headers
// draft when policies are named.
func RateLimited(retryAfter time.Duration, policies ...string) events.APIGatewayProxyResponse {
	secs := ceilSeconds(retryAfter)
	p := TypeQuotaExceeded.New(fmt.Sprintf("Rate limit exceeded; retry after %d seconds.", secs)).With("retry_after", secs)
	if len(policies) > 0 {
		p = p.With("violated-policies", policies)
	}
	r := ProblemResponse(p)
	if r.StatusCode == http.StatusTooManyRequests {
		r.Headers["Retry-After"] = strconv.FormatInt(secs, 10)
	}
	return r
}

// StoreUnavailable returns the 503 store-unavailable problem. Like Internal it
// takes no detail: the cause belongs in the log.
func StoreUnavailable() events.APIGatewayProxyResponse {
	return ProblemResponse(TypeStoreUnavailable.New("The data store is temporarily unavailable; retry later."))
}

// ceilSeconds rounds d up to whole seconds; negative durations give 0.
func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	s := int64(d / time.Second)
	if d%time.Second != 0 {
		s++
	}
	return s
}
