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
//
// It runs in one pass over data after json.Valid: a stack of the open
// objects and arrays, each object with the names seen so far (linear time in
// the size of data whatever the nesting).
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
	if !json.Valid(data) {
		return invalidJSON(data)
	}
	type frame struct {
		obj, expectKey bool
		names          []string
		set            map[string]struct{} // names, once there are many
		cur            string              // the member being read
		idx            int                 // the item being read
	}
	var stack []frame
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '{':
			stack = append(stack, frame{obj: true, expectKey: true})
		case '[':
			stack = append(stack, frame{})
		case '}', ']':
			stack = stack[:len(stack)-1]
		case ',':
			if top := &stack[len(stack)-1]; top.obj {
				top.expectKey = true
			} else {
				top.idx++
			}
		case '"':
			end := stringEnd(data, i)
			if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].expectKey {
				top := &stack[n-1]
				name := unquote(data[i:end])
				dup := false
				if top.set != nil {
					_, dup = top.set[name]
					top.set[name] = struct{}{}
				} else {
					for _, seen := range top.names {
						if seen == name {
							dup = true
							break
						}
					}
					top.names = append(top.names, name)
					if len(top.names) > 16 {
						top.set = make(map[string]struct{}, 2*len(top.names))
						for _, n := range top.names {
							top.set[n] = struct{}{}
						}
						top.names = nil
					}
				}
				if dup {
					var ptr string
					for _, f := range stack[:n-1] {
						if f.obj {
							ptr = pointer(ptr, f.cur)
						} else {
							ptr = index(ptr, f.idx)
						}
					}
					return &Error{Kind: Duplicate, Pointer: pointer(ptr, name), Message: "this member name appears twice in the object", Offset: int64(i)}
				}
				top.cur, top.expectKey = name, false
			}
			i = end - 1
		}
	}
	return nil
}

// invalidJSON describes why data (not json.Valid) is not one JSON value.
func invalidJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return syntaxError(err, dec)
	}
	return &Error{Kind: Syntax, Message: MsgTrailing, Offset: dec.InputOffset()}
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
