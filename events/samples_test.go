package events_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/lambdis/lambdis/shared/apigw"
	"github.com/lambdis/lambdis/shared/authz"
	"github.com/lambdis/lambdis/shared/rietest"
)

// decodeStrict decodes one JSON value into v, rejecting unknown fields and
// trailing data.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the JSON value")
	}
	return nil
}

func readSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("read events/%s: %v", name, err)
	}
	return b
}

func authorizerSample(t testing.TB, name string) events.APIGatewayCustomAuthorizerRequestTypeRequest {
	t.Helper()
	var ev events.APIGatewayCustomAuthorizerRequestTypeRequest
	if err := decodeStrict(readSample(t, name), &ev); err != nil {
		t.Fatalf("events/%s: not an APIGatewayCustomAuthorizerRequestTypeRequest: %v", name, err)
	}
	return ev
}

func proxySample(t testing.TB, name string) events.APIGatewayProxyRequest {
	t.Helper()
	var ev events.APIGatewayProxyRequest
	if err := decodeStrict(readSample(t, name), &ev); err != nil {
		t.Fatalf("events/%s: not an APIGatewayProxyRequest: %v", name, err)
	}
	return ev
}

func devVerifier(t testing.TB) *authz.Verifier {
	t.Helper()
	v, err := authz.NewVerifier(authz.VerifierConfig{HMACSecret: []byte(authz.LocalDevSecret), Algorithms: []string{authz.AlgHS256}})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// authorization returns the sample's Authorization header, checking that
// the single and multi-valued forms agree.
func authorization(t testing.TB, name string, h map[string]string, mv map[string][]string) string {
	t.Helper()
	single := h["Authorization"]
	var multi string
	if vs := mv["Authorization"]; len(vs) > 0 {
		multi = vs[0]
		if len(vs) > 1 {
			t.Errorf("events/%s: %d Authorization values", name, len(vs))
		}
	}
	if single != multi {
		t.Errorf("events/%s: headers and multiValueHeaders disagree on Authorization", name)
	}
	return single
}

// wantToken is what a sample's bearer token must be: verified with the dev
// secret (or expired), with these claims.
type wantToken struct {
	sub, jti string
	expired  bool
}

// TestSamplesDecode decodes every file strictly into its type.
func TestSamplesDecode(t *testing.T) {
	names := sampleFiles(t)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			if slices.Contains(authorizerFiles, name) {
				ev := authorizerSample(t, name)
				if ev.Type != "REQUEST" || !strings.HasPrefix(ev.MethodArn, "arn:aws:execute-api:"+region+":"+accountID+":"+apiID+"/"+stage+"/") {
					t.Errorf("type %q, methodArn %q: want a REQUEST event of %s/%s", ev.Type, ev.MethodArn, apiID, stage)
				}
				return
			}
			ev := proxySample(t, name)
			if !slices.Contains([]string{routeSelf, routeRevoke, routeRevokeAll}, ev.Resource) {
				t.Errorf("resource %q is not a route of the revoke function", ev.Resource)
			}
			proxyCaller(t, ev)
		})
	}
	t.Run(fileEnv, func(t *testing.T) {
		var env map[string]map[string]string
		if err := decodeStrict(readSample(t, fileEnv), &env); err != nil {
			t.Fatalf("events/env.json: %v", err)
		}
		if want := []string{adminFunction, enqueueFunction, leaderboardFunction, samParameters, ratelimitFunction, revokeFunction, sessionFunction, workerFunction}; !slices.Equal(sortedKeys(env), want) {
			t.Errorf("env.json has functions %v, want %v", sortedKeys(env), want)
		}
		for _, fn := range []string{ratelimitFunction, revokeFunction} { // enqueue_test.go checks EnqueueFunction's
			vars := samEnv(t, fn)
			if vars[authz.EnvJWTSecret] != authz.LocalDevSecret || vars[authz.EnvMaxTokenTTL] != "0" {
				t.Errorf("env.json %s: want JWT_SECRET the dev secret and AUTHZ_MAX_TOKEN_TTL=0, got %v", fn, vars)
			}
		}
	})
}

