package jobsapi

import (
	"maps"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/api/apitest"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/redis/go-redis/v9"
)

// withScope gives req the scope claim scope.
func withScope(req events.APIGatewayProxyRequest, scope string) events.APIGatewayProxyRequest {
	a := maps.Clone(req.RequestContext.Authorizer)
	a[apigw.ContextKeyScope] = scope
	req.RequestContext.Authorizer = a
	return req
}

// Issue 12, item 4: a job is visible to the caller that enqueued it (same
// issuer and subject) and to the admin scope; to anyone else it is the same
// 404 as an unknown id, byte for byte.
func TestJobVisibleToItsOwnerOnly(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		f := newFixture(t, rdb)
		body := `{"queue":"hooks","type":"webhook","payload":{"url":"` + hookURL + `orders","body":{"order":42}}}`
		single := f.enqueued(t, postKey(body, "alice-secret-key"))
		batch := f.enqueued(t, post(`{"queue":"hooks","type":"cache.invalidate","payload":{"keys":["lambdis:cache:a"]}}`))
		status, b, _ := f.do(t, request("POST", RouteBatch, `{"jobs":[{"queue":"hooks","type":"cache.invalidate","payload":{"keys":["lambdis:cache:b"]},"idempotency_key":"k1"}]}`, nil))
		if status != 202 {
			t.Fatalf("batch: %d %v", status, b)
		}
		batched := b["jobs"].([]any)[0].(map[string]any)["id"].(string)

		unknown := "hooks:" + strings.Repeat("0", 32)
		_, _, missing := f.do(t, getJob(unknown))
		if missing.StatusCode != 404 {
			t.Fatalf("unknown id: %d %s", missing.StatusCode, missing.Body)
		}
		for _, id := range []string{single.ID, batch.ID, batched} {
			if rec := f.record(t, id); rec.ID != id {
				t.Fatalf("owner reads %s: %+v", id, rec)
			}
			for _, who := range [][2]string{{"bob", ""}, {"alice", "https://other.example"}, {"Alice", ""}} {
				_, _, resp := f.do(t, as(getJob(id), who[0], who[1]))
				if resp.StatusCode != 404 || resp.Body != missing.Body || resp.Headers["Content-Type"] != missing.Headers["Content-Type"] {
					t.Fatalf("%v reads alice's %s: %d %s, want the unknown id's 404 %s", who, id, resp.StatusCode, resp.Body, missing.Body)
				}
			}
			if status, b, _ := f.do(t, withScope(as(getJob(id), "bob", ""), "jobs admin")); status != 200 || b["id"] != id {
				t.Fatalf("admin reads %s: %d %v", id, status, b)
			}
		}
		// The owner's record never shows the owner.
		if _, b, _ := f.do(t, getJob(single.ID)); b["owner"] != nil || b["idempotency_key"] != "alice-secret-key" {
			t.Fatalf("owner's view %v", b)
		}
		// A batch from bob with alice's key makes bob's job: its answer never
		// names alice's.
		status, b, _ = f.do(t, as(request("POST", RouteBatch, `{"jobs":[{"queue":"hooks","type":"cache.invalidate","payload":{"keys":["lambdis:cache:b"]},"idempotency_key":"k1"}]}`, nil), "bob", ""))
		if status != 202 || b["jobs"].([]any)[0].(map[string]any)["id"] == batched {
			t.Fatalf("bob's batch with alice's key: %d %v", status, b)
		}
	})
}

// Issue 12, item 1: a webhook payload that names url twice, or URL and url,
// is refused at enqueue, with the pointer of the member.
func TestJobPayloadIsStrict(t *testing.T) {
	_, rdb := redistest.Miniredis(t)
	f := newFixture(t, rdb)
	for body, ptr := range map[string]string{
		`{"queue":"hooks","type":"webhook","payload":{"url":"https://hooks.example.com/NOTALLOWED","url":"` + hookURL + `ok","body":{}}}`: "/payload/url",
		`{"queue":"hooks","type":"webhook","payload":{"URL":"https://hooks.example.com/NOTALLOWED","url":"` + hookURL + `ok","body":{}}}`: "/payload/URL",
		`{"queue":"hooks","type":"webhook","payload":{"url":"` + hookURL + `ok","body":{"a":{"x":1,"x":2}}}}`:                             "/payload/body/a/x",
		`{"queue":"hooks","type":"webhook","QUEUE":"x","payload":{"url":"` + hookURL + `ok","body":{}}}`:                                  "/QUEUE",
	} {
		status, b, _ := f.do(t, apitest.OffContract(post(body), "a payload the job type refuses"))
		if status != 400 {
			t.Errorf("%s: %d %v", body, status, b)
			continue
		}
		errs, _ := b["errors"].([]any)
		if len(errs) == 0 || errs[0].(map[string]any)["pointer"] != ptr {
			t.Errorf("%s: errors %v, want pointer %s", body, b["errors"], ptr)
		}
	}
}
