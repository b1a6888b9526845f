package telemetry

import (
	"bytes"
	"strings"
	"testing"
)

func TestSetupNamesBadVariables(t *testing.T) {
	for name, val := range map[string]string{EnvLogLevel: "loud", EnvMetricsNamespace: "AWS/Lambda"} {
		_, _, err := Setup(&bytes.Buffer{}, "fn", func(k string) string {
			if k == name {
				return val
			}
			return ""
		})
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: %v", name, val, err)
		}
	}
	var out bytes.Buffer
	log, m, err := Setup(&out, "fn", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	log.Info("hello")
	m.Count("Calls", 1)
	if err := m.Flush(&out); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, `"function":"fn"`) || !strings.Contains(s, `"Function":"fn"`) || !strings.Contains(s, `"Namespace":"Lambdis"`) {
		t.Fatalf("output %s", s)
	}
}
