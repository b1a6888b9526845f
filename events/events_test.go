package events_test

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/functions/revoke/revocation"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/authz"
	"github.com/lambdis/lambdis/shared/keys"
	"github.com/lambdis/lambdis/shared/redisconn"
	"github.com/lambdis/lambdis/shared/redistest"
	"github.com/lambdis/lambdis/shared/rietest"
	"github.com/lambdis/lambdis/shared/telemetry"
	"github.com/redis/go-redis/v9"
)

func TestMain(m *testing.M) { rietest.Main(m) }

// stack is the two functions, each under its own emulator, on a Redis of
// their own: every subtest gets a fresh one, so their order does not matter.
type stack struct {
	redis      *redis.Client
	authorizer *rietest.Emulator
	revoke     *rietest.Emulator
	// answer is the last invocation's answer, as sam prints it.
	answer []byte
}

// samEnv is what SAM gives fn from env.json: the Parameters, then the
// function's own entry (which wins). Like SAM, for the variables the
// template declares; here, every one of them.
func samEnv(t testing.TB, fn string) map[string]string {
	t.Helper()
	var all map[string]map[string]string
	if err := decodeStrict(readSample(t, fileEnv), &all); err != nil {
		t.Fatalf("events/env.json: %v", err)
	}
	own, ok := all[fn]
	if !ok {
		t.Fatalf("events/env.json has no %s", fn)
	}
	vars := maps.Clone(all[samParameters])
	maps.Copy(vars, own)
	return vars
}

// functionEnv is fn's environment: env.json's, with REDIS_URL pointing at
// the test's server, and debug logs.
func functionEnv(t testing.TB, fn, redisAddr string) []string {
	t.Helper()
	vars := samEnv(t, fn)
	vars[redisconn.EnvURL] = "redis://" + redisAddr
	vars[telemetry.EnvLogLevel] = "debug"
	var env []string
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		env = append(env, k+"="+vars[k])
	}
	return env
}

// A setting in env.json's Parameters is in no function's entry: SAM lets
// the function's entry win, so a repeat would make an edit of Parameters
// (REDIS_URL, say) silently miss that function.
func TestEnvJSONFunctionsRepeatNoParameter(t *testing.T) {
	var all map[string]map[string]string
	if err := decodeStrict(readSample(t, fileEnv), &all); err != nil {
		t.Fatalf("events/env.json: %v", err)
	}
	common, ok := all[samParameters]
	if !ok || common[redisconn.EnvURL] == "" {
		t.Fatalf("events/env.json: Parameters %v, want one with %s", common, redisconn.EnvURL)
	}
	for fn, own := range all {
		if fn == samParameters {
			continue
		}
		for k := range own {
			if _, ok := common[k]; ok {
				t.Errorf("events/env.json: %s repeats %s, a setting of Parameters", fn, k)
			}
		}
	}
}

// fnEnvHas checks that SAM gives fn every variable of want, with its value.
func fnEnvHas(t *testing.T, fn string, want map[string]string) map[string]string {
	t.Helper()
	got := samEnv(t, fn)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("env.json gives %s %s=%q, want %q", fn, k, got[k], v)
		}
	}
	return got
}

func newStack(t *testing.T, ratelimitBin, revokeBin string) *stack {
	t.Helper()
	srv := redistest.StartServer(t)
	return &stack{
		redis:      srv.Client(t),
		authorizer: rietest.Start(t, ratelimitBin, functionEnv(t, ratelimitFunction, srv.Addr)),
		revoke:     rietest.Start(t, revokeBin, functionEnv(t, revokeFunction, srv.Addr)),
	}
}

// authorize invokes the authorizer: its answer, or the function error.
func (s *stack) authorize(t *testing.T, payload []byte) (events.APIGatewayCustomAuthorizerResponse, *rietest.FunctionError) {
	t.Helper()
	status, body := s.authorizer.Invoke(t, payload)
	if status != 200 {
		t.Fatalf("authorizer: emulator status %d, body %s", status, body)
	}
	s.answer = body
	if fe, ok := rietest.AsFunctionError(body); ok {
		return events.APIGatewayCustomAuthorizerResponse{}, fe
	}
	var resp events.APIGatewayCustomAuthorizerResponse
	if err := decodeStrict(body, &resp); err != nil {
		t.Fatalf("authorizer answer %s: %v", body, err)
	}
	return resp, nil
}

