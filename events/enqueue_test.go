package events_test

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/functions/enqueue/jobsapi"
	"github.com/lambdis/lambdis/functions/enqueue/lambdawake"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/jobs"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/queue"
	"github.com/lambdis/lambdis/shared/redisconn"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/lambdis/lambdis/shared/rietest"
	"github.com/redis/go-redis/v9"
)

// The samples of the enqueue function (EnqueueFunction). They are made by
// jobSamples (through generate), checked here rather than by the
// ratelimit/revoke tests (sampleFiles leaves them out).
const (
	enqueueFunction  = "EnqueueFunction"
	fileEnqueueJob   = "enqueue-job.json"
	fileEnqueueBatch = "enqueue-batch.json"
	fileJobStatus    = "job-status.json"

	// The webhook allow-list and secret of env.json: a documentation host
	// and a secret that says what it is.
	sampleWebhookURLs   = "https://hooks.example.com/lambdis/"
	sampleWebhookSecret = "lambdis-sample-webhook-secret-not-for-production"
	// sampleIdempotencyKey is enqueue-job.json's Idempotency-Key.
	sampleIdempotencyKey = "sample-order-42"
	// sampleJobID is job-status.json's id: well formed, never enqueued
	// (ids are random), so the sample answers 404 until it is replaced by
	// an id that enqueue-job.json answered.
	sampleJobID = "orders:5a3f0c1e9b7d4a2f8e6c1b0a9d8e7f6a"
)

// jobFiles are the events of EnqueueFunction.
var jobFiles = []string{fileEnqueueBatch, fileEnqueueJob, fileJobStatus}

// jobsToken is the caller of the job samples, a subject of its own so that
// the revoke samples (revoke-all spoils every sample-user token) do not
// touch it.
var jobsToken = sampleToken{sub: "sample-jobs", jti: "sample-jobs-token", scopes: []string{"jobs"}}

// enqueueEnv is what env.json gives EnqueueFunction (envJSON moves what
// the functions share into Parameters). ENQUEUE_WAKE_FUNCTION is blanked:
// the template names the deployed worker, which sam local invoke must not
// try to wake (the wake tests set it to the stand-in).
func enqueueEnv() map[string]string {
	return map[string]string{
		lambdawake.EnvFunction:     "",
		redisconn.EnvURL:           samRedisURL,
		jobs.EnvWebhookAllowedURLs: sampleWebhookURLs,
		jobs.EnvWebhookSecret:      sampleWebhookSecret,
	}
}

// jobSamples returns the job events by name.
func jobSamples(t testing.TB) map[string]any {
	t.Helper()
	bearer := "Bearer " + jobsToken.sign(t)
	job := proxyEvent(t, fileEnqueueJob, "POST", jobsapi.RouteEnqueue, jobsapi.RouteEnqueue, nil, jobsToken, bearer,
		`{"queue":"orders","type":"webhook","payload":{"url":"https://hooks.example.com/lambdis/orders","body":{"order":42,"status":"paid"}},"delay":"30s"}`)
	job.Headers[jobsapi.HeaderIdempotencyKey] = sampleIdempotencyKey
	job.MultiValueHeaders[jobsapi.HeaderIdempotencyKey] = []string{sampleIdempotencyKey}
	// The delayed second delete of the cache-aside pattern, and a webhook
	// with its own idempotency key, in one request.
	batch := proxyEvent(t, fileEnqueueBatch, "POST", jobsapi.RouteBatch, jobsapi.RouteBatch, nil, jobsToken, bearer,
		`{"jobs":[`+
			`{"queue":"cache","type":"cache.invalidate","payload":{"keys":["lambdis:cache:{user:42}","lambdis:cache:{user:42}:profile"]},"delay":"5s","max_attempts":3},`+
			`{"queue":"orders","type":"webhook","payload":{"url":"https://hooks.example.com/lambdis/orders","body":{"order":43,"status":"paid"},"headers":{"X-Tenant":"acme"}},"idempotency_key":"sample-order-43"}`+
			`]}`)
	status := proxyEvent(t, fileJobStatus, "GET", jobsapi.RouteStatus, jobsapi.StatusURL(sampleJobID),
		map[string]string{"id": sampleJobID}, jobsToken, bearer, "")
	return map[string]any{fileEnqueueJob: job, fileEnqueueBatch: batch, fileJobStatus: status}
}

