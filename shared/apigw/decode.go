package apigw

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
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
	Field  string // ErrUnknownField, ErrJSONType: the field (dotted path for ErrJSONType)
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

// DecodeJSON decodes the request body into v, strictly: it decodes base64 when
// IsBase64Encoded is set, and returns a *BodyError when the body is over limit
// bytes (limit <= 0 means DefaultBodyLimit), empty or null, not UTF-8, not
// valid JSON, of the wrong type for v, has a member v does not know (names
// match exactly: encoding/json's case-insensitive matching is refused), a
// member twice, or anything but whitespace after the value. Any other error (v is not a
// non-nil pointer) is a programming error, which DecodeError maps to 500.
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
	if !utf8.Valid(body) {
		return &BodyError{Kind: ErrInvalidJSON, Err: errors.New("body is not UTF-8")}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return classify(err, dec.InputOffset())
	}
	if _, err := dec.Token(); err != io.EOF {
		return &BodyError{Kind: ErrTrailingData, Offset: dec.InputOffset()}
	}
	return exactKeys(body, reflect.TypeOf(v), "")
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

// classify turns an error of json.Decoder.Decode into a *BodyError, or wraps
// it as a programming error.
func classify(err error, offset int64) error {
	var (
		syntax  *json.SyntaxError
		typ     *json.UnmarshalTypeError
		invalid *json.InvalidUnmarshalError
	)
	switch {
	case errors.As(err, &invalid):
		return fmt.Errorf("apigw: decode body: %w", err)
	case errors.As(err, &syntax):
		return &BodyError{Kind: ErrInvalidJSON, Offset: syntax.Offset, Err: err}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return &BodyError{Kind: ErrInvalidJSON, Offset: offset, Err: io.ErrUnexpectedEOF}
	case errors.As(err, &typ):
		return &BodyError{Kind: ErrJSONType, Field: typ.Field, Offset: typ.Offset, Err: err}
	}
	if field, ok := unknownField(err.Error()); ok {
		return &BodyError{Kind: ErrUnknownField, Field: field, Err: err}
	}
	// An UnmarshalJSON method of the target type rejected a value.
	return &BodyError{Kind: ErrInvalidJSON, Offset: offset, Err: err}
}

// unknownField extracts the member name from encoding/json's
// `json: unknown field "name"` error, the only form it reports them in.
func unknownField(msg string) (string, bool) {
	_, rest, ok := strings.Cut(msg, "unknown field ")
	if !ok {
		return "", false
	}
	if name, err := strconv.Unquote(rest); err == nil {
		return name, true
	}
	return strings.Trim(rest, `"`), true
}

// maxDetailField bounds how much of a client-chosen field name is echoed back.
const maxDetailField = 64

// DecodeError maps an error from DecodeJSON to its response: 413
// body-too-large, 400 bad-request for a bad base64 encoding, 400 invalid-json
// for every other *BodyError, and 500 internal (the error logged with
// slog.Default, never shown) for anything else.
func DecodeError(err error) events.APIGatewayProxyResponse {
	var be *BodyError
	if !errors.As(err, &be) {
		slog.Error("apigw: decode request body", "err", err)
		return Internal()
	}
	field := be.Field
	if len(field) > maxDetailField {
		field = strings.ToValidUTF8(field[:maxDetailField], "") + "…"
	}
	switch be.Kind {
	case ErrBodyTooLarge:
		return BodyTooLarge(be.Limit)
	case ErrBodyEncoding:
		return BadRequest("The request body is flagged as base64 but is not valid base64.")
	case ErrEmptyBody:
		return InvalidJSON("The request body is empty; a JSON value is required.")
	case ErrJSONType:
		if field == "" {
			return InvalidJSON("The request body has the wrong JSON type.")
		}
		return InvalidJSON(fmt.Sprintf("The field %q has the wrong JSON type.", field))
	case ErrUnknownField:
		return InvalidJSON(fmt.Sprintf("The field %q is not accepted here.", field))
	case ErrTrailingData:
		return InvalidJSON(fmt.Sprintf("The request body has data after the JSON value, at byte %d.", be.Offset))
	default:
		if be.Offset > 0 {
			return InvalidJSON(fmt.Sprintf("The request body is not valid JSON (error at byte %d).", be.Offset))
		}
		return InvalidJSON("The request body is not valid JSON.")
	}
}
