// Package telemetry gives every Lambdis function the same structured logs and
// CloudWatch metrics.
//
// Logs (logger.go): NewLogger writes JSON with slog, one object per line, with
// the keys Lambda's own JSON log format uses (timestamp, level, message); the
// level comes from LOG_LEVEL (ParseLevel, LevelFromEnv). WithRequest adds the
// invocation's request id and the deployed function name to a logger.
//
// Metrics (emf.go): Metrics collects counts and durations in memory and Flush
// writes them as CloudWatch Embedded Metric Format documents to the function's
// stdout, where CloudWatch Logs extracts them; there is no API call and no
// background goroutine. Call Flush at the end of every invocation: nothing
// is flushed for you, and a frozen container flushes nothing.
package telemetry
