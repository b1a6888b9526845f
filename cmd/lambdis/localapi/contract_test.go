package localapi_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/lambdis/lambdis/api/apitest"
	"github.com/lambdis/lambdis/cmd/lambdis/localapi"
)

// The contract: every request the tests send to a server of start, and
// every response it answers, is validated against api/openapi.yaml by
// api/apitest. A request the document calls invalid fails the test unless
// the test marks it as sent so on purpose (offContract) and the server
// refused it; every response is validated, its status included.

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

// check validates one exchange (api/apitest).
func (c *contractTransport) check(req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) error {
	for _, f := range c.fixtures {
		if templateMatches(f.Resource, req.URL.EscapedPath()) {
			return nil
		}
	}
	why, off := req.Context().Value(offContractKey{}).(string)
	if off && why == "" {
		return errors.New("offContract without a reason")
	}
	return apitest.Validate(c.t, apitest.Exchange{
		Request: req, RequestBody: reqBody, OffContract: why,
		Status: resp.StatusCode, Header: resp.Header, Body: respBody,
	})
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
