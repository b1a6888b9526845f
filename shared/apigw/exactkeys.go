package apigw

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// exactKeys checks what encoding/json lets through: object member names
// must match a field's name exactly (encoding/json also accepts "PLAYER" for
// "player") and appear once (it keeps the last of duplicates silently).
// data has already decoded into a value of type t without error.
func exactKeys(data []byte, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) || t.Implements(unmarshalerType) {
		return nil // the type decodes itself (time.Time, json.RawMessage, …)
	}
	switch t.Kind() {
	case reflect.Struct:
		fields := map[string]reflect.Type{}
		collectFields(t, fields)
		return eachMember(data, path, func(name string, raw json.RawMessage) error {
			ft, ok := fields[name]
			if !ok {
				for known := range fields {
					if strings.EqualFold(known, name) {
						return &BodyError{Kind: ErrUnknownField, Field: path + name, Err: fmt.Errorf("unknown field %q (the field is %q)", name, known)}
					}
				}
				return nil // DisallowUnknownFields already rejected truly unknown names
			}
			return exactKeys(raw, ft, path+name+".")
		})
	case reflect.Map:
		return eachMember(data, path, func(name string, raw json.RawMessage) error {
			return exactKeys(raw, t.Elem(), path+name+".")
		})
	case reflect.Slice, reflect.Array:
		var items []json.RawMessage
		if json.Unmarshal(data, &items) != nil {
			return nil
		}
		for i, it := range items {
			if err := exactKeys(it, t.Elem(), fmt.Sprintf("%s%d.", path, i)); err != nil {
				return err
			}
		}
	case reflect.Interface:
		return eachMember(data, path, func(name string, raw json.RawMessage) error {
			return exactKeys(raw, t, path+name+".")
		})
	}
	return nil
}

// eachMember calls fn for each member of the JSON object in data (nothing
// when data is not an object), rejecting a name that appears twice.
func eachMember(data []byte, path string, fn func(string, json.RawMessage) error) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		name, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil
		}
		if seen[name] {
			return &BodyError{Kind: ErrInvalidJSON, Field: path + name, Err: fmt.Errorf("member %q appears twice", path+name)}
		}
		seen[name] = true
		if err := fn(name, raw); err != nil {
			return err
		}
	}
	return nil
}

// collectFields maps the JSON names of t's fields, as encoding/json names
// them, to their types; embedded structs' fields are promoted.
func collectFields(t reflect.Type, out map[string]reflect.Type) {
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
				collectFields(ft, out)
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
}
