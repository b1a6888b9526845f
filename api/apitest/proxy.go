package apitest

import (
	"context"
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// headerOffContract carries the reason of OffContract; Check takes it out
// before validating.
const headerOffContract = "Apitest-Off-Contract"

// OffContract marks req as invalid under the document on purpose (a
// malformed body, a value out of range, a method the route does not take),
// for the reason why: Check validates only its response, unless the
// handler took it (2xx).
func OffContract(req events.APIGatewayProxyRequest, why string) events.APIGatewayProxyRequest {
	if why == "" {
		panic("apitest.OffContract: no reason")
	}
	h := maps.Clone(req.Headers)
	if h == nil {
		h = map[string]string{}
	}
	h[headerOffContract] = why
	req.Headers = h
	return req
}

// Handle runs handler on req and, when it answers, checks the exchange
// (Check): the one call a handler test's request helper makes.
func Handle(t testing.TB, handler func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error), req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	t.Helper()
	resp, err := handler(context.Background(), req)
	if err == nil {
		Check(t, req, resp)
	}
	return resp, err
}

// Check validates a handler's answer to req against the document, as
// Validate does; a mismatch fails t.
//
// The request is what API Gateway passes: Resource is the document's path
// (a greedy {name+} is its {name}), PathParameters its parameters, the
// query and headers those of the single- and multi-value maps. The
// authorizer ran before the handler: when RequestContext.Authorizer is set,
// the security requirements are met; else the request must carry a
// credential the document names. The response is the handler's with what
// the gateway adds to every answer (x-amzn-RequestId).
func Check(t testing.TB, req events.APIGatewayProxyRequest, resp events.APIGatewayProxyResponse) {
	t.Helper()
	if err := check(t, req, resp); err != nil {
		t.Errorf("api/openapi.yaml: %s %s → %d: %.1500v\nresponse body: %.400s", req.HTTPMethod, req.Resource, resp.StatusCode, err, resp.Body)
	}
}

// check validates a proxy exchange. Its operation is the request's
// Resource and method, as the gateway routed it; where the document has no
// such path or method the answer must be the gateway's 404 or 405.
func check(t testing.TB, req events.APIGatewayProxyRequest, resp events.APIGatewayProxyResponse) error {
	doc, _ := Load(t)
	x := Exchange{Status: resp.StatusCode, Header: header(resp.Headers, resp.MultiValueHeaders)}
	if x.Header.Get("x-amzn-RequestId") == "" {
		x.Header.Set("x-amzn-RequestId", "apitest") // the gateway's, on every answer
	}
	h := header(req.Headers, req.MultiValueHeaders)
	x.OffContract = h.Get(headerOffContract)
	h.Del(headerOffContract)
	var err error
	if x.Body, err = body(resp.Body, resp.IsBase64Encoded); err != nil {
		return fmt.Errorf("response body: %w", err)
	}
	if x.RequestBody, err = body(req.Body, req.IsBase64Encoded); err != nil {
		if x.OffContract == "" {
			return fmt.Errorf("request body: %w", err)
		}
		x.RequestBody = []byte(req.Body)
	}

	path := strings.ReplaceAll(req.Resource, "+}", "}")
	filled := path
	params := map[string]string{}
	for k, v := range req.PathParameters {
		params[k] = v
		filled = strings.ReplaceAll(filled, "{"+k+"}", url.PathEscape(v))
	}
	q := url.Values{}
	for k, vs := range req.MultiValueQueryStringParameters {
		q[k] = vs
	}
	for k, v := range req.QueryStringParameters {
		if _, ok := q[k]; !ok {
			q.Set(k, v)
		}
	}
	x.Request = &http.Request{
		Method: req.HTTPMethod, Header: h, URL: &url.URL{Path: filled, RawQuery: q.Encode()},
	}
	if len(req.RequestContext.Authorizer) > 0 {
		x.Authenticate = func(context.Context, *openapi3filter.AuthenticationInput) error { return nil }
	}

	item := doc.Paths.Value(path)
	switch {
	case item == nil:
		return noRoute(doc, x, &routers.RouteError{Reason: "no path " + path})
	case item.GetOperation(req.HTTPMethod) == nil:
		return noRoute(doc, x, &routers.RouteError{Reason: "no method " + req.HTTPMethod + " on " + path})
	}
	route := &routers.Route{Spec: doc, Path: path, PathItem: item, Method: req.HTTPMethod, Operation: item.GetOperation(req.HTTPMethod)}
	return validate(x, route, params)
}

// header merges the single- and multi-value maps of a proxy message.
func header(single map[string]string, multi map[string][]string) http.Header {
	h := http.Header{}
	for k, vs := range multi {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for k, v := range single {
		if _, ok := h[http.CanonicalHeaderKey(k)]; !ok {
			h.Set(k, v)
		}
	}
	return h
}

// body is a proxy message's body as bytes.
func body(s string, b64 bool) ([]byte, error) {
	if b64 {
		return base64.StdEncoding.DecodeString(s)
	}
	return []byte(s), nil
}
