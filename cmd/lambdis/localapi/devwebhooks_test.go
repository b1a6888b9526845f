package localapi

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/shared/jobs"
)

// The receiver exists only when no webhook setting is given, and then the
// environment points the webhooks at it.
func TestWithDevWebhooks(t *testing.T) {
	none := func(string) string { return "" }
	get, d := WithDevWebhooks(none, "http://127.0.0.1:3000")
	if d == nil || get(jobs.EnvWebhookAllowedURLs) != "http://127.0.0.1:3000/dev/webhooks/" || get(jobs.EnvWebhookSecret) != DevWebhookSecret {
		t.Fatalf("without settings: receiver %v, allowed %q", d, get(jobs.EnvWebhookAllowedURLs))
	}
	if _, err := jobs.ConfigFromEnv(get); err != nil {
		t.Errorf("the development settings: %v", err)
	}
	for _, k := range []string{jobs.EnvWebhookAllowedURLs, jobs.EnvWebhookSecret, jobs.EnvWebhookSecretARN} {
		set := func(key string) string {
			if key == k {
				return "x"
			}
			return ""
		}
		if get, d := WithDevWebhooks(set, "http://127.0.0.1:3000"); d != nil || d.Routes() != nil || get(jobs.EnvWebhookSecret) == DevWebhookSecret {
			t.Errorf("with %s set: a development receiver", k)
		}
	}
}

// A delivery signed with the development secret is taken (204) and listed;
// a bad signature is refused (401) and listed with the reason.
func TestDevWebhooksReceive(t *testing.T) {
	_, d := WithDevWebhooks(func(string) string { return "" }, "http://127.0.0.1:3000")
	ctx := context.Background()
	body := `{"order":42}`
	req := events.APIGatewayProxyRequest{Path: "/dev/webhooks/orders", Body: body, Headers: map[string]string{
		jobs.HeaderSignature: jobs.Sign([]byte(DevWebhookSecret), time.Now(), []byte(body)), jobs.HeaderJobID: "default:1", jobs.HeaderAttempt: "1",
	}}
	if resp, _ := d.receive(ctx, req); resp.StatusCode != 204 {
		t.Errorf("signed delivery: %d, want 204", resp.StatusCode)
	}
	req.Headers[jobs.HeaderSignature] = jobs.Sign([]byte("another-secret-of-at-least-32-bytes"), time.Now(), []byte(body))
	if resp, _ := d.receive(ctx, req); resp.StatusCode != 401 {
		t.Errorf("badly signed delivery: %d, want 401", resp.StatusCode)
	}
	resp, _ := d.list(ctx, events.APIGatewayProxyRequest{})
	var got struct{ Deliveries []DevWebhookDelivery }
	if err := json.Unmarshal([]byte(resp.Body), &got); err != nil || len(got.Deliveries) != 2 {
		t.Fatalf("list: %s (%v)", resp.Body, err)
	}
	first, second := got.Deliveries[0], got.Deliveries[1]
	if first.Signature != "valid" || first.JobID != "default:1" || first.Attempt != 1 || string(first.Body) != body || first.Path != "/dev/webhooks/orders" {
		t.Errorf("first delivery %+v", first)
	}
	if second.Signature == "valid" {
		t.Errorf("second delivery %+v, want a bad signature", second)
	}
}
