package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/functions/admin/adminapi"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/queue"
)

// TestQueueCommandAndAdminAPIKeepTheSameBooks: the same redrives and purges,
// by job id and all, through `lambdis queue` on one server and through the
// admin API on another holding the same jobs, leave the same books and act
// on as many dead letters at every step.
func TestQueueCommandAndAdminAPIKeepTheSameBooks(t *testing.T) {
	cli, api := newQueueFixture(t, ""), newQueueFixture(t, "")
	h := &adminapi.Handler{Queue: api.qc}
	call := func(method, resource, body string, out any) {
		t.Helper()
		resp, err := h.Handle(context.Background(), events.APIGatewayProxyRequest{
			HTTPMethod: method, Resource: resource, Body: body,
			Path:           strings.ReplaceAll(resource, "{queue}", "billing"),
			PathParameters: map[string]string{"queue": "billing"},
			RequestContext: events.APIGatewayProxyRequestContext{Authorizer: map[string]any{
				apigw.ContextKeySubject: "root", apigw.ContextKeyScope: "admin", apigw.ContextKeyAnonymous: "false",
			}},
		})
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s %s %s: %d %s %v", method, resource, body, resp.StatusCode, resp.Body, err)
		}
		if err := json.Unmarshal([]byte(resp.Body), out); err != nil {
			t.Fatal(err)
		}
	}
	same := func(step string, cliActed, apiActed int) {
		t.Helper()
		cb, ab := cli.books(t), api.books(t)
		if cb != ab || cliActed != apiActed {
			t.Fatalf("%s: lambdis queue acted on %d, books %+v; the admin API on %d, books %+v", step, cliActed, cb, apiActed, ab)
		}
		if cb.Drift() != 0 {
			t.Fatalf("%s: drift %d", step, cb.Drift())
		}
	}
	lines := func(s string) int { return len(strings.Fields(s)) }
	var rd adminapi.RedriveResponse
	var pg adminapi.PurgeResponse

	// One by job id, with one that is no dead letter.
	unknown := "billing:ffffffffffffffffffffffffffffffff"
	code, out, _ := cli.run(t, "redrive", "billing", "--id", cli.dead[0], "--id", unknown)
	call("POST", adminapi.RouteRedrive, `{"ids":["`+api.dead[0]+`","`+unknown+`"]}`, &rd)
	if code != exitError || len(rd.Missing) != 1 {
		t.Fatalf("a missing id: exit %d, API missing %v", code, rd.Missing)
	}
	same("redrive by job id", lines(out), len(rd.Redriven))
	for _, f := range []*queueFixture{cli, api} {
		f.drain(t, func(b queue.Books) bool { return b.Backlog() == 0 && b.DeadLetters == 3 })
	}
	same("drain", 0, 0)

	code, out, _ = cli.run(t, "purge-dead", "billing", "--id", cli.dead[1])
	call("DELETE", adminapi.RouteDead, `{"ids":["`+api.dead[1]+`"]}`, &pg)
	if code != exitOK || !strings.HasPrefix(out, "1 dead letter of billing deleted") {
		t.Fatalf("purge by job id: exit %d %q", code, out)
	}
	same("purge by job id", 1, int(pg.Deleted))

	_, out, _ = cli.run(t, "redrive", "billing", "--all")
	call("POST", adminapi.RouteRedrive, "", &rd)
	same("redrive all", lines(out), len(rd.Redriven))
	for _, f := range []*queueFixture{cli, api} {
		f.drain(t, func(b queue.Books) bool { return b.Backlog() == 0 && b.DeadLetters == 2 })
	}
	same("drain", 0, 0)

	code, out, _ = cli.run(t, "purge-dead", "billing", "--all", "--yes")
	call("DELETE", adminapi.RouteDead, "", &pg)
	if code != exitOK || !strings.HasPrefix(out, "2 dead letters of billing deleted") {
		t.Fatalf("purge all: exit %d %q", code, out)
	}
	same("purge all", 2, int(pg.Deleted))
	if b := api.books(t); b.DeadLetters != 0 || b.Redriven != 3 || b.Dead != 6 {
		t.Errorf("final books %+v", b)
	}
}
