package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
)

func TestWithFlushWritesAfterEachInvocation(t *testing.T) {
	m, err := NewMetrics("Test")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	boom := errors.New("boom")
	h := WithFlush(m, &out, nil, func(ctx context.Context, n int) (int, error) {
		m.Count("Calls", n)
		if n < 0 {
			return 0, boom
		}
		return n * 2, nil
	})
	if got, err := h(context.Background(), 3); err != nil || got != 6 {
		t.Fatalf("h(3) = %d, %v", got, err)
	}
	var doc map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(out.Bytes()), &doc); err != nil {
		t.Fatalf("flushed %q: %v", out.String(), err)
	}
	if doc["Calls"] != float64(3) {
		t.Fatalf("Calls = %v", doc["Calls"])
	}
	out.Reset()
	if _, err := h(context.Background(), -1); !errors.Is(err, boom) {
		t.Fatalf("error not passed through: %v", err)
	}
	if out.Len() == 0 {
		t.Fatal("metrics of a failed invocation were not flushed")
	}
}
