package telemetry

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"
)

// EnvMetricsNamespace is the variable that sets the CloudWatch namespace.
const EnvMetricsNamespace = "LAMBDIS_METRICS_NAMESPACE"

// DefaultNamespace is the namespace when none is configured.
const DefaultNamespace = "Lambdis"

// Limits of the Embedded Metric Format and CloudWatch.
const (
	MaxMetricsPerDocument = 100 // metric definitions in one EMF document
	MaxValuesPerMetric    = 100 // values in one metric's array
	MaxDimensions         = 30  // dimensions in one dimension set
	maxNameLen            = 255
	maxDimValueLen        = 1024
)

// Units used by Metrics.
const (
	UnitCount        = "Count"
	UnitMilliseconds = "Milliseconds"
)

// Dim is a CloudWatch dimension.
type Dim struct {
	Name  string
	Value string
}

// Metrics collects metrics until Flush writes them as EMF documents. It is
// safe for concurrent use. The zero value uses DefaultNamespace and no default
// dimensions.
type Metrics struct {
	namespace string
	defaults  []Dim
	now       func() time.Time // for tests; nil means time.Now

	mu      sync.Mutex
	sets    map[string]*dimSet
	order   []string // set keys in first-seen order
	dropped int      // observations with invalid names since the last Flush
}

type dimSet struct {
	dims    []Dim // sorted by name
	series  map[metricKey]*series
	ordered []metricKey // first-seen order
}

type metricKey struct{ name, unit string }

type series struct {
	values []float64 // a Count keeps one running sum
}

// NewMetrics returns a Metrics writing to namespace ("" means
// DefaultNamespace) with defaults added to every observation's dimensions (an
// observation's own dimension of the same name wins).
func NewMetrics(namespace string, defaults ...Dim) (*Metrics, error) {
	if namespace == "" {
		namespace = DefaultNamespace
	}
	if err := validNamespace(namespace); err != nil {
		return nil, err
	}
	for _, d := range defaults {
		if err := validDim(d); err != nil {
			return nil, fmt.Errorf("telemetry: default dimension: %w", err)
		}
	}
	return &Metrics{namespace: namespace, defaults: slices.Clone(defaults)}, nil
}

// NamespaceFromEnv returns the namespace LAMBDIS_METRICS_NAMESPACE sets, read
// with getenv: DefaultNamespace when unset, an error naming the variable when
// CloudWatch would reject it.
func NamespaceFromEnv(getenv func(string) string) (string, error) {
	ns := getenv(EnvMetricsNamespace)
	if ns == "" {
		return DefaultNamespace, nil
	}
	if err := validNamespace(ns); err != nil {
		return "", fmt.Errorf("%s: %w", EnvMetricsNamespace, err)
	}
	return ns, nil
}

// validNamespace applies CloudWatch's namespace rules: 1–255 characters of
// letters, digits and . - _ / # : and space, not starting with "AWS/".
func validNamespace(ns string) error {
	if ns == "" || len(ns) > maxNameLen {
		return fmt.Errorf("telemetry: namespace %q: want 1 to %d characters", ns, maxNameLen)
	}
	if strings.HasPrefix(ns, "AWS/") {
		return fmt.Errorf("telemetry: namespace %q: the AWS/ prefix is reserved", ns)
	}
	for _, c := range ns {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(".-_/#: ", c)) {
			return fmt.Errorf("telemetry: namespace %q: character %q not allowed", ns, c)
		}
	}
	return nil
}

func validName(kind, s string) error {
	if s == "" || len(s) > maxNameLen || s == "_aws" {
		return fmt.Errorf("%s name %q: want 1 to %d bytes, not _aws", kind, s, maxNameLen)
	}
	return nil
}

func validDim(d Dim) error {
	if err := validName("dimension", d.Name); err != nil {
		return err
	}
	if strings.HasPrefix(d.Name, ":") {
		return fmt.Errorf("dimension name %q: must not start with ':'", d.Name)
	}
	if d.Value == "" || len(d.Value) > maxDimValueLen {
		return fmt.Errorf("dimension %q: value must be 1 to %d bytes", d.Name, maxDimValueLen)
	}
	return nil
}

// Count adds n to the count metric name for the dimension set dims (plus the
// defaults). Counts of one name and set are summed until Flush.
func (m *Metrics) Count(name string, n int, dims ...Dim) {
	m.observe(metricKey{name, UnitCount}, float64(n), dims, true)
}

// Duration records d in milliseconds for the metric name and dimension set
// dims (plus the defaults). Every observation is kept: several are emitted as
// an array of values, which CloudWatch aggregates into statistics.
func (m *Metrics) Duration(name string, d time.Duration, dims ...Dim) {
	m.observe(metricKey{name, UnitMilliseconds}, float64(d)/float64(time.Millisecond), dims, false)
}

