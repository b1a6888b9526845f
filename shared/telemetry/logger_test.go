package telemetry

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

func TestParseLevel(t *testing.T) {
	tests := []struct {
		in      string
		want    slog.Level
		wantErr bool
	}{
		{"debug", slog.LevelDebug, false},
		{"DEBUG", slog.LevelDebug, false},
		{"info", slog.LevelInfo, false},
		{" Info ", slog.LevelInfo, false},
		{"warn", slog.LevelWarn, false},
		{"WARNING", slog.LevelWarn, false},
		{"error", slog.LevelError, false},
		{"trace", slog.LevelDebug, false},
		{"FATAL", slog.LevelError, false},
		{"info+2", slog.LevelInfo + 2, false},
		{"", 0, true},
		{"verbose", 0, true},
		{"4", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseLevel(tt.in)
		if (err != nil) != tt.wantErr || (!tt.wantErr && got != tt.want) {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestLevelFromEnv(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == EnvLogLevel {
				return v
			}
			return ""
		}
	}
	if l, err := LevelFromEnv(env("")); err != nil || l != slog.LevelInfo {
		t.Errorf("unset: %v, %v", l, err)
	}
	if l, err := LevelFromEnv(env("debug")); err != nil || l != slog.LevelDebug {
		t.Errorf("debug: %v, %v", l, err)
	}
	_, err := LevelFromEnv(env("loud"))
	if err == nil || !strings.Contains(err.Error(), "LOG_LEVEL") || !strings.Contains(err.Error(), `"loud"`) {
		t.Errorf("bad value: error %v does not name the variable and value", err)
	}
}

// records parses the JSON lines a logger wrote.
func records(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(buf)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, sc.Text())
		}
		out = append(out, m)
	}
	return out
}

func TestNewLogger(t *testing.T) {
	t.Setenv(EnvLogLevel, "warn")
	var buf bytes.Buffer
	l := NewLogger(&buf, "enqueue")
	l.Info("not shown")
	l.Warn("shown", "job_id", "j1")
	recs := records(t, &buf)
	if len(recs) != 1 {
		t.Fatalf("got %d records, want 1: %v", len(recs), recs)
	}
	r := recs[0]
	for k, want := range map[string]any{"level": "WARN", "message": "shown", "function": "enqueue", "job_id": "j1"} {
		if r[k] != want {
			t.Errorf("%s = %v, want %v", k, r[k], want)
		}
	}
	if _, ok := r["timestamp"].(string); !ok {
		t.Errorf("no timestamp: %v", r)
	}
	if _, ok := r["msg"]; ok {
		t.Errorf("slog's msg key was not renamed: %v", r)
	}
}

func TestNewLoggerBadLevelFallsBackToInfo(t *testing.T) {
	t.Setenv(EnvLogLevel, "chatty")
	var buf bytes.Buffer
	l := NewLogger(&buf, "worker")
	l.Debug("hidden")
	l.Info("visible")
	recs := records(t, &buf)
	if len(recs) != 2 {
		t.Fatalf("got %d records, want the warning and one info: %v", len(recs), recs)
	}
	if recs[0]["level"] != "WARN" || !strings.Contains(recs[0]["err"].(string), "LOG_LEVEL") {
		t.Errorf("first record should warn about LOG_LEVEL: %v", recs[0])
	}
	if recs[1]["message"] != "visible" {
		t.Errorf("second record = %v", recs[1])
	}
}

func TestWithRequest(t *testing.T) {
	old := lambdacontext.FunctionName
	t.Cleanup(func() { lambdacontext.FunctionName = old })
	t.Setenv(EnvLogLevel, "")

	lambdacontext.FunctionName = ""
	var buf bytes.Buffer
	base := NewLogger(&buf, "revoke")
	if got := WithRequest(context.Background(), base); got != base {
		t.Error("outside Lambda WithRequest should return the logger unchanged")
	}

	lambdacontext.FunctionName = "lambdis-prod-revoke"
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "8f5e-req"})
	WithRequest(ctx, base).Info("revoked")
	recs := records(t, &buf)
	if len(recs) != 1 {
		t.Fatalf("got %v", recs)
	}
	for k, want := range map[string]any{"request_id": "8f5e-req", "function_name": "lambdis-prod-revoke", "function": "revoke"} {
		if recs[0][k] != want {
			t.Errorf("%s = %v, want %v", k, recs[0][k], want)
		}
	}
}
