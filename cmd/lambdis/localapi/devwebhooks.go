package localapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/jobs"
)

// DevWebhookSecret signs the webhooks of a local run that configured none;
// the receiver verifies with it. Never deploy it.
const DevWebhookSecret = "lambdis-local-development-webhook-secret-not-for-production"

// DevWebhookPath is where the development receiver takes deliveries:
// POST <DevWebhookPath><name>; GET DevWebhookListPath lists them.
const (
	DevWebhookPath     = "/dev/webhooks/"
	DevWebhookListPath = "/dev/webhooks"
)

// devWebhookKeep bounds the deliveries the receiver remembers.
const devWebhookKeep = 100

// DevWebhooks is a webhook receiver for local development: the target of
// `webhook` jobs when the environment configures no webhooks, so that a
// local run can show a delivery end to end without the internet. It
// verifies each signature as a real receiver must (jobs.VerifySignature),
// answers 204 (401 for a bad signature, which the worker retries), and keeps
// the last deliveries in memory for GET /dev/webhooks.
type DevWebhooks struct {
	secret []byte
	mu     sync.Mutex
	got    []DevWebhookDelivery
}

// DevWebhookDelivery is one delivery the receiver took.
type DevWebhookDelivery struct {
	Path       string          `json:"path"`
	JobID      string          `json:"job_id"`
	Attempt    int             `json:"attempt"`
	Signature  string          `json:"signature"` // "valid", or why not
	Body       json.RawMessage `json:"body"`
	ReceivedAt string          `json:"received_at"` // RFC 3339, milliseconds
}

// WithDevWebhooks returns getenv and a receiver: when none of
// WEBHOOK_ALLOWED_URLS, WEBHOOK_SECRET and WEBHOOK_SECRET_ARN is set, getenv
// allows webhooks to baseURL+DevWebhookPath signed with DevWebhookSecret,
// and the receiver takes them; otherwise getenv itself and nil (the
// configured webhooks go where they are configured to).
func WithDevWebhooks(getenv func(string) string, baseURL string) (func(string) string, *DevWebhooks) {
	for _, k := range []string{jobs.EnvWebhookAllowedURLs, jobs.EnvWebhookSecret, jobs.EnvWebhookSecretARN} {
		if strings.TrimSpace(getenv(k)) != "" {
			return getenv, nil
		}
	}
	allowed := strings.TrimSuffix(baseURL, "/") + DevWebhookPath
	return func(k string) string {
		switch k {
		case jobs.EnvWebhookAllowedURLs:
			return allowed
		case jobs.EnvWebhookSecret:
			return DevWebhookSecret
		}
		return getenv(k)
	}, &DevWebhooks{secret: []byte(DevWebhookSecret)}
}

// Routes are the receiver's routes (none for a nil receiver), without the
// authorizer: the worker signs, it presents no token.
func (d *DevWebhooks) Routes() []Route {
	if d == nil {
		return nil
	}
	return []Route{
		{http.MethodPost, DevWebhookPath + "{name}", NoAuth, d.receive},
		{http.MethodGet, DevWebhookListPath, NoAuth, d.list},
	}
}

func header(req events.APIGatewayProxyRequest, name string) string {
	for k, v := range req.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

func (d *DevWebhooks) receive(_ context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	body := []byte(req.Body)
	sig := "valid"
	if err := jobs.VerifySignature(d.secret, header(req, jobs.HeaderSignature), body, 0, time.Now()); err != nil {
		sig = err.Error()
	}
	raw := json.RawMessage(body)
	if !json.Valid(body) {
		raw, _ = json.Marshal(req.Body)
	}
	attempt, _ := strconv.Atoi(header(req, jobs.HeaderAttempt))
	d.mu.Lock()
	d.got = append(d.got, DevWebhookDelivery{
		Path: req.Path, JobID: header(req, jobs.HeaderJobID), Attempt: attempt, Signature: sig, Body: raw,
		ReceivedAt: time.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00"),
	})
	if len(d.got) > devWebhookKeep {
		d.got = d.got[len(d.got)-devWebhookKeep:]
	}
	d.mu.Unlock()
	if sig != "valid" {
		return events.APIGatewayProxyResponse{StatusCode: http.StatusUnauthorized}, nil
	}
	return events.APIGatewayProxyResponse{StatusCode: http.StatusNoContent}, nil
}

func (d *DevWebhooks) list(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	d.mu.Lock()
	got := append([]DevWebhookDelivery{}, d.got...)
	d.mu.Unlock()
	return apigw.JSON(http.StatusOK, map[string]any{"deliveries": got}), nil
}