// TestJobSamples decodes the job events strictly, checks their caller and
// that their bodies are what the enqueue function accepts.
func TestJobSamples(t *testing.T) {
	v := devVerifier(t)
	for _, name := range jobFiles {
		t.Run(name, func(t *testing.T) {
			ev := proxySample(t, name)
			if !slices.Contains([]string{jobsapi.RouteEnqueue, jobsapi.RouteBatch, jobsapi.RouteStatus}, ev.Resource) {
				t.Errorf("resource %q is not a route of the enqueue function", ev.Resource)
			}
			id := proxyCaller(t, ev)
			raw := strings.TrimPrefix(authorization(t, name, ev.Headers, ev.MultiValueHeaders), "Bearer ")
			c, err := v.Verify(context.Background(), raw)
			if err != nil || c.Subject != jobsToken.sub || c.ID != jobsToken.jti || c.Issuer != issuer {
				t.Fatalf("Authorization token %+v: %v", c, err)
			}
			if id.Subject != c.Subject || id.JTI != c.ID || !slices.Equal(id.Scopes, c.Scopes) || id.Anonymous {
				t.Errorf("authorizer context %+v does not match the Authorization token %+v", id, c)
			}
			if ev.Body != "" && !json.Valid([]byte(ev.Body)) {
				t.Errorf("body is not JSON: %s", ev.Body)
			}
		})
	}
}

// jobStack is the enqueue function under the emulator, on a fresh
// redis-server.
type jobStack struct {
	redis   *redis.Client
	q       *queue.Client
	enqueue *rietest.Emulator
}

func (s *jobStack) call(t *testing.T, payload []byte) events.APIGatewayProxyResponse {
	t.Helper()
	return invoke[events.APIGatewayProxyResponse](t, s.enqueue, "enqueue", payload)
}

