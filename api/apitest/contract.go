package apitest

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
)

// contract is the document and a router over it, loaded once.
var contract struct {
	once   sync.Once
	doc    *openapi3.T
	router routers.Router
	err    error
}

// Load returns the document and a router over its paths (its servers are
// left out: tests listen on free ports). It is loaded once.
func Load(t testing.TB) (*openapi3.T, routers.Router) {
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
		doc.Servers = nil
		contract.doc = doc
		contract.router, contract.err = legacy.NewRouter(doc)
	})
	if contract.err != nil {
		t.Fatal(contract.err)
	}
	return contract.doc, contract.router
}

// Exchange is a request and the response it got.
type Exchange struct {
	Request     *http.Request
	RequestBody []byte
	// OffContract, when not empty, says why the request is invalid under
	// the document on purpose: it is validated only if it was taken (2xx).
	OffContract string
	// Authenticate decides the security requirements; nil is
	// CredentialPresent.
	Authenticate openapi3filter.AuthenticationFunc

	Status int
	Header http.Header
	Body   []byte
}

// Validate validates x against the document: the request (unless it is
// off the contract and was refused) and the response, its status included.
// A request no operation takes must have got the gateway's 404 or 405.
func Validate(t testing.TB, x Exchange) error {
	t.Helper()
	doc, router := Load(t)
	route, params, err := FindRoute(router, x.Request)
	if err != nil {
		return noRoute(doc, x, err)
	}
	return validate(x, route, params)
}

// validate validates x as a request to route.
func validate(x Exchange, route *routers.Route, params map[string]string) error {
	vreq := x.Request.Clone(context.Background())
	vreq.Body = io.NopCloser(bytes.NewReader(x.RequestBody))
	if len(x.RequestBody) > 0 {
		// The functions read a body as JSON whatever its Content-Type (curl
		// -d sends a form type); the document says so and lists JSON.
		vreq.Header.Set("Content-Type", "application/json")
	}
	auth := x.Authenticate
	if auth == nil {
		auth = CredentialPresent
	}
	in := &openapi3filter.RequestValidationInput{
		Request: vreq, PathParams: params, Route: route,
		Options: &openapi3filter.Options{MultiError: true, AuthenticationFunc: auth},
	}
	// A request sent invalid on purpose is still checked when it was taken
	// (2xx): the document may not refuse what the code accepts.
	if x.OffContract == "" || x.Status < 300 {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			return fmt.Errorf("request: %w", err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 x.Status,
		Header:                 x.Header,
		Body:                   io.NopCloser(bytes.NewReader(x.Body)),
		Options:                &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		return fmt.Errorf("response: %w", err)
	}
	return nil
}

// noRoute validates the answer to a request no operation takes: the
// gateway's 404 or 405, a problem.
func noRoute(doc *openapi3.T, x Exchange, err error) error {
	want := map[int]string{404: "NotFoundProblem", 405: "MethodNotAllowedProblem"}[x.Status]
	var re *routers.RouteError
	if want == "" || !errors.As(err, &re) {
		return fmt.Errorf("no operation of the document (%v), and the answer is not the gateway's 404 or 405", err)
	}
	if ct := x.Header.Get("Content-Type"); ct != "application/problem+json" {
		return fmt.Errorf("Content-Type %q, want application/problem+json", ct)
	}
	var v any
	if err := json.Unmarshal(x.Body, &v); err != nil {
		return err
	}
	return doc.Components.Schemas[want].Value.VisitJSON(v, openapi3.EnableJSONSchema2020())
}

// CredentialPresent is the authentication of the tests: the request
// carries the credential the security scheme names (whether it is valid is
// the authorizer's business).
func CredentialPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
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

// FindRoute finds req's operation. It matches on the escaped path, as the
// gateway does (an escaped '/' stays in its segment), then unescapes the
// parameters.
func FindRoute(router routers.Router, req *http.Request) (*routers.Route, map[string]string, error) {
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
