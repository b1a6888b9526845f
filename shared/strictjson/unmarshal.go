package strictjson

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
)

// Unmarshal decodes data into v (a non-nil pointer) after Check, requiring
// that every object member name be the exact JSON name of a field of the
// target struct (encoding/json's rules for naming: the json tag, else the Go
// field name; embedded structs' fields promoted), that no member be unknown,
// and that every value have the target's JSON type: a string for a string, a
// number without fraction or exponent that fits for an integer, true or false
// for a bool, an array for a slice, an object for a struct or map. null is
// accepted wherever encoding/json accepts it (it leaves the target alone).
// Types that decode themselves (json.Unmarshaler, encoding.TextUnmarshaler,
// json.RawMessage) get any value of the right shape and judge it; a value
// they refuse is an *Error of Kind Invalid.
//
// Every client mistake is an *Error. An error of any other type is a
// programming error (v is not a non-nil pointer).
func Unmarshal(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return errors.New("strictjson: Unmarshal needs a non-nil pointer")
	}
	if err := Check(data); err != nil {
		return err
	}
	if err := walk(bytes.TrimSpace(data), rv.Type().Elem(), ""); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		// walk accepted the shape, so a self-decoding type refused a value
		// (or a number overflowed a float): name where, not the Go error.
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return &Error{Kind: Type, Pointer: dotted(te.Field), Message: "must be " + expected(te.Type), Offset: te.Offset}
		}
		return &Error{Kind: Invalid, Message: "a value has the right JSON type but is not valid here", Offset: dec.InputOffset()}
	}
	return nil
}

// dotted turns encoding/json's dotted field path into a JSON Pointer.
func dotted(field string) string {
	if field == "" {
		return ""
	}
	var p string
	for _, part := range strings.Split(field, ".") {
		p = pointer(p, part)
	}
	return p
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	numberType      = reflect.TypeFor[json.Number]()
)

func decodesItself(t reflect.Type) bool {
	return t.Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(jsonUnmarshaler)
}

func decodesText(t reflect.Type) bool {
	return t.Implements(textUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler)
}

