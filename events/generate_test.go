package events_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/functions/ratelimit/authorizer"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/authz"
	"github.com/lambdis/lambdis/shared/jobs"
	"github.com/lambdis/lambdis/shared/redisconn"
)

var update = flag.Bool("update", false, "rewrite the sample events (go test ./events -run TestGenerate -update)")

// Where the samples say they come from: a REST API stage in a documentation
// account, called from a documentation address.
const (
	region    = "us-east-1"
	accountID = "123456789012"
	apiID     = "abcdef1234"
	stage     = "prod"
	host      = apiID + ".execute-api." + region + ".amazonaws.com"
	sourceIP  = "203.0.113.7"
	userAgent = "curl/8.5.0"
	issuer    = "https://auth.example.com/"
)

// The env.json file: `sam local invoke --env-vars`, keyed by the logical ids
// of the functions in the template.
const (
	samParameters     = "Parameters" // applies to every function
	ratelimitFunction = "RatelimitFunction"
	revokeFunction    = "RevokeFunction"
	samRedisURL       = "redis://host.docker.internal:6379"
	sampleRateLimits  = "per_minute=5/1m" // five requests, then the over-limit sample is denied
	sampleRateLimit   = 5
)

var (
	issuedAt    = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	expiresAt   = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC) // far enough that the files never go stale
	expiredAt   = time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC)
	requestTime = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
)

// sampleToken is a token of the samples, HS256-signed with
// authz.LocalDevSecret.
type sampleToken struct {
	sub, jti string
	scopes   []string
	exp      time.Time // zero: expiresAt
}

// The tokens of the samples. Each sample that changes state in Redis has a
// token of its own, so that running one sample against a shared Redis
// spoils as few others as possible (revoke-all spoils every sample-user one).
var (
	userToken    = sampleToken{sub: "sample-user", jti: "sample-user-token", scopes: []string{"read", "write"}}
	revokedToken = sampleToken{sub: "sample-user", jti: "sample-revoked-token", scopes: []string{"read", "write"}}
	expiredToken = sampleToken{sub: "sample-user", jti: "sample-expired-token", scopes: []string{"read", "write"}, exp: expiredAt}
	selfToken    = sampleToken{sub: "sample-user", jti: "sample-self-token", scopes: []string{"read", "write"}}
	busyToken    = sampleToken{sub: "sample-busy", jti: "sample-busy-token", scopes: []string{"read", "write"}}
	adminToken   = sampleToken{sub: "sample-admin", jti: "sample-admin-token", scopes: []string{"admin"}}
	otherToken   = sampleToken{sub: "sample-other", jti: "sample-other-token", scopes: []string{"read"}}
)

func (s sampleToken) claims() authz.Claims {
	exp := s.exp
	if exp.IsZero() {
		exp = expiresAt
	}
	return authz.Claims{Subject: s.sub, Issuer: issuer, ID: s.jti, Scopes: s.scopes, IssuedAt: issuedAt, ExpiresAt: exp}
}

func (s sampleToken) sign(t testing.TB) string {
	t.Helper()
	tok, err := authz.SignHS256([]byte(authz.LocalDevSecret), s.claims(), issuedAt, 0)
	if err != nil {
		t.Fatalf("sign the %s token: %v", s.jti, err)
	}
	return tok
}

// The routes of the revoke function.
const (
	routeSelf      = "/tokens/self"
	routeRevoke    = "/tokens/revoke"
	routeRevokeAll = "/users/{sub}/revoke-all"
)

var resourceIDs = map[string]string{routeSelf: "s3lf0k", routeRevoke: "r3v0k3", routeRevokeAll: "a11rv0",
	"/jobs": "j0bs01", "/jobs/batch": "b4tch1", "/jobs/{id}": "j0b1d1"}

// Names of the sample files.
const (
	fileAllowed      = "ratelimit-allowed.json"
	fileRevoked      = "ratelimit-revoked.json"
	fileOverLimit    = "ratelimit-over-limit.json"
	fileMalformed    = "ratelimit-malformed.json"
	fileExpired      = "ratelimit-expired.json"
	fileMissing      = "ratelimit-missing-token.json"
	fileRevokeSelf   = "revoke-self.json"
	fileRevokeAdmin  = "revoke-token-admin.json"
	fileRevokeAll    = "revoke-all.json"
	fileBadBody      = "revoke-bad-body.json"
	fileForbidden    = "revoke-forbidden.json"
	fileTokensSelf   = "tokens-self.json"
	fileEnv          = "env.json"
	malformedHeader  = "Bearer not-a-jwt"
	revokeAllSubject = "sample-user"
)

