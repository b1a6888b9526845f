package telemetry

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

var fixedNow = time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)

func newTestMetrics(t *testing.T, ns string, defaults ...Dim) *Metrics {
	t.Helper()
	m, err := NewMetrics(ns, defaults...)
	if err != nil {
		t.Fatal(err)
	}
	m.now = func() time.Time { return fixedNow }
	return m
}

// flush flushes m and returns the documents, each checked against the EMF
// specification's structure.
func flush(t *testing.T, m *Metrics) []map[string]any {
	t.Helper()
	var buf bytes.Buffer
	if err := m.Flush(&buf); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	return parseDocs(t, &buf)
}

func parseDocs(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var docs []map[string]any
	sc := bufio.NewScanner(buf)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var d map[string]any
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			t.Fatalf("EMF line is not JSON: %v: %s", err, sc.Text())
		}
		checkEMF(t, d)
		docs = append(docs, d)
	}
	return docs
}

// checkEMF checks one document: _aws with a millisecond Timestamp and one
// CloudWatchMetrics directive; every referenced dimension is a string member;
// at most 100 metrics, each named once and each with a numeric value or an
// array of at most 100 numbers as a member.
func checkEMF(t *testing.T, d map[string]any) {
	t.Helper()
	aws, ok := d["_aws"].(map[string]any)
	if !ok {
		t.Fatalf("no _aws object: %v", d)
	}
	if ts, ok := aws["Timestamp"].(float64); !ok || ts <= 0 || ts != float64(int64(ts)) {
		t.Fatalf("Timestamp = %v", aws["Timestamp"])
	}
	cwm, ok := aws["CloudWatchMetrics"].([]any)
	if !ok || len(cwm) != 1 {
		t.Fatalf("CloudWatchMetrics = %v", aws["CloudWatchMetrics"])
	}
	dir := cwm[0].(map[string]any)
	if ns, _ := dir["Namespace"].(string); ns == "" {
		t.Fatalf("no Namespace: %v", dir)
	}
	sets, ok := dir["Dimensions"].([]any)
	if !ok || len(sets) != 1 {
		t.Fatalf("Dimensions = %v", dir["Dimensions"])
	}
	for _, name := range sets[0].([]any) {
		if _, ok := d[name.(string)].(string); !ok {
			t.Fatalf("dimension %v has no string member", name)
		}
	}
	metrics := dir["Metrics"].([]any)
	if len(metrics) == 0 || len(metrics) > MaxMetricsPerDocument {
		t.Fatalf("%d metrics in a document", len(metrics))
	}
	seen := map[string]bool{}
	for _, mm := range metrics {
		def := mm.(map[string]any)
		name := def["Name"].(string)
		if seen[name] {
			t.Fatalf("metric %q defined twice in a document", name)
		}
		seen[name] = true
		if u := def["Unit"]; u != UnitCount && u != UnitMilliseconds {
			t.Fatalf("metric %q unit %v", name, u)
		}
		switch v := d[name].(type) {
		case float64:
		case []any:
			if len(v) < 2 || len(v) > MaxValuesPerMetric {
				t.Fatalf("metric %q has %d values", name, len(v))
			}
			for _, x := range v {
				if _, ok := x.(float64); !ok {
					t.Fatalf("metric %q value %v is not a number", name, x)
				}
			}
		default:
			t.Fatalf("metric %q has no value member: %v", name, d[name])
		}
	}
}

// metricNames returns the names defined in a document.
func metricNames(d map[string]any) []string {
	var out []string
	for _, mm := range d["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)[0].(map[string]any)["Metrics"].([]any) {
		out = append(out, mm.(map[string]any)["Name"].(string))
	}
	return out
}