// observe records v, or counts the observation as dropped when a name is
// invalid (Flush reports drops; metrics must never fail a request).
func (m *Metrics) observe(k metricKey, v float64, dims []Dim, sum bool) {
	set, key, ok := m.dimensions(dims)
	if ok && validName("metric", k.name) == nil {
		for _, d := range set {
			if d.Name == k.name { // both would be top-level members
				ok = false
			}
		}
	} else {
		ok = false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !ok {
		m.dropped++
		return
	}
	if m.sets == nil {
		m.sets = make(map[string]*dimSet)
	}
	ds, found := m.sets[key]
	if !found {
		ds = &dimSet{dims: set, series: make(map[metricKey]*series)}
		m.sets[key] = ds
		m.order = append(m.order, key)
	}
	s, found := ds.series[k]
	if !found {
		s = &series{}
		ds.series[k] = s
		ds.ordered = append(ds.ordered, k)
	}
	if sum && len(s.values) == 1 {
		s.values[0] += v
		return
	}
	s.values = append(s.values, v)
}

// dimensions merges the defaults with dims, sorts them by name and returns
// them with the set's key; ok is false when a dimension is invalid, a name is
// repeated in dims, or there are too many.
func (m *Metrics) dimensions(dims []Dim) (set []Dim, key string, ok bool) {
	set = make([]Dim, 0, len(m.defaults)+len(dims))
	for _, d := range m.defaults {
		if !slices.ContainsFunc(dims, func(x Dim) bool { return x.Name == d.Name }) {
			set = append(set, d)
		}
	}
	for i, d := range dims {
		if validDim(d) != nil || slices.ContainsFunc(dims[:i], func(x Dim) bool { return x.Name == d.Name }) {
			return nil, "", false
		}
		set = append(set, d)
	}
	if len(set) > MaxDimensions {
		return nil, "", false
	}
	slices.SortFunc(set, func(a, b Dim) int { return strings.Compare(a.Name, b.Name) })
	var b strings.Builder
	for _, d := range set {
		// Lengths make the key unambiguous whatever the names contain.
		fmt.Fprintf(&b, "%d:%s%d:%s", len(d.Name), d.Name, len(d.Value), d.Value)
	}
	return set, b.String(), true
}

// emfMetric is one metric definition in an EMF document.
type emfMetric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

type emfDirective struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

type emfMetadata struct {
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
}

// chunk is a run of at most MaxValuesPerMetric values of one metric.
type chunk struct {
	key    metricKey
	values []float64
}

// Flush writes everything recorded since the last Flush to w, one EMF JSON
// document per line: one per dimension set, split so that no document defines
// more than MaxMetricsPerDocument metrics, no metric carries more than
// MaxValuesPerMetric values, and no name appears twice in a document. The
// recorded data is reset even if writing fails. The error joins write errors
// and a report of observations dropped for invalid names.
func (m *Metrics) Flush(w io.Writer) error {
	m.mu.Lock()
	sets, order, dropped := m.sets, m.order, m.dropped
	m.sets, m.order, m.dropped = nil, nil, 0
	m.mu.Unlock()

	now := time.Now
	if m.now != nil {
		now = m.now
	}
	ts := now().UnixMilli()
	ns := m.namespace
	if ns == "" {
		ns = DefaultNamespace
	}
	var errs []error
	for _, key := range order {
		ds := sets[key]
		for _, doc := range pack(ds) {
			b, err := encode(ns, ts, ds.dims, doc)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if _, err := w.Write(b); err != nil {
				errs = append(errs, fmt.Errorf("telemetry: write EMF document: %w", err))
			}
		}
	}
	if dropped > 0 {
		errs = append(errs, fmt.Errorf("telemetry: dropped %d metric observations with invalid metric or dimension names", dropped))
	}
	return errors.Join(errs...)
}

// pack splits a set's series into value chunks and packs the chunks into
// documents: first fit, never two chunks of one name in a document.
func pack(ds *dimSet) [][]chunk {
	var docs [][]chunk
	for _, k := range ds.ordered {
		vals := ds.series[k].values
		for len(vals) > 0 {
			n := min(len(vals), MaxValuesPerMetric)
			c := chunk{key: k, values: vals[:n]}
			vals = vals[n:]
			placed := false
			for i := range docs {
				if len(docs[i]) < MaxMetricsPerDocument && !slices.ContainsFunc(docs[i], func(x chunk) bool { return x.key.name == k.name }) {
					docs[i] = append(docs[i], c)
					placed = true
					break
				}
			}
			if !placed {
				docs = append(docs, []chunk{c})
			}
		}
	}
	return docs
}

// encode builds one EMF document: the _aws metadata, the dimension values and
// the metric values as top-level members, newline-terminated.
func encode(ns string, ts int64, dims []Dim, doc []chunk) ([]byte, error) {
	root := make(map[string]any, 1+len(dims)+len(doc))
	names := make([]string, len(dims))
	for i, d := range dims {
		names[i] = d.Name
		root[d.Name] = d.Value
	}
	defs := make([]emfMetric, len(doc))
	for i, c := range doc {
		defs[i] = emfMetric{Name: c.key.name, Unit: c.key.unit}
		if len(c.values) == 1 {
			root[c.key.name] = c.values[0]
		} else {
			root[c.key.name] = c.values
		}
	}
	root["_aws"] = emfMetadata{
		Timestamp: ts,
		CloudWatchMetrics: []emfDirective{{
			Namespace:  ns,
			Dimensions: [][]string{names},
			Metrics:    defs,
		}},
	}
	b, err := json.Marshal(root)
	if err != nil {
		return nil, fmt.Errorf("telemetry: encode EMF document: %w", err)
	}
	return append(b, '\n'), nil
}