// allow expects an Allow for the whole stage, for sub.
func (s *stack) allow(t *testing.T, payload []byte, sub string) events.APIGatewayCustomAuthorizerResponse {
	t.Helper()
	resp, fe := s.authorize(t, payload)
	if fe != nil {
		t.Fatalf("authorizer: function error %v, want Allow for %s", fe, sub)
	}
	stageARN := "arn:aws:execute-api:" + region + ":" + accountID + ":" + apiID + "/" + stage + "/*"
	checkPolicy(t, resp, "Allow", stageARN)
	if resp.PrincipalID != sub || resp.Context[apigw.ContextKeySubject] != sub {
		t.Errorf("Allow for principal %q, context sub %v; want %q", resp.PrincipalID, resp.Context[apigw.ContextKeySubject], sub)
	}
	return resp
}

// unauthorized expects the error API Gateway answers 401 for.
func (s *stack) unauthorized(t *testing.T, payload []byte) {
	t.Helper()
	resp, fe := s.authorize(t, payload)
	if fe == nil {
		t.Fatalf("authorizer answered %+v, want the error \"Unauthorized\"", resp)
	}
	if fe.Message != "Unauthorized" {
		t.Errorf("authorizer error %q, want exactly \"Unauthorized\" (API Gateway's 401)", fe.Message)
	}
}

func checkPolicy(t *testing.T, resp events.APIGatewayCustomAuthorizerResponse, effect, resource string) {
	t.Helper()
	doc := resp.PolicyDocument
	if doc.Version != "2012-10-17" || len(doc.Statement) != 1 {
		t.Fatalf("policy %+v, want one statement", doc)
	}
	st := doc.Statement[0]
	if st.Effect != effect || !slices.Equal(st.Action, []string{"execute-api:Invoke"}) || !slices.Equal(st.Resource, []string{resource}) {
		t.Errorf("statement %+v, want %s execute-api:Invoke on %s", st, effect, resource)
	}
}

// call invokes the revoke function; a function error fails the test (the
// integration answers every request itself).
func (s *stack) call(t *testing.T, payload []byte) events.APIGatewayProxyResponse {
	t.Helper()
	status, body := s.revoke.Invoke(t, payload)
	if fe, ok := rietest.AsFunctionError(body); ok || status != 200 {
		t.Fatalf("revoke: emulator status %d, function error %v, body %s", status, fe, body)
	}
	s.answer = body
	var resp events.APIGatewayProxyResponse
	if err := decodeStrict(body, &resp); err != nil {
		t.Fatalf("revoke answer %s: %v", body, err)
	}
	return resp
}

// jsonBody checks the response's status and content type and decodes its
// body strictly into v.
func jsonBody(t *testing.T, resp events.APIGatewayProxyResponse, status int, contentType string, v any) {
	t.Helper()
	if resp.StatusCode != status || resp.Headers["Content-Type"] != contentType {
		t.Fatalf("answer %d %q %s, want %d %s", resp.StatusCode, resp.Headers["Content-Type"], resp.Body, status, contentType)
	}
	if err := decodeStrict([]byte(resp.Body), v); err != nil {
		t.Fatalf("answer body %s: %v", resp.Body, err)
	}
}

// problem expects an application/problem+json answer of type pt.
func problem(t *testing.T, resp events.APIGatewayProxyResponse, pt apigw.ProblemType) apigw.Problem {
	t.Helper()
	var p apigw.Problem
	if resp.StatusCode != pt.Status() || resp.Headers["Content-Type"] != apigw.ProblemContentType {
		t.Fatalf("answer %d %q %s, want %d %s", resp.StatusCode, resp.Headers["Content-Type"], resp.Body, pt.Status(), apigw.ProblemContentType)
	}
	if err := json.Unmarshal([]byte(resp.Body), &p); err != nil {
		t.Fatalf("problem %s: %v", resp.Body, err)
	}
	if p.Type != pt.URI() || p.Status != pt.Status() {
		t.Errorf("problem type %q status %d, want %q %d", p.Type, p.Status, pt.URI(), pt.Status())
	}
	return p
}

