package api

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"

	"go.yaml.in/yaml/v4"
)

// YAML is the OpenAPI document as written.
//
//go:embed openapi.yaml
var YAML []byte

var (
	jsonOnce sync.Once
	jsonDoc  []byte
	jsonErr  error
)

// JSON returns the document as JSON. It is converted once; the caller must
// not modify the slice.
func JSON() ([]byte, error) {
	jsonOnce.Do(func() { jsonDoc, jsonErr = toJSON(YAML) })
	return jsonDoc, jsonErr
}

// toJSON converts a YAML document whose mapping keys are all strings (as
// an OpenAPI document's are) to JSON.
func toJSON(doc []byte) ([]byte, error) {
	var v any
	if err := yaml.Unmarshal(doc, &v); err != nil {
		return nil, fmt.Errorf("api: openapi.yaml: %w", err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("api: openapi.yaml as JSON: %w", err)
	}
	return b, nil
}
