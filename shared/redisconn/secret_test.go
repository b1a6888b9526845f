package redisconn

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/alicebob/miniredis/v2"
)

// TestFromEnvReadsSecretWithDefaultAWSConfig runs the production path end to
// end: FromEnv, no Secrets Manager given, so the real SDK client is built
// from the default AWS configuration (here: environment variables pointing
// at a local fake of the Secrets Manager endpoint).
func TestFromEnvReadsSecretWithDefaultAWSConfig(t *testing.T) {
	var calls atomic.Int32
	var gotID atomic.Value
	sm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		var in struct{ SecretId string }
		if r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" || json.NewDecoder(r.Body).Decode(&in) != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		gotID.Store(in.SecretId)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_ = json.NewEncoder(w).Encode(map[string]string{"ARN": in.SecretId, "SecretString": `{"password":"` + leak + `"}`})
	}))
	defer sm.Close()

	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_SECRETS_MANAGER": sm.URL,
		"AWS_ACCESS_KEY_ID":                "AKIDTEST",
		"AWS_SECRET_ACCESS_KEY":            "test",
		"AWS_SESSION_TOKEN":                "",
		"AWS_REGION":                       "eu-west-1",
		"AWS_PROFILE":                      "",
		"AWS_CONFIG_FILE":                  filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE":      filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":        "true",
	} {
		t.Setenv(k, v)
	}

	m := miniredis.RunT(t)
	m.RequireAuth(leak)
	for _, k := range []string{EnvAddrs, EnvPassword, EnvUsername, EnvTLS, EnvTLSServerName, EnvTLSCAFile, EnvCluster, EnvPoolSize} {
		t.Setenv(k, "")
	}
	t.Setenv(EnvURL, "redis://"+m.Addr())
	t.Setenv(EnvAuthSecretARN, testARN)

	c, err := FromEnv(context.Background())
	if err != nil {
		t.Fatalf("FromEnv() error: %v", err)
	}
	defer c.Close()
	if n := calls.Load(); n != 1 {
		t.Errorf("Secrets Manager requests = %d, want 1", n)
	}
	if id, _ := gotID.Load().(string); id != testARN {
		t.Errorf("SecretId = %q, want %q", id, testARN)
	}
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("PING: %v", err)
	}
}