// authorizerEventFor is ratelimit-allowed.json with the Authorization
// header of the revoke sample name: the authorizer's view of that caller.
func authorizerEventFor(t *testing.T, name string) []byte {
	t.Helper()
	auth := proxySample(t, name).Headers["Authorization"]
	ev := authorizerSample(t, fileAllowed)
	ev.Headers["Authorization"] = auth
	ev.MultiValueHeaders["Authorization"] = []string{auth}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// bodyTokenEvent is ratelimit-allowed.json carrying the token in the body
// of the revoke sample name.
func bodyTokenEvent(t *testing.T, name string) []byte {
	t.Helper()
	var body struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal([]byte(proxySample(t, name).Body), &body); err != nil {
		t.Fatal(err)
	}
	ev := authorizerSample(t, fileAllowed)
	ev.Headers["Authorization"] = "Bearer " + body.Token
	ev.MultiValueHeaders["Authorization"] = []string{"Bearer " + body.Token}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestUnderEmulator runs the real bootstraps under aws-lambda-rie, as `sam
// local invoke` does, and checks each sample's answer against README.md.
func TestUnderEmulator(t *testing.T) {
	ratelimitBin := rietest.Build(t, "ratelimit")
	revokeBin := rietest.Build(t, "revoke")

	cases := map[string]func(t *testing.T, s *stack){
		fileAllowed: func(t *testing.T, s *stack) {
			resp := s.allow(t, readSample(t, fileAllowed), userToken.sub)
			want := map[string]any{
				apigw.ContextKeySubject: userToken.sub, apigw.ContextKeyJTI: userToken.jti,
				apigw.ContextKeyIssuer: issuer, apigw.ContextKeyScope: "read write", apigw.ContextKeyAnonymous: "false",
				apigw.ContextKeyRateLimit:       `"per_minute";r=4;t=12`,
				apigw.ContextKeyRateLimitPolicy: `"per_minute";q=5;w=60`,
				apigw.ContextKeyPolicy:          "per_minute", apigw.ContextKeyLimit: "5",
				apigw.ContextKeyRemaining: "4", apigw.ContextKeyReset: "12",
			}
			if !maps.Equal(resp.Context, want) {
				t.Errorf("Allow context\n got %v\nwant %v", resp.Context, want)
			}
			matchDocumented(t, fileAllowed, s.answer)
		},
		fileRevoked: func(t *testing.T, s *stack) {
			payload := readSample(t, fileRevoked)
			s.allow(t, payload, revokedToken.sub) // valid until revoked
			ev := authorizerSample(t, fileRevoked)
			raw, err := authz.BearerToken(ev.Headers["Authorization"])
			if err != nil {
				t.Fatal(err)
			}
			c, err := devVerifier(t).Verify(context.Background(), raw)
			if err != nil || c.ID != "sample-revoked-token" {
				t.Fatalf("the sample token: %+v, %v", c, err)
			}
			store, err := authz.NewStore(s.redis, keys.Builder{}, authz.StoreConfig{MaxTokenTTL: authz.Unbounded})
			if err != nil {
				t.Fatal(err)
			}
			if err := store.Revoke(context.Background(), c.Subject, c.Issuer, c.ID, c.ExpiresAt); err != nil {
				t.Fatal(err)
			}
			s.unauthorized(t, payload)
		},
		fileOverLimit: func(t *testing.T, s *stack) {
			payload := readSample(t, fileOverLimit)
			for i := 1; i <= sampleRateLimit; i++ {
				resp := s.allow(t, payload, busyToken.sub)
				if got, want := resp.Context[apigw.ContextKeyRemaining], strconv.Itoa(sampleRateLimit-i); got != want {
					t.Errorf("request %d: remaining %v, want %s", i, got, want)
				}
			}
			resp, fe := s.authorize(t, payload)
			if fe != nil {
				t.Fatalf("request %d: function error %v, want Deny", sampleRateLimit+1, fe)
			}
			checkPolicy(t, resp, "Deny", authorizerSample(t, fileOverLimit).MethodArn)
			retry, err := strconv.Atoi(resp.Context[apigw.ContextKeyRetryAfter].(string))
			if err != nil || retry < 1 || retry > 60 {
				t.Errorf("Deny retry_after %v, want 1 to 60 seconds (context %v)", resp.Context[apigw.ContextKeyRetryAfter], resp.Context)
			}
			if resp.Context[apigw.ContextKeyPolicy] != "per_minute" || resp.Context[apigw.ContextKeyRemaining] != "0" {
				t.Errorf("Deny context %v, want policy per_minute with 0 remaining", resp.Context)
			}
		},
		fileMalformed: func(t *testing.T, s *stack) { s.unauthorized(t, readSample(t, fileMalformed)) },
		fileExpired:   func(t *testing.T, s *stack) { s.unauthorized(t, readSample(t, fileExpired)) },
		fileMissing:   func(t *testing.T, s *stack) { s.unauthorized(t, readSample(t, fileMissing)) },

		fileRevokeSelf: func(t *testing.T, s *stack) {
			selfAuth := authorizerEventFor(t, fileRevokeSelf)
			s.allow(t, selfAuth, selfToken.sub)
			resp := s.call(t, readSample(t, fileRevokeSelf))
			var got revocation.RevokeResponse
			jsonBody(t, resp, 200, apigw.JSONContentType, &got)
			want := revocation.RevokeResponse{Revoked: true, Subject: selfToken.sub, TokenID: selfToken.jti, Until: "2100-01-01T00:00:00Z"}
			if got != want {
				t.Errorf("revoke-self = %+v, want %+v", got, want)
			}
			matchDocumented(t, fileRevokeSelf, s.answer)
			if resp.Headers[apigw.HeaderRateLimit] != `"per_minute";r=4;t=12` {
				t.Errorf("RateLimit header %q, want the authorizer context's", resp.Headers[apigw.HeaderRateLimit])
			}
			s.unauthorized(t, selfAuth)
			s.allow(t, readSample(t, fileAllowed), userToken.sub) // the user's other tokens still work
		},
		fileRevokeAdmin: func(t *testing.T, s *stack) {
			otherAuth := bodyTokenEvent(t, fileRevokeAdmin)
			s.allow(t, otherAuth, otherToken.sub)
			var got revocation.RevokeResponse
			jsonBody(t, s.call(t, readSample(t, fileRevokeAdmin)), 200, apigw.JSONContentType, &got)
			want := revocation.RevokeResponse{Revoked: true, Subject: otherToken.sub, TokenID: otherToken.jti, Until: "2100-01-01T00:00:00Z"}
			if got != want {
				t.Errorf("revoke-token-admin = %+v, want %+v", got, want)
			}
			matchDocumented(t, fileRevokeAdmin, s.answer)
			s.unauthorized(t, otherAuth)
		},
		fileRevokeAll: func(t *testing.T, s *stack) {
			allowed := readSample(t, fileAllowed)
			s.allow(t, allowed, userToken.sub)
			before := time.Now().Add(-2 * time.Second)
			var got revocation.RevokeAllResponse
			jsonBody(t, s.call(t, readSample(t, fileRevokeAll)), 200, apigw.JSONContentType, &got)
			nbf, err := time.Parse(time.RFC3339, got.NotBefore)
			// not_before is the cut-off: now plus the leeway (JWT_LEEWAY
			// unset: authz.DefaultEnvLeeway), which covers tokens minted
			// up to the leeway ahead.
			leeway := authz.DefaultEnvLeeway
			if got.Subject != revokeAllSubject || err != nil || nbf.Before(before.Add(leeway)) || nbf.After(time.Now().Add(leeway+2*time.Second)) {
				t.Errorf("revoke-all = %+v (%v), want sample-user and not_before about now + %v", got, err, leeway)
			}
			matchDocumented(t, fileRevokeAll, s.answer)
			s.unauthorized(t, allowed)
			s.unauthorized(t, authorizerEventFor(t, fileTokensSelf))
			s.allow(t, readSample(t, fileOverLimit), busyToken.sub) // other subjects are untouched
		},
		fileBadBody: func(t *testing.T, s *stack) {
			p := problem(t, s.call(t, readSample(t, fileBadBody)), apigw.TypeInvalidJSON)
			if p.Detail != `/token_type_hint: unknown member` {
				t.Errorf("detail %q, want it to name token_type_hint", p.Detail)
			}
			matchDocumented(t, fileBadBody, s.answer)
			s.allow(t, readSample(t, fileAllowed), userToken.sub) // nothing was revoked
		},
		fileForbidden: func(t *testing.T, s *stack) {
			problem(t, s.call(t, readSample(t, fileForbidden)), apigw.TypeForbidden)
			s.allow(t, bodyTokenEvent(t, fileForbidden), otherToken.sub) // nothing was revoked
		},
		fileTokensSelf: func(t *testing.T, s *stack) {
			var got revocation.SelfResponse
			jsonBody(t, s.call(t, readSample(t, fileTokensSelf)), 200, apigw.JSONContentType, &got)
			if got.Subject != userToken.sub || got.TokenID != userToken.jti || got.Issuer != issuer ||
				!slices.Equal(got.Scopes, userToken.scopes) || got.Anonymous {
				t.Errorf("tokens-self = %+v, want %s %s with scopes %v", got, userToken.sub, userToken.jti, userToken.scopes)
			}
			matchDocumented(t, fileTokensSelf, s.answer)
		},
	}

	for _, name := range sampleFiles(t) {
		check, ok := cases[name]
		if !ok {
			t.Errorf("events/%s has no check under the emulator: add one to TestUnderEmulator and README.md", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			check(t, newStack(t, ratelimitBin, revokeBin))
		})
	}
}