// authorizerFiles are the events of RatelimitFunction; the other events are
// RevokeFunction's.
var authorizerFiles = []string{fileAllowed, fileRevoked, fileOverLimit, fileMalformed, fileExpired, fileMissing}

// generate returns every file TestGenerate writes, by name.
func generate(t testing.TB) map[string][]byte {
	t.Helper()
	bearer := func(s sampleToken) string { return "Bearer " + s.sign(t) }
	tokenBody := func(s sampleToken, extra ...string) string {
		m := map[string]string{"token": s.sign(t)}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i]] = extra[i+1]
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	samples := map[string]any{
		fileAllowed:   authorizerEvent(fileAllowed, bearer(userToken)),
		fileRevoked:   authorizerEvent(fileRevoked, bearer(revokedToken)),
		fileOverLimit: authorizerEvent(fileOverLimit, bearer(busyToken)),
		fileMalformed: authorizerEvent(fileMalformed, malformedHeader),
		fileExpired:   authorizerEvent(fileExpired, bearer(expiredToken)),
		fileMissing:   authorizerEvent(fileMissing, ""),

		fileRevokeSelf:  proxyEvent(t, fileRevokeSelf, "POST", routeRevoke, routeRevoke, nil, selfToken, bearer(selfToken), ""),
		fileRevokeAdmin: proxyEvent(t, fileRevokeAdmin, "POST", routeRevoke, routeRevoke, nil, adminToken, bearer(adminToken), tokenBody(otherToken)),
		fileRevokeAll: proxyEvent(t, fileRevokeAll, "POST", routeRevokeAll, "/users/"+revokeAllSubject+"/revoke-all",
			map[string]string{"sub": revokeAllSubject}, userToken, bearer(userToken), ""),
		// RFC 7009 clients send token_type_hint; this API accepts only "token".
		fileBadBody:    proxyEvent(t, fileBadBody, "POST", routeRevoke, routeRevoke, nil, userToken, bearer(userToken), tokenBody(userToken, "token_type_hint", "access_token")),
		fileForbidden:  proxyEvent(t, fileForbidden, "POST", routeRevoke, routeRevoke, nil, userToken, bearer(userToken), tokenBody(otherToken)),
		fileTokensSelf: proxyEvent(t, fileTokensSelf, "GET", routeSelf, routeSelf, nil, userToken, bearer(userToken), ""),

		fileEnv: envJSON(map[string]map[string]string{
			ratelimitFunction: {
				redisconn.EnvURL:         samRedisURL,
				authz.EnvJWTSecret:       authz.LocalDevSecret,
				authz.EnvMaxTokenTTL:     "0",
				authorizer.EnvRateLimits: sampleRateLimits,
			},
			revokeFunction: {
				redisconn.EnvURL:     samRedisURL,
				authz.EnvJWTSecret:   authz.LocalDevSecret,
				authz.EnvMaxTokenTTL: "0",
			},
			enqueueFunction:     enqueueEnv(),
			workerFunction:      workerEnv(),
			leaderboardFunction: leaderboardEnv(),
			sessionFunction:     sessionEnv(),
			adminFunction:       adminEnv(),
		}),
	}
	maps.Copy(samples, jobSamples(t))         // enqueue_test.go
	maps.Copy(samples, workerSamples())       // worker_test.go
	maps.Copy(samples, leaderboardSamples(t)) // leaderboard_test.go
	maps.Copy(samples, sessionSamples(t))     // session_test.go
	maps.Copy(samples, adminSamples(t))       // admin_test.go
	out := make(map[string][]byte, len(samples))
	for name, v := range samples {
		out[name] = encode(t, v)
	}
	return out
}

