package localapi

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// The fixed identity of the local API, as it appears in ARNs and request
// contexts.
const (
	Region    = "us-east-1"
	AccountID = "123456789012"
	APIID     = "local"
	Stage     = "local"
)

// request is what the gateway knows about one HTTP request once it has been
// routed and its body read: the common part of the authorizer event and the
// proxy event.
type request struct {
	method     string
	path       string // as the client sent it (escaped)
	resource   string
	headers    map[string]string
	mvHeaders  map[string][]string
	query      map[string]string
	mvQuery    map[string][]string
	pathParams map[string]string
	sourceIP   string
	userAgent  string
	host       string
	protocol   string
	requestID  string
	received   time.Time
	body       string
	base64Body bool
	resourceID string
}

// newRequest gathers the event fields from r. The source IP is the TCP
// peer's: X-Forwarded-For and similar headers are passed on, never trusted.
func newRequest(r *http.Request, res *resource, params map[string]string, requestID string, body []byte, received time.Time) request {
	ip := r.RemoteAddr
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		ip = h
	}
	req := request{
		method:     r.Method,
		path:       r.URL.EscapedPath(),
		resource:   res.template,
		pathParams: params,
		sourceIP:   ip,
		userAgent:  r.UserAgent(),
		host:       r.Host,
		protocol:   r.Proto,
		requestID:  requestID,
		received:   received,
		resourceID: resourceID(res.template),
	}
	req.headers, req.mvHeaders = gatewayHeaders(r, ip)
	// The query was checked by the caller (gatewayQuery cannot fail here).
	req.query, req.mvQuery, _ = gatewayQuery(r.URL.RawQuery)
	if utf8.Valid(body) {
		req.body = string(body)
	} else {
		req.body, req.base64Body = base64.StdEncoding.EncodeToString(body), true
	}
	return req
}

// gatewayHeaders returns the request headers as API Gateway passes them on:
// the last value of each in headers, all of them in multiValueHeaders, plus
// Host (which net/http keeps apart) and the X-Forwarded-* headers the gateway
// adds, with the peer's address appended to X-Forwarded-For. Names are in Go's
// canonical form, not the client's spelling.
func gatewayHeaders(r *http.Request, ip string) (map[string]string, map[string][]string) {
	mv := make(map[string][]string, len(r.Header)+4)
	for k, vs := range r.Header {
		mv[k] = append([]string(nil), vs...)
	}
	if r.Host != "" {
		mv["Host"] = []string{r.Host}
	}
	xff := ip
	if prev := r.Header.Values("X-Forwarded-For"); len(prev) > 0 {
		xff = strings.Join(prev, ", ") + ", " + ip
	}
	mv["X-Forwarded-For"] = []string{xff}
	mv["X-Forwarded-Proto"] = []string{"http"}
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if _, port, err := net.SplitHostPort(la.String()); err == nil {
			mv["X-Forwarded-Port"] = []string{port}
		}
	}
	single := make(map[string]string, len(mv))
	for k, vs := range mv {
		single[k] = vs[len(vs)-1]
	}
	return single, mv
}

// methodARN is the ARN API Gateway gives the authorizer for this call.
func (r request) methodARN() string {
	return fmt.Sprintf("arn:aws:execute-api:%s:%s:%s/%s/%s/%s",
		Region, AccountID, APIID, Stage, r.method, strings.TrimPrefix(r.path, "/"))
}