// withBody is the sample name with its body replaced.
func withBody(t *testing.T, name, body string) []byte {
	t.Helper()
	ev := proxySample(t, name)
	ev.Body = body
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// statusEvent is job-status.json asking for id.
func statusEvent(t *testing.T, id string) []byte {
	t.Helper()
	ev := proxySample(t, fileJobStatus)
	ev.PathParameters["id"] = id
	ev.Path = jobsapi.StatusURL(id)
	ev.RequestContext.Path = "/" + stage + ev.Path
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEnqueueUnderEmulator runs the real enqueue bootstrap under
// aws-lambda-rie, as `sam local invoke` does, on a real redis-server, and
// checks each job sample's answer against README.md and the server.
func TestEnqueueUnderEmulator(t *testing.T) {
	bin := rietest.Build(t, "enqueue")
	ctx := context.Background()

	cases := map[string]func(t *testing.T, s *jobStack){
		fileEnqueueJob: func(t *testing.T, s *jobStack) {
			payload := readSample(t, fileEnqueueJob)
			var first, again jobsapi.EnqueueResponse
			jsonBody(t, s.call(t, payload), 202, apigw.JSONContentType, &first)
			if q, err := queue.QueueOf(first.ID); err != nil || q != "orders" || first.StatusURL != "/jobs/"+url.PathEscape(first.ID) || first.Duplicate {
				t.Fatalf("enqueue-job = %+v (%v)", first, err)
			}
			resp := s.call(t, payload) // the same Idempotency-Key: the same job
			jsonBody(t, resp, 202, apigw.JSONContentType, &again)
			if again.ID != first.ID || !again.Duplicate {
				t.Errorf("second enqueue-job = %+v, want the first job (%s) as a duplicate", again, first.ID)
			}
			if resp.Headers[apigw.HeaderRateLimit] != `"per_minute";r=4;t=12` {
				t.Errorf("RateLimit header %q, want the authorizer context's", resp.Headers[apigw.HeaderRateLimit])
			}
			rec, err := s.q.Status(ctx, first.ID)
			if err != nil || rec.State != queue.StateDelayed || rec.Type != jobs.TypeWebhook || rec.IdempotencyKey != sampleIdempotencyKey ||
				rec.RunAt == nil || rec.RunAt.Sub(rec.CreatedAt) != 30*time.Second {
				t.Fatalf("the job in Redis: %+v (%v)", rec, err)
			}
			b, err := s.q.Books(ctx, "orders")
			if err != nil || b.Enqueued != 2 || b.Deduplicated != 1 || b.Delayed != 1 || b.Drift() != 0 {
				t.Fatalf("books %+v (%v)", b, err)
			}
			// The same key for another job: 422, nothing written.
			size := s.redis.DBSize(ctx).Val()
			other := withBody(t, fileEnqueueJob, `{"queue":"orders","type":"webhook","payload":{"url":"https://hooks.example.com/lambdis/orders","body":{"order":42,"status":"refunded"}}}`)
			problem(t, s.call(t, other), apigw.TypeUnprocessable)
			if n := s.redis.DBSize(ctx).Val(); n != size {
				t.Errorf("a conflicting key wrote %d keys", n-size)
			}
		},
		fileEnqueueBatch: func(t *testing.T, s *jobStack) {
			var got jobsapi.BatchResponse
			jsonBody(t, s.call(t, readSample(t, fileEnqueueBatch)), 202, apigw.JSONContentType, &got)
			if len(got.Jobs) != 2 {
				t.Fatalf("enqueue-batch = %+v, want two jobs", got)
			}
			want := []struct{ queue, typ, state string }{
				{"cache", jobs.TypeCacheInvalidate, queue.StateDelayed},
				{"orders", jobs.TypeWebhook, queue.StateQueued},
			}
			for i, r := range got.Jobs {
				if r.Error != nil || r.StatusURL != jobsapi.StatusURL(r.ID) || r.Duplicate {
					t.Fatalf("job %d: %+v", i, r)
				}
				rec, err := s.q.Status(ctx, r.ID)
				if err != nil || rec.Queue != want[i].queue || rec.Type != want[i].typ || rec.State != want[i].state {
					t.Errorf("job %d in Redis: %+v (%v), want %+v", i, rec, err, want[i])
				}
			}
		},
		fileJobStatus: func(t *testing.T, s *jobStack) {
			p := problem(t, s.call(t, readSample(t, fileJobStatus)), apigw.TypeNotFound)
			if p.Detail == "" {
				t.Error("404 without a detail")
			}
			var e jobsapi.EnqueueResponse
			jsonBody(t, s.call(t, readSample(t, fileEnqueueJob)), 202, apigw.JSONContentType, &e)
			var rec queue.Record
			jsonBody(t, s.call(t, statusEvent(t, e.ID)), 200, apigw.JSONContentType, &rec)
			if rec.ID != e.ID || rec.Queue != "orders" || rec.Type != jobs.TypeWebhook || rec.State != queue.StateDelayed ||
				rec.Attempts != 0 || rec.MaxAttempts != queue.DefaultAttempts || rec.RunAt == nil || rec.IdempotencyKey != sampleIdempotencyKey {
				t.Errorf("job-status = %+v", rec)
			}
		},
	}

	for _, name := range jobFiles {
		check, ok := cases[name]
		if !ok {
			t.Errorf("events/%s has no check under the emulator: add one to TestEnqueueUnderEmulator and README.md", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			check(t, newJobStack(t, bin))
		})
	}

	// Bad input under the emulator: 400, and the server holds no key.
	t.Run("bad input", func(t *testing.T) {
		t.Parallel()
		s := newJobStack(t, bin)
		for _, body := range []string{
			`{"queue":"a{b}","type":"cache.invalidate","payload":{"keys":["lambdis:cache:a"]}}`,
			`{"queue":"orders","type":"webhook","payload":{"url":"https://evil.example.net/","body":{}}}`,
			`{"queue":"orders","type":"cache.invalidate","payload":{"keys":["lambdis:auth:{u:sample-jobs}:revoked"]}}`,
			`{"queue":"orders","type":"email","payload":{}}`,
			`{"queue":"orders","type":"cache.invalidate","payload":{"keys":["lambdis:cache:a"]},"delay":"-5s"}`,
			`{"queue":"orders","type":"cache.invalidate","payload":{"keys":["lambdis:cache:a"]},"max_attempts":0}`,
		} {
			resp := s.call(t, withBody(t, fileEnqueueJob, body))
			if resp.StatusCode != 400 || resp.Headers["Content-Type"] != apigw.ProblemContentType {
				t.Errorf("%s: %d %s", body, resp.StatusCode, resp.Body)
			}
		}
		problem(t, s.call(t, withBody(t, fileEnqueueJob, `{"queue":"orders"`)), apigw.TypeInvalidJSON)
		if n := s.redis.DBSize(ctx).Val(); n != 0 {
			t.Fatalf("bad input wrote %d keys", n)
		}
	})
}

func newJobStack(t *testing.T, bin string) *jobStack {
	t.Helper()
	srv := redistest.StartServer(t)
	rdb := srv.Client(t)
	env := functionEnv(t, enqueueFunction, srv.Addr)
	if !slices.ContainsFunc(env, func(kv string) bool { return strings.HasPrefix(kv, jobs.EnvWebhookSecret+"=") }) {
		t.Fatalf("env.json %s has no %s: %v", enqueueFunction, jobs.EnvWebhookSecret, env)
	}
	return &jobStack{redis: rdb, q: queue.NewClient(rdb, keys.Builder{}, 0), enqueue: rietest.Start(t, bin, env)}
}

// TestJobSamplesEnv checks what env.json gives EnqueueFunction: what the
// enqueue function reads.
func TestJobSamplesEnv(t *testing.T) {
	vars := fnEnvHas(t, enqueueFunction, enqueueEnv())
	if _, err := jobs.ConfigFromEnv(func(k string) string { return vars[k] }); err != nil {
		t.Fatalf("env.json %s: %v", enqueueFunction, err)
	}
}