// samCommonEnv is env.json's Parameters: what SAM gives every function that
// declares the variable. The deployed template declares the first group from
// references (cluster mode, secret ARNs) that mean nothing locally (empty
// means unset); the second group is what the functions have in common, so
// that one edit (REDIS_URL above all) reaches every function.
func samCommonEnv() map[string]string {
	return map[string]string{
		redisconn.EnvCluster:       "false",
		redisconn.EnvPassword:      "",
		redisconn.EnvAuthSecretARN: "",
		authz.EnvJWTSecretARN:      "",
		"WEBHOOK_SECRET_ARN":       "",

		redisconn.EnvURL:           samRedisURL,
		authz.EnvJWTSecret:         authz.LocalDevSecret,
		authz.EnvMaxTokenTTL:       "0",
		jobs.EnvWebhookAllowedURLs: sampleWebhookURLs,
		jobs.EnvWebhookSecret:      sampleWebhookSecret,
	}
}

// envJSON is env.json for the functions' environments: Parameters, and per
// function only what Parameters does not already give it. SAM lets a
// function's own entry win, so a repeated setting would make an edit of
// Parameters silently miss that function.
func envJSON(fns map[string]map[string]string) map[string]map[string]string {
	common := samCommonEnv()
	out := map[string]map[string]string{samParameters: common}
	for fn, vars := range fns {
		own := map[string]string{}
		for k, v := range vars {
			if c, ok := common[k]; !ok || c != v {
				own[k] = v
			}
		}
		out[fn] = own
	}
	return out
}

func encode(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	// The events type marshals an absent client certificate as an object of
	// empty strings; API Gateway sends null.
	zero, err := json.Marshal(events.APIGatewayCustomAuthorizerRequestTypeRequestIdentityClientCert{})
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.Replace(b, append([]byte(`"clientCert":`), zero...), []byte(`"clientCert":null`), 1)
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatal(err)
	}
	out.WriteByte('\n')
	return out.Bytes()
}

// requestID is a fixed, UUID-shaped request id per sample.
func requestID(name string) string {
	h := sha256.Sum256([]byte("lambdis sample " + name))
	x := hex.EncodeToString(h[:16])
	return x[0:8] + "-" + x[8:12] + "-4" + x[13:16] + "-8" + x[17:20] + "-" + x[20:32]
}

func traceID(name string) string {
	h := sha256.Sum256([]byte("lambdis trace " + name))
	return fmt.Sprintf("Root=1-%08x-%s", requestTime.Unix(), hex.EncodeToString(h[:12]))
}

// headers are the request's headers as API Gateway hands them on, single
// and multi-valued.
func headers(name, authorization, contentType string) (map[string]string, map[string][]string) {
	h := map[string]string{
		"Accept":            "application/json",
		"Host":              host,
		"User-Agent":        userAgent,
		"X-Amzn-Trace-Id":   traceID(name),
		"X-Forwarded-For":   sourceIP,
		"X-Forwarded-Port":  "443",
		"X-Forwarded-Proto": "https",
	}
	if authorization != "" {
		h["Authorization"] = authorization
	}
	if contentType != "" {
		h["Content-Type"] = contentType
	}
	mv := make(map[string][]string, len(h))
	for k, v := range h {
		mv[k] = []string{v}
	}
	return h, mv
}

// authorizerEvent is the REQUEST authorizer's event for GET /tokens/self
// with the given Authorization header ("" for none).
func authorizerEvent(name, authorization string) events.APIGatewayCustomAuthorizerRequestTypeRequest {
	const method, path = "GET", routeSelf
	h, mv := headers(name, authorization, "")
	return events.APIGatewayCustomAuthorizerRequestTypeRequest{
		Type:              "REQUEST",
		MethodArn:         fmt.Sprintf("arn:aws:execute-api:%s:%s:%s/%s/%s%s", region, accountID, apiID, stage, method, path),
		Resource:          path,
		Path:              path,
		HTTPMethod:        method,
		Headers:           h,
		MultiValueHeaders: mv,
		PathParameters:    map[string]string{},
		RequestContext: events.APIGatewayCustomAuthorizerRequestTypeRequestContext{
			Path:         "/" + stage + path,
			AccountID:    accountID,
			ResourceID:   resourceIDs[path],
			Stage:        stage,
			RequestID:    requestID(name),
			Identity:     events.APIGatewayCustomAuthorizerRequestTypeRequestIdentity{SourceIP: sourceIP},
			ResourcePath: path,
			HTTPMethod:   method,
			APIID:        apiID,
		},
	}
}

