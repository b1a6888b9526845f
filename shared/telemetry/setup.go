package telemetry

import (
	"io"
	"log/slog"
)

// Setup builds a function's logger and metrics from the environment read by
// getenv, failing (with the variable named) on a bad LOG_LEVEL or
// LAMBDIS_METRICS_NAMESPACE. Every metric carries the dimension Function=fn.
func Setup(w io.Writer, fn string, getenv func(string) string) (*slog.Logger, *Metrics, error) {
	if _, err := LevelFromEnv(getenv); err != nil {
		return nil, nil, err
	}
	ns, err := NamespaceFromEnv(getenv)
	if err != nil {
		return nil, nil, err
	}
	m, err := NewMetrics(ns, Dim{Name: "Function", Value: fn})
	if err != nil {
		return nil, nil, err
	}
	return NewLogger(w, fn), m, nil
}
