package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// fakeSecretsManager is an HTTP server speaking just enough of the Secrets
// Manager JSON protocol for GetSecretValue.
func fakeSecretsManager(t *testing.T, secret string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if got := r.Header.Get("X-Amz-Target"); got != "secretsmanager.GetSecretValue" {
			http.Error(w, "unexpected target "+got, http.StatusBadRequest)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var in struct{ SecretId string }
		if err := json.Unmarshal(body, &in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_ = json.NewEncoder(w).Encode(map[string]string{"ARN": in.SecretId, "SecretString": secret})
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestLazyClientBuildsOnFirstCallOnly(t *testing.T) {
	srv, calls := fakeSecretsManager(t, `{"password":"from-aws"}`)
	var loads int
	l := &LazyClient{LoadConfig: func(context.Context) (aws.Config, error) {
		loads++
		return aws.Config{
			Region:       "us-east-1",
			Credentials:  aws.AnonymousCredentials{},
			BaseEndpoint: aws.String(srv.URL),
		}, nil
	}}
	if loads != 0 {
		t.Fatalf("config loaded %d times before any call, want 0", loads)
	}
	for i := 0; i < 2; i++ {
		got, err := Fetch(context.Background(), l, testARN, "password")
		if err != nil || got != "from-aws" {
			t.Fatalf("Fetch #%d = %q, %v; want %q, nil", i+1, got, err, "from-aws")
		}
	}
	if loads != 1 {
		t.Errorf("config loaded %d times, want 1", loads)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("server saw %d requests, want 2", n)
	}
}

func TestLazyClientRetriesFailedLoad(t *testing.T) {
	boom := errors.New("no config")
	var loads int
	l := &LazyClient{LoadConfig: func(context.Context) (aws.Config, error) {
		loads++
		return aws.Config{}, boom
	}}
	for i := 0; i < 2; i++ {
		_, err := Fetch(context.Background(), l, testARN, "password")
		if !errors.Is(err, boom) {
			t.Fatalf("Fetch #%d error = %v, want it to wrap %v", i+1, err, boom)
		}
		if !strings.Contains(err.Error(), testARN) || !strings.Contains(err.Error(), "load default AWS config") {
			t.Errorf("Fetch error = %q, want the ARN and the failed step", err)
		}
	}
	if loads != 2 {
		t.Errorf("config loaded %d times, want 2 (failures are not remembered)", loads)
	}
}
