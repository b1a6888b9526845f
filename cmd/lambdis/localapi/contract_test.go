package localapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/lambdis/lambdis/api"
	"github.com/lambdis/lambdis/cmd/lambdis/localapi"
)

// The contract: every request the tests send to a server of start, and
// every response it answers, is validated against api/openapi.yaml with
// kin-openapi's openapi3filter. A request the document calls invalid fails
// the test unless the test marks it as sent so on purpose (offContract) and
// the server refused it; every response is validated, its status included.

// contract is the document and a router over it, loaded once.
var contract struct {
	once   sync.Once
	doc    *openapi3.T
	router routers.Router
	err    error
}

func loadContract(t testing.TB) (*openapi3.T, routers.Router) {
	t.Helper()
	contract.once.Do(func() {
		// The console's page and files are text the validator reads as
		// strings (their schema is type: string).
		for _, ct := range []string{"text/html", "text/css", "text/javascript"} {
			openapi3filter.RegisterBodyDecoder(ct, openapi3filter.PlainBodyDecoder)
		}
		doc, err := openapi3.NewLoader().LoadFromData(api.YAML)
		if err != nil {
			contract.err = fmt.Errorf("load api/openapi.yaml: %w", err)
			return
		}
		// Route on paths alone: the tests' servers listen on free ports.
		doc.Servers = nil
		contract.doc = doc
		contract.router, contract.err = legacy.NewRouter(doc)
	})
	if contract.err != nil {
		t.Fatal(contract.err)
	}
	return contract.doc, contract.router
}

type offContractKey struct{}

// offContract marks req as invalid under the document on purpose (a
// hostile or malformed request, a missing credential): only the response is
// validated.
func offContract(req *http.Request, why string) *http.Request {
	return req.WithContext(context.WithValue(req.Context(), offContractKey{}, why))
}

// contractTransport validates every exchange that goes through it.
type contractTransport struct {
	t    testing.TB
	base http.RoundTripper
	// fixtures are the routes a test added (Config.Routes): not part of the
	// API, so not validated.
	fixtures []localapi.Route
}

func (c *contractTransport) CloseIdleConnections() {
	if ci, ok := c.base.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

func (c *contractTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		reqBody = b
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	resp, err := c.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	respBody, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	if err := c.check(req, reqBody, resp, respBody); err != nil {
		c.t.Errorf("api/openapi.yaml: %s %s → %d: %.1500v\nresponse body: %.400s", req.Method, req.URL.RequestURI(), resp.StatusCode, err, respBody)
	}
	return resp, nil
}

// check validates one exchange.
func (c *contractTransport) check(req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) error {
	doc, router := loadContract(c.t)
	for _, f := range c.fixtures {
		if templateMatches(f.Resource, req.URL.EscapedPath()) {
			return nil
		}
	}
	vreq := req.Clone(context.Background())
	vreq.Body = io.NopCloser(bytes.NewReader(reqBody))
	if len(reqBody) > 0 {
		// The functions read a body as JSON whatever its Content-Type (curl
		// -d sends a form type); the document says so and lists JSON.
		vreq.Header.Set("Content-Type", "application/json")
	}
	route, params, err := findRoute(router, req)
	if err != nil {
		// No operation: the gateway's 404 or 405, a problem.
		want := map[int]string{404: "NotFoundProblem", 405: "MethodNotAllowedProblem"}[resp.StatusCode]
		var re *routers.RouteError
		if want == "" || !errors.As(err, &re) {
			return fmt.Errorf("no operation of the document (%v), and the answer is not the gateway's 404 or 405", err)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
			return fmt.Errorf("Content-Type %q, want application/problem+json", ct)
		}
		var v any
		if err := json.Unmarshal(respBody, &v); err != nil {
			return err
		}
		return doc.Components.Schemas[want].Value.VisitJSON(v, openapi3.EnableJSONSchema2020())
	}
	opts := &openapi3filter.Options{
		MultiError:         true,
		AuthenticationFunc: credentialPresent,
	}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: opts}
	why, off := req.Context().Value(offContractKey{}).(string)
	if off && why == "" {
		return errors.New("offContract without a reason")
	}
	// A request sent invalid on purpose is still checked when the server
	// took it (2xx): the document may not refuse what the code accepts.
	if !off || resp.StatusCode < 300 {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			return fmt.Errorf("request: %w", err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(respBody)),
		Options:                &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		return fmt.Errorf("response: %w", err)
	}
	return nil
}

// credentialPresent is the authentication of the contract: the request
// carries the credential the security scheme names (whether it is valid is
// the authorizer's business).
func credentialPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	req := in.RequestValidationInput.Request
	switch s := in.SecurityScheme; {
	case s.Type == "http":
		name, _, _ := strings.Cut(req.Header.Get("Authorization"), " ")
		if !strings.EqualFold(name, s.Scheme) {
			return fmt.Errorf("no Authorization: %s", s.Scheme)
		}
	case s.Type == "apiKey" && s.In == "cookie":
		if _, err := req.Cookie(s.Name); err != nil {
			return fmt.Errorf("no cookie %s", s.Name)
		}
	default:
		return fmt.Errorf("security scheme %s: not checked by these tests", in.SecuritySchemeName)
	}
	return nil
}

// templateMatches reports whether an escaped path matches a resource
// template of the local API ({name} one segment, a last {name+} the rest).
func templateMatches(template, path string) bool {
	ts := strings.Split(strings.Trim(template, "/"), "/")
	ps := strings.Split(strings.Trim(path, "/"), "/")
	for i, seg := range ts {
		if strings.HasSuffix(seg, "+}") {
			return len(ps) > i
		}
		if i >= len(ps) || (!strings.HasPrefix(seg, "{") && seg != ps[i]) {
			return false
		}
	}
	return len(ts) == len(ps)
}

// findRoute finds req's operation. It matches on the escaped path, as the
// gateway does (an escaped '/' stays in its segment), then unescapes the
// parameters.
func findRoute(router routers.Router, req *http.Request) (*routers.Route, map[string]string, error) {
	match := *req.URL
	match.Path, match.RawPath = req.URL.EscapedPath(), ""
	route, params, err := router.FindRoute(&http.Request{Method: req.Method, URL: &match})
	if err != nil {
		return nil, nil, err
	}
	for k, v := range params {
		if params[k], err = url.PathUnescape(v); err != nil {
			return nil, nil, fmt.Errorf("path parameter %s: %w", k, err)
		}
	}
	return route, params, nil
}