// proxyEvent is the revoke function's event for a request the authorizer
// allowed for caller: requestContext.authorizer is the Allow's context as
// API Gateway hands it on (every value a string, plus principalId and
// integrationLatency), after the caller's first request of the minute.
func proxyEvent(t testing.TB, name, method, resource, path string, params map[string]string, caller sampleToken, authorization, body string) events.APIGatewayProxyRequest {
	t.Helper()
	contentType := ""
	if body != "" {
		contentType = "application/json"
	}
	h, mv := headers(name, authorization, contentType)
	quota := sampleRateLimit
	state := []apigw.RateLimitState{{Name: "per_minute", Quota: quota, Window: time.Minute, Remaining: quota - 1, Reset: time.Minute / time.Duration(quota)}}
	ctx, err := apigw.RateLimitContext(state)
	if err != nil {
		t.Fatal(err)
	}
	ctx[apigw.ContextKeySubject] = caller.sub
	ctx[apigw.ContextKeyJTI] = caller.jti
	ctx[apigw.ContextKeyIssuer] = issuer
	ctx[apigw.ContextKeyScope] = strings.Join(caller.scopes, " ")
	ctx[apigw.ContextKeyAnonymous] = "false"
	ctx[apigw.ContextKeyPolicy] = state[0].Name
	ctx[apigw.ContextKeyLimit] = strconv.Itoa(state[0].Quota)
	ctx[apigw.ContextKeyRemaining] = strconv.Itoa(state[0].Remaining)
	ctx[apigw.ContextKeyReset] = strconv.Itoa(int(state[0].Reset / time.Second))
	ctx["principalId"] = caller.sub
	ctx["integrationLatency"] = 4
	return events.APIGatewayProxyRequest{
		Resource:          resource,
		Path:              path,
		HTTPMethod:        method,
		Headers:           h,
		MultiValueHeaders: mv,
		PathParameters:    params,
		RequestContext: events.APIGatewayProxyRequestContext{
			AccountID:         accountID,
			ResourceID:        resourceIDs[resource],
			Stage:             stage,
			DomainName:        host,
			DomainPrefix:      apiID,
			RequestID:         requestID(name),
			ExtendedRequestID: strings.ReplaceAll(requestID(name), "-", "")[:15] + "=",
			Protocol:          "HTTP/1.1",
			Identity:          events.APIGatewayRequestIdentity{SourceIP: sourceIP, UserAgent: userAgent},
			ResourcePath:      resource,
			Path:              "/" + stage + path,
			Authorizer:        ctx,
			HTTPMethod:        method,
			RequestTime:       requestTime.Format("02/Jan/2006:15:04:05 -0700"),
			RequestTimeEpoch:  requestTime.UnixMilli(),
			APIID:             apiID,
		},
		Body: body,
	}
}

// TestGenerate checks that the files in events/ are what this file makes;
// with -update it writes them.
func TestGenerate(t *testing.T) {
	files := generate(t)
	for name, want := range files {
		if *update {
			if err := os.WriteFile(name, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(name)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("events/%s differs from what generate_test.go makes (%v); run: go test ./events -run TestGenerate -update", name, err)
		}
	}
	onDisk, err := filepath.Glob("*.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range onDisk {
		if _, ok := files[name]; !ok {
			t.Errorf("events/%s is not made by generate_test.go: add it there or remove it", name)
		}
	}
	if len(onDisk) == 0 && !*update {
		t.Error("no events/*.json; run: go test ./events -run TestGenerate -update")
	}
}

// sampleFiles returns the names of the sample events of the authorizer and
// the revoke function (not env.json, nor the job and worker samples, which
// enqueue_test.go and worker_test.go check), sorted.
func sampleFiles(t testing.TB) []string {
	t.Helper()
	var out []string
	for name := range generate(t) {
		if name != fileEnv && !slices.Contains(jobFiles, name) && !slices.Contains(workerFiles, name) &&
			!slices.Contains(leaderboardFiles, name) && !slices.Contains(sessionFiles, name) && !slices.Contains(adminFiles, name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}