// walk checks the JSON value data (already known to be valid and free of
// duplicates) against t.
func walk(data []byte, t reflect.Type, ptr string) error {
	if len(data) == 0 {
		return nil
	}
	if string(data) == "null" {
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if decodesItself(t) {
		return nil
	}
	wrong := func() error {
		return &Error{Kind: Type, Pointer: ptr, Message: "must be " + expected(t)}
	}
	c := data[0]
	if decodesText(t) {
		if c != '"' {
			return wrong()
		}
		return nil
	}
	if t == numberType {
		if c != '-' && (c < '0' || c > '9') {
			return wrong()
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Interface:
		return nil
	case reflect.String:
		if c != '"' {
			return wrong()
		}
	case reflect.Bool:
		if c != 't' && c != 'f' {
			return wrong()
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if _, err := strconv.ParseInt(string(data), 10, t.Bits()); err != nil {
			return wrong()
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if _, err := strconv.ParseUint(string(data), 10, t.Bits()); err != nil {
			return wrong()
		}
	case reflect.Float32, reflect.Float64:
		if c != '-' && (c < '0' || c > '9') {
			return wrong()
		}
		if _, err := strconv.ParseFloat(string(data), t.Bits()); err != nil {
			return wrong()
		}
	case reflect.Slice, reflect.Array:
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 && !decodesItself(t.Elem()) {
			if c != '"' { // []byte is base64 text
				return wrong()
			}
			return nil
		}
		if c != '[' {
			return wrong()
		}
		return items(data, func(i int, it json.RawMessage) error {
			if t.Kind() == reflect.Array && i >= t.Len() {
				return &Error{Kind: Type, Pointer: ptr, Message: "must be " + expected(t)}
			}
			return walk(it, t.Elem(), index(ptr, i))
		})
	case reflect.Map:
		if c != '{' {
			return wrong()
		}
		return members(data, ptr, func(name string, raw json.RawMessage, at string) error {
			return walk(raw, t.Elem(), at)
		})
	case reflect.Struct:
		if c != '{' {
			return wrong()
		}
		fields := map[string]reflect.Type{}
		collectFields(t, fields)
		return members(data, ptr, func(name string, raw json.RawMessage, at string) error {
			ft, ok := fields[name]
			if !ok {
				for known := range fields {
					if strings.EqualFold(known, name) {
						return &Error{Kind: Unknown, Pointer: at, Message: "unknown member (names are case-sensitive: the member is " + strconv.Quote(known) + ")"}
					}
				}
				return &Error{Kind: Unknown, Pointer: at, Message: "unknown member"}
			}
			return walk(raw, ft, at)
		})
	}
	return nil
}

// members calls fn for each member of the JSON object data, which Check has
// already found valid: a plain byte scan, no second validation.
func members(data []byte, ptr string, fn func(name string, raw json.RawMessage, at string) error) error {
	i := skipSpace(data, 1)
	for i < len(data) && data[i] != '}' {
		kend := stringEnd(data, i)
		name := unquote(data[i:kend])
		i = skipSpace(data, kend) + 1 // the ':'
		i = skipSpace(data, i)
		vend := valueEnd(data, i)
		if err := fn(name, data[i:vend], pointer(ptr, name)); err != nil {
			return err
		}
		i = skipSpace(data, vend)
		if i < len(data) && data[i] == ',' {
			i = skipSpace(data, i+1)
		}
	}
	return nil
}

// items calls fn for each item of the JSON array data (valid, as above).
func items(data []byte, fn func(i int, raw json.RawMessage) error) error {
	i := skipSpace(data, 1)
	for n := 0; i < len(data) && data[i] != ']'; n++ {
		end := valueEnd(data, i)
		if err := fn(n, data[i:end]); err != nil {
			return err
		}
		i = skipSpace(data, end)
		if i < len(data) && data[i] == ',' {
			i = skipSpace(data, i+1)
		}
	}
	return nil
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index after the string that starts at data[i] ('"').
func stringEnd(data []byte, i int) int {
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(data)
}

// valueEnd returns the index after the value that starts at data[i].
func valueEnd(data []byte, i int) int {
	if i >= len(data) {
		return len(data)
	}
	switch data[i] {
	case '"':
		return stringEnd(data, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(data); j++ {
			switch data[j] {
			case '"':
				j = stringEnd(data, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(data)
	}
	j := i
	for j < len(data) && !strings.ContainsRune(",]} \t\r\n", rune(data[j])) {
		j++
	}
	return j
}

// unquote decodes a JSON string literal (valid, as above).
func unquote(lit []byte) string {
	if bytes.IndexByte(lit, '\\') < 0 {
		return string(lit[1 : len(lit)-1])
	}
	var s string
	_ = json.Unmarshal(lit, &s)
	return s
}

// collectFields maps the JSON names of t's fields, as encoding/json names
// them, to their types; embedded structs' fields are promoted (the outer
// field wins a name clash).
func collectFields(t reflect.Type, out map[string]reflect.Type) {
	type embedded struct{ t reflect.Type }
	var later []embedded
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		if f.Anonymous && name == "" {
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				later = append(later, embedded{ft})
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, dup := out[name]; !dup {
			out[name] = f.Type
		}
	}
	for _, e := range later {
		inner := map[string]reflect.Type{}
		collectFields(e.t, inner)
		for k, v := range inner {
			if _, dup := out[k]; !dup {
				out[k] = v
			}
		}
	}
}

// expected names the JSON a value of type t must be, in JSON terms.
func expected(t reflect.Type) string {
	return describe(t, false)
}

func describe(t reflect.Type, plural bool) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	one := func(a, many string) string {
		if plural {
			return many
		}
		return a
	}
	switch {
	case t == numberType:
		return one("a number", "numbers")
	case decodesItself(t):
		if t.Kind() == reflect.Struct && t.PkgPath() == "time" {
			return one("an RFC 3339 time string", "RFC 3339 time strings")
		}
		return one("a JSON value of the documented form", "JSON values of the documented form")
	case decodesText(t):
		return one("a string", "strings")
	}
	switch t.Kind() {
	case reflect.String:
		return one("a string", "strings")
	case reflect.Bool:
		return one("true or false", "booleans")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return one("an integer", "integers") + inRange(t)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return one("a non-negative integer", "non-negative integers") + inRange(t)
	case reflect.Float32, reflect.Float64:
		return one("a number", "numbers")
	case reflect.Slice, reflect.Array:
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			return one("a base64 string", "base64 strings")
		}
		s := "an array of " + describe(t.Elem(), true)
		if t.Kind() == reflect.Array {
			s += " (at most " + strconv.Itoa(t.Len()) + ")"
		}
		if plural {
			return "arrays of " + describe(t.Elem(), true)
		}
		return s
	case reflect.Map, reflect.Struct:
		return one("an object", "objects")
	}
	return one("a JSON value", "JSON values")
}

// inRange names the range of a sized integer type (int and int64 say nothing).
func inRange(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int8, reflect.Int16, reflect.Int32:
		n := int64(1) << (t.Bits() - 1)
		return " from " + strconv.FormatInt(-n, 10) + " to " + strconv.FormatInt(n-1, 10)
	case reflect.Uint8, reflect.Uint16, reflect.Uint32:
		return " up to " + strconv.FormatUint(uint64(1)<<t.Bits()-1, 10)
	}
	return ""
}