// TestSampleTokens checks every token of the samples against the dev secret.
func TestSampleTokens(t *testing.T) {
	v := devVerifier(t)
	check := func(t *testing.T, where, raw string, want wantToken) authz.Claims {
		t.Helper()
		c, err := v.Verify(context.Background(), raw)
		if want.expired {
			var te *authz.TokenError
			if !errors.As(err, &te) || te.Reason != authz.ReasonExpired {
				t.Errorf("%s: Verify = %v, want an expired token", where, err)
			}
			return c
		}
		if err != nil {
			t.Errorf("%s: Verify: %v", where, err)
			return c
		}
		if c.Subject != want.sub || c.ID != want.jti || c.Issuer != issuer {
			t.Errorf("%s: sub %q jti %q iss %q, want %q %q %q", where, c.Subject, c.ID, c.Issuer, want.sub, want.jti, issuer)
		}
		if !c.IssuedAt.Equal(issuedAt) || !c.ExpiresAt.Equal(expiresAt) {
			t.Errorf("%s: iat %v exp %v, want %v and %v", where, c.IssuedAt, c.ExpiresAt, issuedAt, expiresAt)
		}
		return c
	}
	bearer := func(t *testing.T, name, header string) string {
		t.Helper()
		raw, err := authz.BearerToken(header)
		if err != nil {
			t.Fatalf("events/%s: Authorization: %v", name, err)
		}
		return raw
	}

	authorizerWant := map[string]wantToken{
		fileAllowed:   {sub: userToken.sub, jti: userToken.jti},
		fileRevoked:   {sub: revokedToken.sub, jti: "sample-revoked-token"},
		fileOverLimit: {sub: "sample-busy", jti: busyToken.jti},
		fileExpired:   {expired: true},
	}
	for _, name := range authorizerFiles {
		t.Run(name, func(t *testing.T) {
			ev := authorizerSample(t, name)
			h := authorization(t, name, ev.Headers, ev.MultiValueHeaders)
			switch name {
			case fileMissing:
				if h != "" {
					t.Errorf("Authorization %q, want none", h)
				}
				return
			case fileMalformed:
				if _, err := authz.BearerToken(h); err == nil {
					t.Errorf("Authorization %q is a well-formed bearer token", h)
				}
				return
			}
			want, ok := authorizerWant[name]
			if !ok {
				t.Fatalf("no expectation for events/%s", name)
			}
			check(t, name, bearer(t, name, h), want)
		})
	}

	// The revoke events: the Authorization header is the caller's token and
	// matches the authorizer context; a body token is the one to revoke.
	proxyWant := map[string]struct{ caller, body *sampleToken }{
		fileRevokeSelf:  {caller: &selfToken},
		fileRevokeAdmin: {caller: &adminToken, body: &otherToken},
		fileRevokeAll:   {caller: &userToken},
		fileBadBody:     {caller: &userToken, body: &userToken},
		fileForbidden:   {caller: &userToken, body: &otherToken},
		fileTokensSelf:  {caller: &userToken},
	}
	for _, name := range sampleFiles(t) {
		if slices.Contains(authorizerFiles, name) {
			continue
		}
		t.Run(name, func(t *testing.T) {
			want, ok := proxyWant[name]
			if !ok {
				t.Fatalf("no expectation for events/%s", name)
			}
			ev := proxySample(t, name)
			c := check(t, name+" Authorization", bearer(t, name, authorization(t, name, ev.Headers, ev.MultiValueHeaders)),
				wantToken{sub: want.caller.sub, jti: want.caller.jti})
			id, err := apigw.Caller(ev)
			if err != nil {
				t.Fatal(err)
			}
			if id.Subject != c.Subject || id.JTI != c.ID || id.Issuer != c.Issuer || !slices.Equal(id.Scopes, c.Scopes) || id.Anonymous {
				t.Errorf("authorizer context %+v does not match the Authorization token %+v", id, c)
			}
			if want.body == nil {
				return
			}
			var body struct {
				Token string `json:"token"`
			}
			if err := json.Unmarshal([]byte(ev.Body), &body); err != nil {
				t.Fatalf("body: %v", err)
			}
			check(t, name+" body", body.Token, wantToken{sub: want.body.sub, jti: want.body.jti})
		})
	}
}

func sortedKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// proxyCaller checks a proxy sample's authorizer context as the integrations
// read it: a caller identity, and every value a string, as API Gateway hands
// them on.
func proxyCaller(t *testing.T, ev events.APIGatewayProxyRequest) apigw.Identity {
	t.Helper()
	id, err := apigw.Caller(ev)
	if err != nil {
		t.Errorf("authorizer context: %v", err)
	}
	for k, v := range ev.RequestContext.Authorizer {
		if _, ok := v.(string); !ok && k != "integrationLatency" {
			t.Errorf("authorizer context %q is %T; API Gateway hands on strings", k, v)
		}
	}
	return id
}

// invoke runs one invocation of fn under the emulator and decodes its answer
// strictly; a function error fails the test.
func invoke[Resp any](t *testing.T, e *rietest.Emulator, fn string, payload []byte) Resp {
	t.Helper()
	status, body := e.Invoke(t, payload)
	if fe, ok := rietest.AsFunctionError(body); ok || status != 200 {
		t.Fatalf("%s: emulator status %d, function error %v, body %s", fn, status, fe, body)
	}
	var resp Resp
	if err := decodeStrict(body, &resp); err != nil {
		t.Fatalf("%s answer %s: %v", fn, body, err)
	}
	return resp
}