func TestFlushGolden(t *testing.T) {
	m := newTestMetrics(t, "", Dim{"function", "enqueue"})
	m.Count("jobs_enqueued", 1, Dim{"queue", "email"})
	m.Count("jobs_enqueued", 2, Dim{"queue", "email"})
	m.Duration("redis_roundtrip", 1500*time.Microsecond, Dim{"queue", "email"})
	m.Duration("redis_roundtrip", 2*time.Millisecond, Dim{"queue", "email"})
	m.Duration("handler", 12*time.Millisecond)
	m.Count("jobs_deduplicated", 1, Dim{"queue", "webhook"})

	got := flush(t, m)
	var want []map[string]any
	b, err := os.ReadFile(filepath.Join("testdata", "emf_golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		t.Fatalf("documents differ from testdata/emf_golden.json; got\n%s", g)
	}
}

func TestFlushResets(t *testing.T) {
	m := newTestMetrics(t, "")
	m.Count("a", 1)
	if docs := flush(t, m); len(docs) != 1 {
		t.Fatalf("first flush: %d documents", len(docs))
	}
	if docs := flush(t, m); len(docs) != 0 {
		t.Fatalf("second flush wrote %v", docs)
	}
	var zero Metrics // the zero value works, with the default namespace
	zero.Count("z", 1)
	docs := flush(t, &zero)
	if ns := docs[0]["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)[0].(map[string]any)["Namespace"]; ns != DefaultNamespace {
		t.Fatalf("zero value namespace %v", ns)
	}
}

func TestDimensionSets(t *testing.T) {
	m := newTestMetrics(t, "")
	m.Count("hits", 1, Dim{"a", "1"}, Dim{"b", "2"})
	m.Count("hits", 1, Dim{"b", "2"}, Dim{"a", "1"}) // same set, other order
	m.Count("hits", 1, Dim{"a", "1"}, Dim{"b", "3"})
	m.Count("hits", 1)
	docs := flush(t, m)
	if len(docs) != 3 {
		t.Fatalf("got %d documents, want 3 (one per distinct set)", len(docs))
	}
	if docs[0]["hits"] != 2.0 || docs[0]["a"] != "1" || docs[0]["b"] != "2" {
		t.Errorf("first set: %v", docs[0])
	}
	if docs[1]["b"] != "3" || docs[1]["hits"] != 1.0 {
		t.Errorf("second set: %v", docs[1])
	}
	dims := docs[2]["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)[0].(map[string]any)["Dimensions"]
	if !reflect.DeepEqual(dims, []any{[]any{}}) {
		t.Errorf("no-dimension set: Dimensions = %v, want [[]]", dims)
	}
}

func TestDefaultDimensionOverride(t *testing.T) {
	m := newTestMetrics(t, "", Dim{"function", "worker"}, Dim{"stage", "prod"})
	m.Count("x", 1, Dim{"stage", "canary"})
	d := flush(t, m)[0]
	if d["function"] != "worker" || d["stage"] != "canary" {
		t.Fatalf("got %v", d)
	}
}

func TestSplitAt100Metrics(t *testing.T) {
	m := newTestMetrics(t, "")
	for i := range 250 {
		m.Count(fmt.Sprintf("m%03d", i), i, Dim{"queue", "q"})
	}
	docs := flush(t, m)
	if len(docs) != 3 {
		t.Fatalf("got %d documents, want 3", len(docs))
	}
	total := 0
	for _, d := range docs {
		for _, name := range metricNames(d) {
			var i int
			fmt.Sscanf(name, "m%03d", &i)
			if d[name] != float64(i) {
				t.Fatalf("%s = %v", name, d[name])
			}
			total++
		}
	}
	if total != 250 {
		t.Fatalf("%d metrics emitted, want 250", total)
	}
}

func TestManyDurationsSplitIntoArrays(t *testing.T) {
	m := newTestMetrics(t, "")
	for i := range 250 {
		m.Duration("latency", time.Duration(i)*time.Millisecond)
	}
	m.Duration("once", 3*time.Millisecond)
	docs := flush(t, m)
	var values []float64
	for _, d := range docs {
		switch v := d["latency"].(type) {
		case []any:
			for _, x := range v {
				values = append(values, x.(float64))
			}
		case nil:
		default:
			t.Fatalf("latency = %v", v)
		}
	}
	if len(values) != 250 || len(docs) != 3 {
		t.Fatalf("%d values in %d documents, want 250 in 3", len(values), len(docs))
	}
	for i, v := range values {
		if v != float64(i) {
			t.Fatalf("value %d = %v: order or unit lost", i, v)
		}
	}
	if docs[0]["once"] != 3.0 {
		t.Fatalf("a single observation should be a scalar: %v", docs[0]["once"])
	}
}

func TestSameNameTwoUnits(t *testing.T) {
	m := newTestMetrics(t, "")
	m.Count("redis", 1)
	m.Duration("redis", time.Millisecond)
	if docs := flush(t, m); len(docs) != 2 {
		t.Fatalf("got %d documents, want the two units apart", len(docs))
	}
}

func TestInvalidObservationsAreDroppedAndReported(t *testing.T) {
	m := newTestMetrics(t, "")
	many := make([]Dim, MaxDimensions+1)
	for i := range many {
		many[i] = Dim{fmt.Sprintf("d%d", i), "v"}
	}
	m.Count("", 1)
	m.Count("_aws", 1)
	m.Count("x", 1, Dim{"", "v"})
	m.Count("x", 1, Dim{"queue", ""})
	m.Count("x", 1, Dim{":colon", "v"})
	m.Count("x", 1, Dim{"queue", "a"}, Dim{"queue", "b"})
	m.Count("queue", 1, Dim{"queue", "a"})
	m.Duration("x", time.Millisecond, many...)
	m.Count("ok", 1)
	var buf bytes.Buffer
	err := m.Flush(&buf)
	if err == nil || !strings.Contains(err.Error(), "dropped 8") {
		t.Fatalf("Flush error = %v, want a report of 8 drops", err)
	}
	docs := parseDocs(t, &buf)
	if len(docs) != 1 || docs[0]["ok"] != 1.0 {
		t.Fatalf("the valid observation was not written: %v", docs)
	}
	if err := m.Flush(&buf); err != nil {
		t.Fatalf("drops were not reset: %v", err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("stdout closed") }

func TestFlushWriteError(t *testing.T) {
	m := newTestMetrics(t, "")
	m.Count("a", 1)
	err := m.Flush(failingWriter{})
	if err == nil || !strings.Contains(err.Error(), "stdout closed") {
		t.Fatalf("Flush error = %v", err)
	}
	if docs := flush(t, m); len(docs) != 0 {
		t.Fatal("data was kept after a failed write")
	}
}

func TestNamespaces(t *testing.T) {
	m := newTestMetrics(t, "Lambdis/Staging")
	m.Count("a", 1)
	if ns := flush(t, m)[0]["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)[0].(map[string]any)["Namespace"]; ns != "Lambdis/Staging" {
		t.Fatalf("namespace %v", ns)
	}
	for _, bad := range []string{"AWS/Lambda", "tab\tname", strings.Repeat("n", 256), "emoji😀"} {
		if _, err := NewMetrics(bad); err == nil {
			t.Errorf("NewMetrics(%q) accepted", bad)
		}
	}
	if _, err := NewMetrics("", Dim{"", "x"}); err == nil {
		t.Error("invalid default dimension accepted")
	}
	env := func(v string) func(string) string { return func(string) string { return v } }
	if ns, err := NamespaceFromEnv(env("")); err != nil || ns != DefaultNamespace {
		t.Errorf("unset: %q, %v", ns, err)
	}
	if ns, err := NamespaceFromEnv(env("Team.A")); err != nil || ns != "Team.A" {
		t.Errorf("set: %q, %v", ns, err)
	}
	if _, err := NamespaceFromEnv(env("AWS/X")); err == nil || !strings.Contains(err.Error(), EnvMetricsNamespace) {
		t.Errorf("bad value: error %v does not name the variable", err)
	}
}

// lockedBuffer lets concurrent Flushes share one writer, as they share stdout.
type lockedBuffer struct {
	mu sync.Mutex
	bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.Buffer.Write(p)
}

// TestConcurrentUse records from many goroutines while others flush: no
// observation is lost or counted twice. Run with -race to check the locking.
func TestConcurrentUse(t *testing.T) {
	const workers, perWorker = 8, 500
	m := newTestMetrics(t, "")
	var out lockedBuffer
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				m.Count("requests", 1, Dim{"worker", fmt.Sprint(w % 2)})
				m.Duration("latency", time.Millisecond)
				if i%100 == 0 {
					if err := m.Flush(&out); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	if err := m.Flush(&out); err != nil {
		t.Fatal(err)
	}
	var count, durations float64
	for _, d := range parseDocs(t, &out.Buffer) {
		if v, ok := d["requests"].(float64); ok {
			count += v
		}
		switch v := d["latency"].(type) {
		case float64:
			durations++
		case []any:
			durations += float64(len(v))
		}
	}
	if count != workers*perWorker || durations != workers*perWorker {
		t.Fatalf("counted %v requests and %v durations, want %d each", count, durations, workers*perWorker)
	}
}
