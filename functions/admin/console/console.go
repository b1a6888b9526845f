package console

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/shared/apigw"
)

// The routes of the console, as the API defines them: no authorizer.
const (
	RoutePage  = "/console"
	RouteAsset = "/console/{asset+}"
)

// page is the asset served at RoutePage.
const page = "index.html"

//go:embed assets
var embedded embed.FS

// assets are the files under assets/, by name, with their ETag.
var assets = func() map[string]asset {
	out := map[string]asset{}
	err := fs.WalkDir(embedded, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := embedded.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out[strings.TrimPrefix(p, "assets/")] = asset{body: string(b), etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		return nil
	})
	if err != nil {
		panic("console: reading the embedded assets: " + err.Error())
	}
	return out
}()

type asset struct {
	body string
	etag string
}

// contentTypes are the media types of the assets, by extension: text only.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
}

// securityPolicy allows the page its own scripts, styles and API only.
const securityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Mount returns a Lambda proxy handler that serves the console's routes and
// passes every other request to next: the admin function serves both.
func Mount(next func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error)) func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	return func(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		if req.Resource == RoutePage || req.Resource == RouteAsset {
			return Handle(ctx, req)
		}
		return next(ctx, req)
	}
}

// Handle serves the page and its assets.
func Handle(_ context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	if req.HTTPMethod != http.MethodGet {
		r := apigw.ProblemResponse(apigw.TypeMethodNotAllowed.New("Use GET."))
		r.Headers["Allow"] = http.MethodGet
		return r, nil
	}
	name := page
	switch req.Resource {
	case RoutePage:
		if strings.HasSuffix(req.Path, "/") {
			// Relative references resolve against /console, not /console/.
			return events.APIGatewayProxyResponse{StatusCode: http.StatusPermanentRedirect,
				Headers: map[string]string{"Location": "../console", "Cache-Control": "no-cache"}}, nil
		}
	case RouteAsset:
		name = req.PathParameters["asset"]
	default:
		return apigw.NotFound("No such route."), nil
	}
	a, ok := assets[name]
	ctype, known := contentTypes[path.Ext(name)]
	if !ok || !known || name == page && req.Resource != RoutePage {
		return apigw.NotFound("The console has no file " + name + "."), nil
	}
	h := map[string]string{
		"Content-Type":            ctype,
		"Cache-Control":           "no-cache",
		"ETag":                    a.etag,
		"Content-Security-Policy": securityPolicy,
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
	}
	if match(header(req, "If-None-Match"), a.etag) {
		return events.APIGatewayProxyResponse{StatusCode: http.StatusNotModified, Headers: h}, nil
	}
	return events.APIGatewayProxyResponse{StatusCode: http.StatusOK, Headers: h, Body: a.body}, nil
}

// match reports whether an If-None-Match value names etag.
func match(ifNoneMatch, etag string) bool {
	for _, v := range strings.Split(ifNoneMatch, ",") {
		v = strings.TrimPrefix(strings.TrimSpace(v), "W/")
		if v == etag || v == "*" {
			return true
		}
	}
	return false
}

func header(req events.APIGatewayProxyRequest, name string) string {
	for k, v := range req.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}
