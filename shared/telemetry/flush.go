package telemetry

import (
	"context"
	"io"
	"log/slog"
)

// WithFlush wraps a Lambda handler so that m is flushed to w (stdout, where
// CloudWatch picks up EMF lines) after every invocation. A container is
// frozen once the handler returns, so metrics must be written before that.
func WithFlush[Req, Resp any](m *Metrics, w io.Writer, log *slog.Logger, h func(context.Context, Req) (Resp, error)) func(context.Context, Req) (Resp, error) {
	return func(ctx context.Context, req Req) (Resp, error) {
		resp, err := h(ctx, req)
		if ferr := m.Flush(w); ferr != nil && log != nil {
			log.Warn("flushing metrics", "error", ferr.Error())
		}
		return resp, err
	}
}