// authorizerEvent is the event of a REQUEST authorizer.
func (r request) authorizerEvent() events.APIGatewayCustomAuthorizerRequestTypeRequest {
	return events.APIGatewayCustomAuthorizerRequestTypeRequest{
		Type:                            "REQUEST",
		MethodArn:                       r.methodARN(),
		Resource:                        r.resource,
		Path:                            r.path,
		HTTPMethod:                      r.method,
		Headers:                         r.headers,
		MultiValueHeaders:               r.mvHeaders,
		QueryStringParameters:           r.query,
		MultiValueQueryStringParameters: r.mvQuery,
		PathParameters:                  r.pathParams,
		RequestContext: events.APIGatewayCustomAuthorizerRequestTypeRequestContext{
			Path:         "/" + Stage + r.path,
			AccountID:    AccountID,
			ResourceID:   r.resourceID,
			Stage:        Stage,
			RequestID:    r.requestID,
			Identity:     events.APIGatewayCustomAuthorizerRequestTypeRequestIdentity{SourceIP: r.sourceIP},
			ResourcePath: r.resource,
			HTTPMethod:   r.method,
			APIID:        APIID,
		},
	}
}

// proxyEvent is the event of a Lambda proxy integration; authCtx is the
// authorizer context as the gateway hands it on (nil without an authorizer).
func (r request) proxyEvent(authCtx map[string]any) events.APIGatewayProxyRequest {
	return events.APIGatewayProxyRequest{
		Resource:                        r.resource,
		Path:                            r.path,
		HTTPMethod:                      r.method,
		Headers:                         r.headers,
		MultiValueHeaders:               r.mvHeaders,
		QueryStringParameters:           r.query,
		MultiValueQueryStringParameters: r.mvQuery,
		PathParameters:                  r.pathParams,
		Body:                            r.body,
		IsBase64Encoded:                 r.base64Body,
		RequestContext: events.APIGatewayProxyRequestContext{
			AccountID:         AccountID,
			ResourceID:        r.resourceID,
			Stage:             Stage,
			DomainName:        r.host,
			DomainPrefix:      domainPrefix(r.host),
			RequestID:         r.requestID,
			ExtendedRequestID: r.requestID,
			Protocol:          r.protocol,
			Identity:          events.APIGatewayRequestIdentity{SourceIP: r.sourceIP, UserAgent: r.userAgent},
			ResourcePath:      r.resource,
			Path:              "/" + Stage + r.path,
			Authorizer:        authCtx,
			HTTPMethod:        r.method,
			RequestTime:       r.received.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			RequestTimeEpoch:  r.received.UnixMilli(),
			APIID:             APIID,
		},
	}
}

// gatewayContext turns an authorizer's context into what the integration
// receives: every value a string (numbers and booleans formatted, as API
// Gateway does), plus principalId and integrationLatency (milliseconds). A
// value that is not a string, number or boolean is an authorizer
// configuration error in API Gateway, and an error here.
func gatewayContext(resp events.APIGatewayCustomAuthorizerResponse, latency time.Duration) (map[string]any, error) {
	out := make(map[string]any, len(resp.Context)+2)
	for k, v := range resp.Context {
		s, err := contextValue(v)
		if err != nil {
			return nil, fmt.Errorf("authorizer context key %q: %w", k, err)
		}
		out[k] = s
	}
	out["principalId"] = resp.PrincipalID
	out["integrationLatency"] = latency.Milliseconds()
	return out, nil
}

func contextValue(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case json.Number:
		return x.String(), nil
	case nil:
		return "", nil
	}
	return "", fmt.Errorf("value of type %T: API Gateway accepts only strings, numbers and booleans", v)
}

// roundTrip passes v through JSON, as the Lambda runtime does between the
// gateway and the function: the function sees what it would see deployed
// (numbers as float64, nil maps as null).
func roundTrip[T any](v T) (T, error) {
	var out T
	b, err := json.Marshal(v)
	if err != nil {
		return out, err
	}
	err = json.Unmarshal(b, &out)
	return out, err
}

// newRequestID returns a random version-4 UUID.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand, Go ≥ 1.24)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// resourceID is a stable short id for a resource template, like the ids API
// Gateway gives resources.
func resourceID(template string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(template))
	return strconv.FormatUint(uint64(h.Sum32())%(36*36*36*36*36*36), 36)
}

func domainPrefix(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	prefix, _, _ := strings.Cut(host, ".")
	return prefix
}
