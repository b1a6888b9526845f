package events_test

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/functions/admin/console"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/lambdis/lambdis/shared/rietest"
)

// TestConsoleUnderEmulator: the admin function's bootstrap serves the web
// console's page and a script, as API Gateway invokes it for the console's
// routes, which have no authorizer (so the event has no authorizer context).
func TestConsoleUnderEmulator(t *testing.T) {
	bin := rietest.Build(t, "admin")
	srv := redistest.StartServer(t)
	fn := rietest.Start(t, bin, functionEnv(t, adminFunction, srv.Addr))
	for _, c := range []struct {
		resource, path, asset, contentType string
	}{
		{console.RoutePage, "/console", "", "text/html; charset=utf-8"},
		{console.RouteAsset, "/console/app.js", "app.js", "text/javascript; charset=utf-8"},
	} {
		ev := events.APIGatewayProxyRequest{Resource: c.resource, Path: c.path, HTTPMethod: "GET"}
		if c.asset != "" {
			ev.PathParameters = map[string]string{"asset": c.asset}
		}
		payload, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		resp := invoke[events.APIGatewayProxyResponse](t, fn, "admin", payload)
		if resp.StatusCode != 200 || resp.Headers["Content-Type"] != c.contentType || resp.IsBase64Encoded || resp.Body == "" {
			t.Errorf("GET %s: %d %v base64=%v, %d bytes", c.path, resp.StatusCode, resp.Headers, resp.IsBase64Encoded, len(resp.Body))
		}
	}
}
