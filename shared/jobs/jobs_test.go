package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/queue"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

const testSecret = "webhook-test-secret-0123456789abcdef"

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// fakeSecrets answers GetSecretValue with one value (or an error).
type fakeSecrets struct {
	value string
	err   error
	calls int
}

func (f *fakeSecrets) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	return &secretsmanager.GetSecretValueOutput{ARN: in.SecretId, SecretString: &f.value}, nil
}

func delivery(typ, payload string) queue.Delivery {
	return queue.Delivery{ID: "jobs:0123456789abcdef0123456789abcdef", Queue: "jobs", Type: typ, Payload: json.RawMessage(payload), Attempt: 2, MaxAttempts: 5, Deliveries: 1}
}

func TestConfigFromEnv(t *testing.T) {
	cfg, err := ConfigFromEnv(env(nil))
	if err != nil || len(cfg.WebhookAllowedURLs) != 0 || cfg.WebhookTimeout != DefaultWebhookTimeout || cfg.Keys.Prefix() != keys.DefaultPrefix {
		t.Fatalf("defaults: %+v %v", cfg, err)
	}
	cfg, err = ConfigFromEnv(env(map[string]string{
		EnvWebhookAllowedURLs: " https://hooks.example.com/a/ , ,http://127.0.0.1:8080/x",
		EnvWebhookSecret:      testSecret,
		EnvWebhookTimeout:     "3s",
		"LAMBDIS_KEY_PREFIX":  "app",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.WebhookAllowedURLs, []string{"https://hooks.example.com/a/", "http://127.0.0.1:8080/x"}) ||
		string(cfg.WebhookSecret) != testSecret || cfg.WebhookTimeout != 3*time.Second || cfg.Keys.Prefix() != "app" {
		t.Fatalf("parsed %+v", cfg)
	}
}

func TestConfigFromEnvNamesTheVariable(t *testing.T) {
	const arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x"
	// with is a valid environment (webhooks on, signed) changed by kv pairs;
	// an empty value unsets the variable.
	with := func(kv ...string) map[string]string {
		e := map[string]string{EnvWebhookAllowedURLs: "https://hooks.example.com/", EnvWebhookSecret: testSecret}
		for i := 0; i+1 < len(kv); i += 2 {
			e[kv[i]] = kv[i+1]
		}
		return e
	}
	cases := []struct {
		name string
		env  map[string]string
		want string // the variable the error must name
	}{
		{"ftp scheme", with(EnvWebhookAllowedURLs, "ftp://h/"), EnvWebhookAllowedURLs},
		{"http to a public host", with(EnvWebhookAllowedURLs, "https://ok.example.com/,http://hooks.example.com/"), EnvWebhookAllowedURLs},
		{"user info", with(EnvWebhookAllowedURLs, "https://u:p@h/"), EnvWebhookAllowedURLs},
		{"query", with(EnvWebhookAllowedURLs, "https://h/x?a=1"), EnvWebhookAllowedURLs},
		{"fragment", with(EnvWebhookAllowedURLs, "https://h/x#f"), EnvWebhookAllowedURLs},
		{"dot segment", with(EnvWebhookAllowedURLs, "https://h/a/../b"), EnvWebhookAllowedURLs},
		{"relative", with(EnvWebhookAllowedURLs, "/hooks"), EnvWebhookAllowedURLs},
		{"allow-list without a secret", with(EnvWebhookSecret, ""), EnvWebhookSecret},
		{"short secret", with(EnvWebhookSecret, "too-short-secret"), EnvWebhookSecret},
		{"padded secret", with(EnvWebhookSecret, " "+testSecret), EnvWebhookSecret},
		{"both secrets", with(EnvWebhookSecretARN, arn), EnvWebhookSecretARN},
		{"timeout", with(EnvWebhookTimeout, "soon"), EnvWebhookTimeout},
		{"timeout range", with(EnvWebhookTimeout, "1h"), EnvWebhookTimeout},
		{"key prefix", with("LAMBDIS_KEY_PREFIX", "{x}"), "LAMBDIS_KEY_PREFIX"},
	}
	for _, tc := range cases {
		_, err := ConfigFromEnv(env(tc.env))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want an error naming %s", tc.name, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), testSecret) || strings.Contains(err.Error(), "too-short-secret") {
			t.Errorf("%s: the error shows the secret: %v", tc.name, err)
		}
	}
	// The ARN alone is enough (fetched by NewRegistry).
	if cfg, err := ConfigFromEnv(env(with(EnvWebhookSecret, "", EnvWebhookSecretARN, arn))); err != nil || cfg.WebhookSecretARN != arn {
		t.Fatalf("ARN: %+v %v", cfg, err)
	}
}

func TestNewRegistryTypes(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	reg, err := NewRegistry(context.Background(), Config{}, rdb, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := reg.Types(); !slices.Equal(got, []string{TypeCacheInvalidate, TypeWebhook}) {
		t.Fatalf("types %v", got)
	}
	for _, typ := range reg.Types() {
		if _, ok := reg.Handler(typ); !ok {
			t.Errorf("no handler for %s", typ)
		}
	}
	if err := reg.Validate("email", json.RawMessage(`{}`)); !errors.Is(err, queue.ErrInvalidJob) {
		t.Errorf("unknown type: %v", err)
	}
	if _, err := NewRegistry(context.Background(), Config{}, nil, nil); err == nil {
		t.Error("no Redis client accepted")
	}
}

func TestNewRegistryFetchesTheSecret(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	const arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:hooks"
	cfg := Config{WebhookAllowedURLs: []string{"https://hooks.example.com/"}, WebhookSecretARN: arn}

	sm := &fakeSecrets{value: `{"secret":"` + testSecret + `"}`}
	if _, err := NewRegistry(context.Background(), cfg, rdb, sm); err != nil || sm.calls != 1 {
		t.Fatalf("fetch: %v, %d calls", err, sm.calls)
	}
	wh, err := newWebhook(context.Background(), cfg, &fakeSecrets{value: testSecret})
	if err != nil || string(wh.secret) != testSecret {
		t.Fatalf("plain secret: %q %v", wh.secret, err)
	}
	for name, sm := range map[string]*fakeSecrets{
		"short":  {value: "short"},
		"failed": {err: errors.New("AccessDeniedException")},
	} {
		_, err := NewRegistry(context.Background(), cfg, rdb, sm)
		if err == nil || !strings.Contains(err.Error(), EnvWebhookSecretARN) {
			t.Errorf("%s secret: %v", name, err)
		}
	}
	// Webhooks disabled: nothing to sign, nothing fetched.
	sm = &fakeSecrets{err: errors.New("must not be called")}
	if _, err := NewRegistry(context.Background(), Config{WebhookSecretARN: arn}, rdb, sm); err != nil || sm.calls != 0 {
		t.Fatalf("disabled webhooks: %v, %d calls", err, sm.calls)
	}
	// Enabled without any secret: refused.
	if _, err := NewRegistry(context.Background(), Config{WebhookAllowedURLs: cfg.WebhookAllowedURLs}, rdb, nil); err == nil {
		t.Fatal("webhooks without a secret accepted")
	}
}

// registryFor is a registry over rdb with the given allow-list.
func registryFor(t *testing.T, rdb redis.UniversalClient, cfg Config) *queue.Registry {
	t.Helper()
	if cfg.WebhookSecret == nil && len(cfg.WebhookAllowedURLs) > 0 {
		cfg.WebhookSecret = []byte(testSecret)
	}
	reg, err := NewRegistry(context.Background(), cfg, rdb, nil)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func run(t *testing.T, reg *queue.Registry, ctx context.Context, d queue.Delivery) error {
	t.Helper()
	h, ok := reg.Handler(d.Type)
	if !ok {
		t.Fatalf("no handler for %s", d.Type)
	}
	return h(ctx, d)
}
