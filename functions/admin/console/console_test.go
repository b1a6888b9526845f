package console

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/api/apitest"
)

func get(t *testing.T, resource, path string, params map[string]string, header map[string]string) events.APIGatewayProxyResponse {
	t.Helper()
	return handle(t, events.APIGatewayProxyRequest{
		HTTPMethod: http.MethodGet, Resource: resource, Path: path, PathParameters: params, Headers: header,
	})
}

// handle runs req and holds the answer to api/openapi.yaml.
func handle(t *testing.T, req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	t.Helper()
	resp, err := Handle(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	apitest.Check(t, req, resp)
	return resp
}

// The page and every asset it loads are served, as text, with the policy
// that allows the page its own origin only; what is not an asset is a 404.
func TestServesThePageAndItsAssets(t *testing.T) {
	page := get(t, RoutePage, "/console", nil, nil)
	if page.StatusCode != 200 || page.Headers["Content-Type"] != "text/html; charset=utf-8" || !strings.Contains(page.Body, `<script type="module" src="console/app.js">`) {
		t.Fatalf("page: %d %v\n%s", page.StatusCode, page.Headers, page.Body)
	}
	if csp := page.Headers["Content-Security-Policy"]; !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "connect-src 'self'") || strings.Contains(csp, "unsafe") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	// Every file the page and the modules name is an asset, served as text.
	refs := regexp.MustCompile(`(?:src|href)="console/([^"]+)"|from '\./([^']+)'`)
	seen := map[string]bool{}
	todo := []string{page.Body}
	for len(todo) > 0 {
		body := todo[0]
		todo = todo[1:]
		for _, m := range refs.FindAllStringSubmatch(body, -1) {
			name := m[1] + m[2]
			if seen[name] {
				continue
			}
			seen[name] = true
			r := get(t, RouteAsset, "/console/"+name, map[string]string{"asset": name}, nil)
			if r.StatusCode != 200 || r.IsBase64Encoded || !utf8.ValidString(r.Body) || !strings.HasPrefix(r.Headers["Content-Type"], "text/") {
				t.Errorf("%s: %d base64=%v %v", name, r.StatusCode, r.IsBase64Encoded, r.Headers)
			}
			todo = append(todo, r.Body)
		}
	}
	if len(seen) != len(assets)-1 {
		t.Errorf("the page loads %d files, the package embeds %d besides the page: %v", len(seen), len(assets)-1, seen)
	}
	for _, name := range []string{"nope.js", "index.html", "../console.go", "app"} {
		req := events.APIGatewayProxyRequest{HTTPMethod: http.MethodGet, Resource: RouteAsset, Path: "/console/" + name, PathParameters: map[string]string{"asset": name}}
		if r := handle(t, apitest.OffContract(req, "not an asset")); r.StatusCode != 404 {
			t.Errorf("%s: %d, want 404", name, r.StatusCode)
		}
	}
}

// A browser revalidates: the ETag answers 304.
func TestETag(t *testing.T) {
	first := get(t, RouteAsset, "/console/app.js", map[string]string{"asset": "app.js"}, nil)
	etag := first.Headers["ETag"]
	if etag == "" || first.Headers["Cache-Control"] != "no-cache" {
		t.Fatalf("headers %v", first.Headers)
	}
	again := get(t, RouteAsset, "/console/app.js", map[string]string{"asset": "app.js"}, map[string]string{"if-none-match": `W/"x", ` + etag})
	if again.StatusCode != http.StatusNotModified || again.Body != "" {
		t.Errorf("revalidation: %d, body %d bytes", again.StatusCode, len(again.Body))
	}
	if other := get(t, RouteAsset, "/console/app.js", map[string]string{"asset": "app.js"}, map[string]string{"If-None-Match": `"x"`}); other.StatusCode != 200 {
		t.Errorf("a stale ETag: %d", other.StatusCode)
	}
}

// /console/ is redirected to /console, against which the page's relative
// references resolve (under a stage prefix too).
func TestTrailingSlashRedirects(t *testing.T) {
	r := get(t, RoutePage, "/console/", nil, nil)
	if r.StatusCode != http.StatusPermanentRedirect || r.Headers["Location"] != "../console" {
		t.Errorf("%d %v", r.StatusCode, r.Headers)
	}
}

// Mount serves the console's routes and passes the others on.
func TestMount(t *testing.T) {
	var passed []string
	h := Mount(func(_ context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		passed = append(passed, req.Resource)
		return events.APIGatewayProxyResponse{StatusCode: 204}, nil
	})
	for _, c := range []struct {
		resource string
		status   int
	}{{RoutePage, 200}, {RouteAsset, 200}, {"/admin/queues", 204}} {
		resp, err := h(context.Background(), events.APIGatewayProxyRequest{HTTPMethod: "GET", Resource: c.resource, Path: "/console", PathParameters: map[string]string{"asset": "app.js"}})
		if err != nil || resp.StatusCode != c.status {
			t.Errorf("%s: %d %v, want %d", c.resource, resp.StatusCode, err, c.status)
		}
	}
	if len(passed) != 1 || passed[0] != "/admin/queues" {
		t.Errorf("passed on %v", passed)
	}
	resp, _ := h(context.Background(), events.APIGatewayProxyRequest{HTTPMethod: "POST", Resource: RoutePage, Path: "/console"})
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Headers["Allow"] != "GET" {
		t.Errorf("POST: %d %v", resp.StatusCode, resp.Headers)
	}
}
