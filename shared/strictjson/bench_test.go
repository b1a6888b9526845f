package strictjson

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// batchBody is a POST /jobs/batch body of n jobs with ~1 KiB payloads.
func batchBody(n int) []byte {
	items := make([]string, n)
	for i := range items {
		items[i] = fmt.Sprintf(`{"queue":"q%d","type":"webhook","payload":{"url":"https://hooks.example.com/x","body":{"order":%d,"note":"%s","tags":["a","b"]}},"idempotency_key":"k%d"}`, i%7, i, strings.Repeat("x", 900), i)
	}
	return []byte(`{"jobs":[` + strings.Join(items, ",") + `]}`)
}

type benchBatch struct {
	Jobs []struct {
		Queue          string          `json:"queue"`
		Type           string          `json:"type"`
		Payload        json.RawMessage `json:"payload"`
		IdempotencyKey *string         `json:"idempotency_key"`
	} `json:"jobs"`
}

// Baseline: encoding/json on the same body (compare ns/op as a ratio).
func BenchmarkBatchEncodingJSON(b *testing.B) {
	body := batchBody(500)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		var v benchBatch
		if err := json.Unmarshal(body, &v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBatchStrict(b *testing.B) {
	body := batchBody(500)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		var v benchBatch
		if err := Unmarshal(body, &v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBatchCheck(b *testing.B) {
	body := batchBody(500)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if err := Check(body); err != nil {
			b.Fatal(err)
		}
	}
}
