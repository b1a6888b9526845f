package telemetry

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// EnvLogLevel is the variable that sets the log level.
const EnvLogLevel = "LOG_LEVEL"

// Log record keys beside slog's level.
const (
	KeyTimestamp    = "timestamp"
	KeyMessage      = "message"
	KeyFunction     = "function"      // the logical function name given to NewLogger
	KeyRequestID    = "request_id"    // the Lambda request id (WithRequest)
	KeyFunctionName = "function_name" // the deployed Lambda function name (WithRequest)
)

// ParseLevel parses a log level: debug, info, warn (or warning) and error, in
// any case, optionally with slog's offset ("info+2"); trace maps to debug and
// fatal to error, the two extra levels Lambda's own log-level setting has.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "trace":
		return slog.LevelDebug, nil
	case "fatal":
		return slog.LevelError, nil
	case "warning":
		return slog.LevelWarn, nil
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.TrimSpace(s))); err != nil {
		return slog.LevelInfo, fmt.Errorf("telemetry: log level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

// LevelFromEnv returns the level LOG_LEVEL sets, read with getenv (os.Getenv
// in production): info when unset or empty, an error naming the variable when
// it is not a level.
func LevelFromEnv(getenv func(string) string) (slog.Level, error) {
	v := getenv(EnvLogLevel)
	if strings.TrimSpace(v) == "" {
		return slog.LevelInfo, nil
	}
	l, err := ParseLevel(v)
	if err != nil {
		return slog.LevelInfo, fmt.Errorf("%s: %w", EnvLogLevel, err)
	}
	return l, nil
}

// NewLogger returns a JSON logger writing to w (os.Stdout when nil) at the
// level of LOG_LEVEL, with fn, the logical function name, as the function
// attribute on every record. A bad LOG_LEVEL does not stop the function: the
// logger falls back to info and logs a warning saying so (call LevelFromEnv
// at start-up to fail instead).
func NewLogger(w io.Writer, fn string) *slog.Logger {
	if w == nil {
		w = os.Stdout
	}
	level, levelErr := LevelFromEnv(os.Getenv)
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: lambdaKeys})
	l := slog.New(h).With(KeyFunction, fn)
	if levelErr != nil {
		l.Warn("telemetry: using log level info", "err", levelErr)
	}
	return l
}

// lambdaKeys renames slog's top-level time and msg keys to the timestamp and
// message keys of Lambda's JSON log format.
func lambdaKeys(groups []string, a slog.Attr) slog.Attr {
	if len(groups) > 0 {
		return a
	}
	switch a.Key {
	case slog.TimeKey:
		a.Key = KeyTimestamp
	case slog.MessageKey:
		a.Key = KeyMessage
	}
	return a
}

// WithRequest returns l with the invocation's request id (from the Lambda
// context in ctx) and the deployed function name (AWS_LAMBDA_FUNCTION_NAME)
// added; each only when known, so outside Lambda l is returned unchanged.
func WithRequest(ctx context.Context, l *slog.Logger) *slog.Logger {
	var attrs []any
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		attrs = append(attrs, KeyRequestID, lc.AwsRequestID)
	}
	if lambdacontext.FunctionName != "" {
		attrs = append(attrs, KeyFunctionName, lambdacontext.FunctionName)
	}
	if len(attrs) == 0 {
		return l
	}
	return l.With(attrs...)
}
