package apigw

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
)

// ProblemContentType is the media type of an RFC 9457 problem details body.
const ProblemContentType = "application/problem+json"

// Problem is an RFC 9457 problem details object. It marshals flat: the
// Extensions are top-level members beside the standard ones, in sorted order.
// Empty Detail and Instance are omitted; an empty Type marshals as
// "about:blank", the RFC's default.
type Problem struct {
	Type     string
	Title    string
	Status   int
	Detail   string
	Instance string
	// Extensions are extra members. A key may not repeat a standard member
	// name (type, title, status, detail, instance): marshalling fails.
	Extensions map[string]any
}

// standardMembers are the member names RFC 9457 defines.
var standardMembers = []string{"type", "title", "status", "detail", "instance"}

// With returns a copy of p with the extension member key set to v. It never
// modifies p's Extensions map.
func (p Problem) With(key string, v any) Problem {
	ext := make(map[string]any, len(p.Extensions)+1)
	for k, x := range p.Extensions {
		ext[k] = x
	}
	ext[key] = v
	p.Extensions = ext
	return p
}

// MarshalJSON writes the standard members, then the extensions in key order.
func (p Problem) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	member := func(k string, v any) error {
		val, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("apigw: marshal problem member %q: %w", k, err)
		}
		key, _ := json.Marshal(k) // a string always marshals
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.Write(key)
		b.WriteByte(':')
		b.Write(val)
		return nil
	}
	typ := p.Type
	if typ == "" {
		typ = "about:blank"
	}
	if err := member("type", typ); err != nil {
		return nil, err
	}
	if p.Title != "" {
		if err := member("title", p.Title); err != nil {
			return nil, err
		}
	}
	if p.Status != 0 {
		if err := member("status", p.Status); err != nil {
			return nil, err
		}
	}
	if p.Detail != "" {
		if err := member("detail", p.Detail); err != nil {
			return nil, err
		}
	}
	if p.Instance != "" {
		if err := member("instance", p.Instance); err != nil {
			return nil, err
		}
	}
	keys := make([]string, 0, len(p.Extensions))
	for k := range p.Extensions {
		if slices.Contains(standardMembers, k) {
			return nil, fmt.Errorf("apigw: problem extension %q shadows a standard member", k)
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := member(k, p.Extensions[k]); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads a flat problem object: standard members into the fields,
// every other member into Extensions (decoded as encoding/json decodes into any).
func (p *Problem) UnmarshalJSON(data []byte) error {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(data, &members); err != nil {
		return fmt.Errorf("apigw: unmarshal problem: %w", err)
	}
	if members == nil {
		return fmt.Errorf("apigw: unmarshal problem: got null, want an object")
	}
	var out Problem
	fields := map[string]any{
		"type": &out.Type, "title": &out.Title, "status": &out.Status,
		"detail": &out.Detail, "instance": &out.Instance,
	}
	for k, raw := range members {
		if dst, ok := fields[k]; ok {
			if err := json.Unmarshal(raw, dst); err != nil {
				return fmt.Errorf("apigw: unmarshal problem member %q: %w", k, err)
			}
			continue
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("apigw: unmarshal problem member %q: %w", k, err)
		}
		if out.Extensions == nil {
			out.Extensions = make(map[string]any)
		}
		out.Extensions[k] = v
	}
	*p = out
	return nil
}
