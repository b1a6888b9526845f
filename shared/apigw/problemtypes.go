package apigw

import (
	"net/http"
	"strings"
)

// ProblemTypeBase is the URI every Lambdis problem type starts with; the slug
// follows it as the fragment, which is the heading anchor in docs/problems.md.
const ProblemTypeBase = "https://github.com/lambdis/lambdis/blob/main/docs/problems.md#"

// ProblemType is the stable slug of a problem type, e.g. "not-found". Clients
// match on the full URI (ProblemType.URI), which never changes once published.
type ProblemType string

// The problem types Lambdis answers with. docs/problems.md describes each one;
// a test keeps the two in step.
const (
	TypeBadRequest       ProblemType = "bad-request"
	TypeInvalidJSON      ProblemType = "invalid-json"
	TypeBodyTooLarge     ProblemType = "body-too-large"
	TypeUnauthorized     ProblemType = "unauthorized"
	TypeForbidden        ProblemType = "forbidden"
	TypeNotFound         ProblemType = "not-found"
	TypeMethodNotAllowed ProblemType = "method-not-allowed"
	TypeConflict         ProblemType = "conflict"
	TypeUnprocessable    ProblemType = "unprocessable"
	TypeQuotaExceeded    ProblemType = "quota-exceeded"
	TypeStoreUnavailable ProblemType = "store-unavailable"
	TypeInternal         ProblemType = "internal"
)

type typeInfo struct {
	title  string
	status int
}

// problemTypes is the registry; order is the order of ProblemTypes.
var problemTypes = []struct {
	t ProblemType
	typeInfo
}{
	{TypeBadRequest, typeInfo{"Bad request", http.StatusBadRequest}},
	{TypeInvalidJSON, typeInfo{"Invalid JSON body", http.StatusBadRequest}},
	{TypeBodyTooLarge, typeInfo{"Request body too large", http.StatusRequestEntityTooLarge}},
	{TypeUnauthorized, typeInfo{"Unauthorized", http.StatusUnauthorized}},
	{TypeForbidden, typeInfo{"Forbidden", http.StatusForbidden}},
	{TypeNotFound, typeInfo{"Not found", http.StatusNotFound}},
	{TypeMethodNotAllowed, typeInfo{"Method not allowed", http.StatusMethodNotAllowed}},
	{TypeConflict, typeInfo{"Conflict", http.StatusConflict}},
	{TypeUnprocessable, typeInfo{"Unprocessable content", http.StatusUnprocessableEntity}},
	{TypeQuotaExceeded, typeInfo{"Quota exceeded", http.StatusTooManyRequests}},
	{TypeStoreUnavailable, typeInfo{"Store unavailable", http.StatusServiceUnavailable}},
	{TypeInternal, typeInfo{"Internal error", http.StatusInternalServerError}},
}

func (t ProblemType) info() (typeInfo, bool) {
	for _, e := range problemTypes {
		if e.t == t {
			return e.typeInfo, true
		}
	}
	return typeInfo{}, false
}

// ProblemTypes returns every problem type Lambdis defines, in documentation
// order.
func ProblemTypes() []ProblemType {
	out := make([]ProblemType, len(problemTypes))
	for i, e := range problemTypes {
		out[i] = e.t
	}
	return out
}

// ParseProblemType returns the ProblemType whose URI is uri, for clients and
// tests that read a problem back.
func ParseProblemType(uri string) (ProblemType, bool) {
	slug, ok := strings.CutPrefix(uri, ProblemTypeBase)
	if !ok {
		return "", false
	}
	t := ProblemType(slug)
	if _, known := t.info(); !known {
		return "", false
	}
	return t, true
}

// URI returns the type's stable URI: ProblemTypeBase followed by the slug.
func (t ProblemType) URI() string { return ProblemTypeBase + string(t) }

// Title returns the type's fixed, human-readable summary ("" for an unknown type).
func (t ProblemType) Title() string {
	i, _ := t.info()
	return i.title
}

// Status returns the HTTP status the type is always answered with (500 for an
// unknown type).
func (t ProblemType) Status() int {
	if i, ok := t.info(); ok {
		return i.status
	}
	return http.StatusInternalServerError
}

// New returns a Problem of type t with its title and status and the given
// occurrence-specific detail.
func (t ProblemType) New(detail string) Problem {
	return Problem{Type: t.URI(), Title: t.Title(), Status: t.Status(), Detail: detail}
}
