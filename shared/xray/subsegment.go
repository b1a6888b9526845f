package xray

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Subsegment is an independently sent X-Ray subsegment document (the
// fields this package uses of the segment document format).
type Subsegment struct {
	Type      string  `json:"type"` // always "subsegment"
	ID        string  `json:"id"`
	TraceID   string  `json:"trace_id"`
	ParentID  string  `json:"parent_id"`
	Name      string  `json:"name"`
	Namespace string  `json:"namespace,omitempty"`
	StartTime float64 `json:"start_time"` // seconds since the epoch
	EndTime   float64 `json:"end_time"`
	// Error marks a failure the caller caused (a Redis error reply), Fault
	// one of the remote end or the way to it (a timeout, a lost connection).
	Error    bool                      `json:"error,omitempty"`
	Fault    bool                      `json:"fault,omitempty"`
	Cause    *Cause                    `json:"cause,omitempty"`
	Metadata map[string]map[string]any `json:"metadata,omitempty"`
}

// Cause lists what made a subsegment fail.
type Cause struct {
	Exceptions []Exception `json:"exceptions"`
}

// Exception is one error of a Cause.
type Exception struct {
	ID      string `json:"id"`
	Message string `json:"message"`
	Type    string `json:"type,omitempty"`
}

// newSubsegment starts a subsegment of the segment h names.
func newSubsegment(h Header, name, namespace string, start time.Time) *Subsegment {
	return &Subsegment{
		Type: "subsegment", ID: newID(), TraceID: h.Root, ParentID: h.Parent,
		Name: name, Namespace: namespace, StartTime: epochSeconds(start),
	}
}

// newID is a 64-bit id in 16 hex digits, as X-Ray wants for segments,
// subsegments and exceptions.
func newID() string { return fmt.Sprintf("%016x", rand.Uint64()) }

// epochSeconds is t in the documents' unit, seconds with a fraction.
func epochSeconds(t time.Time) float64 { return float64(t.UnixMicro()) / 1e6 }
