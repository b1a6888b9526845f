package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Error is a rejected JSON document: Pointer (RFC 6901, "" for the whole
// document) names the value, Message says what is wrong or expected. Both are
// safe to show a client: they hold JSON names and JSON terms only, and
// client-chosen names are bounded (see Pointer).
type Error struct {
	Kind    Kind
	Pointer string
	Message string
	// Offset is the byte offset the problem was found at, when known.
	Offset int64
}

// Kind classifies an Error.
type Kind int

// The kinds of Error.
const (
	Syntax    Kind = iota + 1 // not valid JSON, not UTF-8, or data after the value
	Duplicate                 // a member name appears twice in one object
	Unknown                   // a member the target does not have (or has in another case)
	Type                      // a value of the wrong JSON type or out of range
	Invalid                   // a value the target type rejected (e.g. a malformed time)
)

func (e *Error) Error() string {
	if e.Pointer == "" {
		return "strictjson: " + e.Message
	}
	return "strictjson: " + e.Pointer + ": " + e.Message
}

// MsgTrailing is the Message of the Syntax error for data after the value.
const MsgTrailing = "data after the JSON value"

// maxPointerName bounds each client-chosen member name echoed in a Pointer.
const maxPointerName = 64

// pointer appends name to the JSON Pointer ptr, escaping '~' and '/' (RFC
// 6901 §3) and cutting names over maxPointerName bytes.
func pointer(ptr, name string) string {
	if len(name) > maxPointerName {
		name = strings.ToValidUTF8(name[:maxPointerName], "") + "…"
	}
	name = strings.ReplaceAll(name, "~", "~0")
	name = strings.ReplaceAll(name, "/", "~1")
	return ptr + "/" + name
}

func index(ptr string, i int) string { return ptr + "/" + strconv.Itoa(i) }

// Check reports whether data is exactly one JSON value (surrounding
// whitespace allowed), valid UTF-8, with no duplicate member name in any
// object at any depth. It returns an *Error or nil.
func Check(data []byte) error {
	if !utf8.Valid(data) {
		off := int64(len(data))
		for i := 0; i < len(data); {
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n <= 1 {
				off = int64(i)
				break
			}
			i += n
		}
		return &Error{Kind: Syntax, Message: "not valid UTF-8", Offset: off}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := checkValue(dec, ""); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return &Error{Kind: Syntax, Message: MsgTrailing, Offset: dec.InputOffset()}
	}
	return nil
}

// checkValue reads one value from dec, whose first token has not been read.
func checkValue(dec *json.Decoder, ptr string) error {
	tok, err := dec.Token()
	if err != nil {
		return syntaxError(err, dec)
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]struct{}{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return syntaxError(err, dec)
			}
			name, ok := tok.(string)
			if !ok { // unreachable: the decoder only yields string keys
				return &Error{Kind: Syntax, Pointer: ptr, Message: "an object member name must be a string", Offset: dec.InputOffset()}
			}
			at := pointer(ptr, name)
			if _, dup := seen[name]; dup {
				return &Error{Kind: Duplicate, Pointer: at, Message: "this member name appears twice in the object", Offset: dec.InputOffset()}
			}
			seen[name] = struct{}{}
			if err := checkValue(dec, at); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return syntaxError(err, dec)
		}
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if err := checkValue(dec, index(ptr, i)); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return syntaxError(err, dec)
		}
	case json.Delim('}'), json.Delim(']'):
		return &Error{Kind: Syntax, Pointer: ptr, Message: "not valid JSON", Offset: dec.InputOffset()}
	}
	return nil
}

func syntaxError(err error, dec *json.Decoder) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &Error{Kind: Syntax, Message: "not valid JSON", Offset: se.Offset}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &Error{Kind: Syntax, Message: "not valid JSON (it ends too early)", Offset: dec.InputOffset()}
	}
	return &Error{Kind: Syntax, Message: "not valid JSON", Offset: dec.InputOffset()}
}
