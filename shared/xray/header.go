package xray

import (
	"context"
	"strings"
)

// lambdaTraceKey is the context key under which the Lambda runtime client
// (github.com/aws/aws-lambda-go/lambda) puts the invocation's trace header,
// the Lambda-Runtime-Trace-Id of the Runtime API's next invocation.
const lambdaTraceKey = "x-amzn-trace-id"

// Header is the part of an X-Ray trace header a subsegment needs.
type Header struct {
	Root    string // the trace id, 1-<8 hex digits>-<24 hex digits>
	Parent  string // the id of the segment a subsegment belongs to
	Sampled bool   // Sampled=1: the trace is recorded
}

// ParseHeader reads a trace header such as
// "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1".
// Fields it does not know (Lineage, Self) are ignored.
func ParseHeader(s string) Header {
	var h Header
	for field := range strings.SplitSeq(s, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(field), "=")
		switch k {
		case "Root":
			h.Root = v
		case "Parent":
			h.Parent = v
		case "Sampled":
			h.Sampled = v == "1"
		}
	}
	return h
}

// sampled returns the trace header of the invocation ctx belongs to, and
// whether a subsegment should be sent: the header is present, sampled, and
// names a trace and a parent.
func sampled(ctx context.Context) (Header, bool) {
	s, _ := ctx.Value(lambdaTraceKey).(string)
	if s == "" {
		return Header{}, false
	}
	h := ParseHeader(s)
	return h, h.Sampled && h.Root != "" && h.Parent != ""
}

// WithHeader returns a context carrying the trace header s as the Lambda
// runtime client's does, for tests and for work started outside a handler
// on the invocation's behalf.
func WithHeader(ctx context.Context, s string) context.Context {
	//nolint:staticcheck // the runtime client's own key, a plain string
	return context.WithValue(ctx, lambdaTraceKey, s)
}
