package apigw

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/shared/strictjson"
)

// DefaultBodyLimit is the body size limit DecodeJSON applies when given a
// limit of zero or less: 64 KiB, far above any Lambdis request and far below
// the 10 MB API Gateway accepts.
const DefaultBodyLimit int64 = 64 << 10

// The kinds of *BodyError. Test with errors.Is(err, ErrBodyTooLarge).
var (
	// ErrEmptyBody: the body is empty, whitespace only, or the JSON literal null.
	ErrEmptyBody = errors.New("request body is empty")
	// ErrBodyTooLarge: the body is over the limit (after base64 decoding).
	ErrBodyTooLarge = errors.New("request body too large")
	// ErrBodyEncoding: IsBase64Encoded is set but the body is not base64.
	ErrBodyEncoding = errors.New("request body is not valid base64")
	// ErrInvalidJSON: not UTF-8, not JSON, truncated JSON, or a value the
	// target type's own UnmarshalJSON rejected.
	ErrInvalidJSON = errors.New("request body is not valid JSON")
	// ErrJSONType: a JSON value does not fit the Go type it decodes into.
	ErrJSONType = errors.New("JSON value has the wrong type")
	// ErrUnknownField: an object member that the target type does not have.
	ErrUnknownField = errors.New("unknown field in request body")
	// ErrTrailingData: anything but whitespace after the first JSON value.
	ErrTrailingData = errors.New("data after the JSON value")
)

// BodyError is the error DecodeJSON returns for every client mistake. Kind is
// one of the Err* sentinels above; errors.Is matches it, and errors.As reaches
// the underlying encoding/json or encoding/base64 error in Err.
type BodyError struct {
	Kind   error
	Limit  int64  // ErrBodyTooLarge: the limit in bytes
	Field  string // the RFC 6901 JSON Pointer of the value, when known ("" for the whole body)
	Offset int64  // ErrInvalidJSON, ErrJSONType, ErrTrailingData: byte offset into the decoded body
	Err    error  // the underlying error, if any
}

func (e *BodyError) Error() string {
	var b strings.Builder
	b.WriteString("apigw: decode body: ")
	b.WriteString(e.Kind.Error())
	switch {
	case e.Kind == ErrBodyTooLarge:
		fmt.Fprintf(&b, ": over %d bytes", e.Limit)
	case e.Field != "":
		fmt.Fprintf(&b, ": field %q", e.Field)
	}
	if e.Offset > 0 {
		fmt.Fprintf(&b, " at byte %d", e.Offset)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns Kind and, when set, Err.
func (e *BodyError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// DecodeJSON decodes the request body into v, strictly (shared/strictjson):
// it decodes base64 when IsBase64Encoded is set, and returns a *BodyError
// when the body is over limit bytes (limit <= 0 means DefaultBodyLimit),
// empty or null, not UTF-8, not valid JSON, has an object with a member name
// twice at any depth (json.RawMessage and any values included), a member
// whose name is not a field's exact JSON name, a value of the wrong JSON type,
// or anything but whitespace after the value. BodyError.Field is then the
// JSON Pointer of the value. Any other error (v is not a non-nil pointer) is
// a programming error, which DecodeError maps to 500.
func DecodeJSON(req events.APIGatewayProxyRequest, limit int64, v any) error {
	if limit <= 0 {
		limit = DefaultBodyLimit
	}
	// Keep arithmetic below in range; no body gets near this anyway.
	limit = min(limit, math.MaxInt32)
	body, err := rawBody(req, limit)
	if err != nil {
		return err
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || string(trimmed) == "null" {
		return &BodyError{Kind: ErrEmptyBody}
	}
	err = strictjson.Unmarshal(body, v)
	var se *strictjson.Error
	if err == nil || !errors.As(err, &se) {
		if err != nil {
			return fmt.Errorf("apigw: decode body: %w", err)
		}
		return nil
	}
	be := &BodyError{Kind: ErrInvalidJSON, Field: se.Pointer, Offset: se.Offset, Err: err}
	switch se.Kind {
	case strictjson.Syntax:
		if se.Message == strictjson.MsgTrailing {
			be.Kind = ErrTrailingData
		}
	case strictjson.Unknown:
		be.Kind = ErrUnknownField
	case strictjson.Type:
		be.Kind = ErrJSONType
	}
	return be
}

// rawBody returns the body bytes, base64-decoded when flagged, and enforces
// the limit before and after decoding.
func rawBody(req events.APIGatewayProxyRequest, limit int64) ([]byte, error) {
	if !req.IsBase64Encoded {
		if int64(len(req.Body)) > limit {
			return nil, &BodyError{Kind: ErrBodyTooLarge, Limit: limit}
		}
		return []byte(req.Body), nil
	}
	// Reject before decoding a body far larger than any encoding of limit
	// bytes: even with MIME line breaks (which the decoder skips) an encoding
	// is under twice EncodedLen.
	if int64(len(req.Body)) > 2*int64(base64.StdEncoding.EncodedLen(int(limit))) {
		return nil, &BodyError{Kind: ErrBodyTooLarge, Limit: limit}
	}
	body, err := base64.StdEncoding.DecodeString(req.Body)
	if err != nil {
		return nil, &BodyError{Kind: ErrBodyEncoding, Err: err}
	}
	if int64(len(body)) > limit {
		return nil, &BodyError{Kind: ErrBodyTooLarge, Limit: limit}
	}
	return body, nil
}

// DecodeError maps an error from DecodeJSON to its response: 413
// body-too-large, 400 bad-request for a bad base64 encoding, 400 invalid-json
// for every other *BodyError, and 500 internal (the error logged with
// slog.Default, never shown) for anything else. An invalid-json detail names
// the JSON Pointer of the value and what was expected ("/payload/keys: must
// be an array of strings"), in JSON terms only: never a Go type, field or
// package name.
func DecodeError(err error) events.APIGatewayProxyResponse {
	var be *BodyError
	if !errors.As(err, &be) {
		slog.Error("apigw: decode request body", "err", err)
		return Internal()
	}
	switch be.Kind {
	case ErrBodyTooLarge:
		return BodyTooLarge(be.Limit)
	case ErrBodyEncoding:
		return BadRequest("The request body is flagged as base64 but is not valid base64.")
	case ErrEmptyBody:
		return InvalidJSON("The request body is empty; a JSON value is required.")
	}
	var se *strictjson.Error
	if !errors.As(err, &se) {
		return InvalidJSON("The request body is not valid JSON.")
	}
	at := se.Pointer
	if at == "" {
		at = "the body"
	}
	detail := at + ": " + se.Message
	if se.Kind == strictjson.Syntax && se.Offset > 0 {
		detail += fmt.Sprintf(" (at byte %d)", se.Offset)
	}
	p := TypeInvalidJSON.New(detail)
	if se.Pointer != "" {
		p = p.With("errors", []FieldError{{Pointer: se.Pointer, Detail: se.Message}})
	}
	return ProblemResponse(p)
}
