package stack

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"
)

// localRoute is a route of cmd/lambdis/localapi's table.
type localRoute struct {
	Route
	Authorized bool
}

// localRoutes reads the route table of `lambdis serve` from
// cmd/lambdis/localapi/routes.go: every Route composite literal, written
// {http.MethodX or "X", "/path", Authorized | NoAuth, handler}. It reads the
// source, not the package, so the infra module does not depend on every
// function's dependencies; a literal it cannot read fails the test.
func localRoutes(t *testing.T) []localRoute {
	t.Helper()
	path := filepath.Join(repoRoot(t), "cmd", "lambdis", "localapi", "routes.go")
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	httpMethods := map[string]string{
		"MethodGet": "GET", "MethodPost": "POST", "MethodPut": "PUT", "MethodPatch": "PATCH",
		"MethodDelete": "DELETE", "MethodHead": "HEAD", "MethodOptions": "OPTIONS",
	}
	var out []localRoute
	parse := func(lit *ast.CompositeLit) {
		if len(lit.Elts) != 4 {
			t.Fatalf("%s: a Route literal with %d elements; this test reads {method, resource, auth, handler}", path, len(lit.Elts))
		}
		var r localRoute
		switch m := lit.Elts[0].(type) {
		case *ast.SelectorExpr:
			r.Method = httpMethods[m.Sel.Name]
		case *ast.BasicLit:
			r.Method, _ = strconv.Unquote(m.Value)
		case *ast.Ident:
			if m.Name == "AnyMethod" {
				r.Method = "ANY"
			}
		}
		if p, ok := lit.Elts[1].(*ast.BasicLit); ok && p.Kind == token.STRING {
			r.Path, _ = strconv.Unquote(p.Value)
		}
		auth, _ := lit.Elts[2].(*ast.Ident)
		if r.Method == "" || r.Path == "" || auth == nil || (auth.Name != "Authorized" && auth.Name != "NoAuth") {
			t.Fatalf("%s: cannot read the Route literal at offset %d; this test reads {http.MethodX, \"/path\", Authorized|NoAuth, handler}", path, lit.Pos())
		}
		r.Authorized = auth.Name == "Authorized"
		out = append(out, r)
	}
	ast.Inspect(f, func(n ast.Node) bool {
		lit, ok := n.(*ast.CompositeLit)
		if !ok {
			return true
		}
		switch typ := lit.Type.(type) {
		case *ast.ArrayType: // []Route{{...}, ...}
			if id, ok := typ.Elt.(*ast.Ident); ok && id.Name == "Route" {
				for _, e := range lit.Elts {
					if el, ok := e.(*ast.CompositeLit); ok {
						parse(el)
					}
				}
				return false
			}
		case *ast.Ident: // Route{...}
			if typ.Name == "Route" {
				parse(lit)
				return false
			}
		}
		return true
	})
	if len(out) == 0 {
		t.Fatalf("%s: no Route literals found", path)
	}
	return out
}

// isPublic reports whether r is a function's Public route.
func isPublic(r Route) bool {
	return slices.ContainsFunc(Functions, func(s Spec) bool { return slices.Contains(s.Public, r) })
}

// apiMethod is a method of the synthesized REST API.
type apiMethod struct {
	id          string
	authType    string
	authorizer  string // logical id
	integration map[string]any
}

// apiMethods maps "METHOD /path" to the template's methods, rebuilding each
// resource's path from its PathPart and ParentId chain.
func apiMethods(t *testing.T, s *synthesized) map[string]apiMethod {
	t.Helper()
	resources := s.resources("AWS::ApiGateway::Resource")
	var path func(id string) string
	path = func(id string) string {
		r, ok := resources[id]
		if !ok {
			return "" // the root resource (Fn::GetAtt Api.RootResourceId)
		}
		p := props(r)
		return path(ref(p["ParentId"])) + "/" + p["PathPart"].(string)
	}
	out := map[string]apiMethod{}
	for id, m := range s.resources("AWS::ApiGateway::Method") {
		p := props(m)
		res := ref(p["ResourceId"])
		if _, ok := resources[res]; !ok {
			res = ""
		}
		key := p["HttpMethod"].(string) + " " + path(res)
		if path(res) == "" {
			key = p["HttpMethod"].(string) + " /"
		}
		integration, _ := p["Integration"].(map[string]any)
		out[key] = apiMethod{id: id, authType: p["AuthorizationType"].(string), authorizer: ref(p["AuthorizerId"]), integration: integration}
	}
	return out
}

// localOnlyRoutes are the routes only `lambdis serve` has. GET
// /openapi.json serves the API's OpenAPI document (package api) to local
// tools; the deployed API does not serve it: the document is published from
// the repository (api/openapi.yaml, docs/api.md).
var localOnlyRoutes = []Route{{"GET", "/openapi.json"}}

// Every route of the local API's table is a REST API method: the
// authorized ones with the REQUEST authorizer, /health and the functions'
// Public routes (the console's page) without; and every route the stack
// defines belongs to a function.
func TestRoutesMatchLocalAPI(t *testing.T) {
	s := defaults(t)
	methods := apiMethods(t, s)
	authorizer, _ := s.only(t, "AWS::ApiGateway::Authorizer")
	local := localRoutes(t)
	sawHealth := false
	for _, r := range local {
		if slices.Contains(localOnlyRoutes, r.Route) {
			if r.Authorized {
				t.Errorf("localapi serves %s behind the authorizer; it is a public, local-only route", r)
			}
			if _, ok := methods[r.String()]; ok {
				t.Errorf("%s is a method of the REST API; remove it from localOnlyRoutes", r)
			}
			continue
		}
		m, ok := methods[r.String()]
		if !ok {
			t.Errorf("localapi route %s is not a method of the REST API (add it to a function's Routes in stack.Functions)", r)
			continue
		}
		switch {
		case r.Route == HealthRoute:
			sawHealth = true
			if r.Authorized {
				t.Errorf("localapi serves %s behind the authorizer; the stack serves it without", r)
			}
			if m.authType != "NONE" || m.authorizer != "" {
				t.Errorf("%s: AuthorizationType %s, authorizer %q; want NONE", r, m.authType, m.authorizer)
			}
		case !r.Authorized:
			if !isPublic(r.Route) {
				t.Errorf("localapi serves %s without the authorizer; only %s and functions' Public routes may be", r, HealthRoute)
			} else if m.authType != "NONE" || m.authorizer != "" {
				t.Errorf("%s (public): AuthorizationType %s, authorizer %q; want NONE", r, m.authType, m.authorizer)
			}
		case isPublic(r.Route):
			t.Errorf("localapi serves %s behind the authorizer; the stack serves it without (a Public route)", r)
		default:
			if m.authType != "CUSTOM" || m.authorizer != authorizer {
				t.Errorf("%s: AuthorizationType %s, authorizer %q; want CUSTOM with %s", r, m.authType, m.authorizer, authorizer)
			}
		}
	}
	if !sawHealth {
		t.Errorf("localapi has no %s route", HealthRoute)
	}
	// The other direction: what the stack routes beyond the local table
	// (functions whose routes `lambdis serve` does not have yet) is logged.
	var extra []string
	for _, spec := range Functions {
		for _, r := range slices.Concat(spec.Routes, spec.Public) {
			if !slices.ContainsFunc(local, func(l localRoute) bool { return l.Route == r }) {
				extra = append(extra, r.String()+" ("+spec.Name+")")
			}
		}
	}
	if len(extra) > 0 {
		t.Logf("deployed but not in cmd/lambdis/localapi/routes.go yet: %s", strings.Join(extra, ", "))
	}
}

// Every method but /health, the Public routes (the console's page and
// assets) and CORS preflights runs the ratelimit function as REQUEST
// authorizer, whose results are never cached; each route invokes its
// function through a Lambda proxy integration.
func TestAuthorizerOnEveryMethod(t *testing.T) {
	s := defaults(t)
	id, a := s.only(t, "AWS::ApiGateway::Authorizer")
	p := props(a)
	if p["Type"] != "REQUEST" {
		t.Errorf("authorizer Type = %v, want REQUEST", p["Type"])
	}
	if ttl, ok := p["AuthorizerResultTtlInSeconds"]; !ok || ttl != float64(0) {
		t.Errorf("AuthorizerResultTtlInSeconds = %v (present %v), want 0: a cached Allow would skip the limiter and revocation", ttl, ok)
	}
	if _, ok := p["IdentitySource"]; ok {
		t.Errorf("IdentitySource = %v, want none: API Gateway would answer 401 without the authorizer to a caller with only a session cookie", p["IdentitySource"])
	}
	if uri := js(p["AuthorizerUri"]); !strings.Contains(uri, `"RatelimitFunction","Arn"`) {
		t.Errorf("AuthorizerUri = %s, want the RatelimitFunction", uri)
	}
	check(t, "authorizer properties", func() {
		s.template.HasResourceProperties(jsii.String("AWS::ApiGateway::Authorizer"), map[string]any{
			"Type": "REQUEST", "AuthorizerResultTtlInSeconds": 0,
		})
	})

	methods := apiMethods(t, s)
	var want []string
	for _, spec := range Functions {
		for _, r := range slices.Concat(spec.Routes, spec.Public) {
			want = append(want, r.String())
			m, ok := methods[r.String()]
			if !ok {
				t.Errorf("%s (%s): no such method", r, spec.Name)
				continue
			}
			authType, authorizer := "CUSTOM", id
			if slices.Contains(spec.Public, r) {
				authType, authorizer = "NONE", ""
			}
			if m.authType != authType || m.authorizer != authorizer {
				t.Errorf("%s: AuthorizationType %s, AuthorizerId %q; want %s, %q", r, m.authType, m.authorizer, authType, authorizer)
			}
			if m.integration["Type"] != "AWS_PROXY" || !strings.Contains(js(m.integration["Uri"]), `"`+spec.LogicalID()+`","Arn"`) {
				t.Errorf("%s: integration %s, want AWS_PROXY to %s", r, js(m.integration), spec.LogicalID())
			}
		}
	}
	want = append(want, HealthRoute.String())
	got := slices.Sorted(maps.Keys(methods))
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("methods %v, want exactly %v", got, want)
	}
	h := methods[HealthRoute.String()]
	if h.authType != "NONE" || h.integration["Type"] != "MOCK" {
		t.Errorf("%s: AuthorizationType %s, integration %s; want NONE and a MOCK", HealthRoute, h.authType, js(h.integration))
	}
}

// The gateway responses are shared/apigw's, verbatim: the deployed API and
// `lambdis serve` answer 401, 429 and 503 alike.
func TestGatewayResponses(t *testing.T) {
	s := defaults(t)
	got := map[string]map[string]any{}
	for _, r := range s.resources("AWS::ApiGateway::GatewayResponse") {
		p := props(r)
		got[p["ResponseType"].(string)] = p
	}
	want := GatewayResponses()
	if len(got) != len(want) {
		t.Errorf("%d gateway responses, want %d", len(got), len(want))
	}
	for _, g := range want {
		p, ok := got[g.Type]
		if !ok {
			t.Errorf("no %s gateway response", g.Type)
			continue
		}
		if p["StatusCode"] != strconv.Itoa(g.StatusCode) {
			t.Errorf("%s: StatusCode %v, want %d", g.Type, p["StatusCode"], g.StatusCode)
		}
		if js(p["ResponseParameters"]) != js(g.ResponseParameters()) {
			t.Errorf("%s: ResponseParameters\n got %s\nwant %s", g.Type, js(p["ResponseParameters"]), js(g.ResponseParameters()))
		}
		if js(p["ResponseTemplates"]) != js(g.Templates) {
			t.Errorf("%s: ResponseTemplates\n got %s\nwant %s", g.Type, js(p["ResponseTemplates"]), js(g.Templates))
		}
	}
	// The two the design depends on, spelled out.
	if p := got["ACCESS_DENIED"]; p["StatusCode"] != "429" || !strings.Contains(js(p["ResponseParameters"]), `"gatewayresponse.header.Retry-After":"context.authorizer.retry_after"`) ||
		!strings.Contains(js(p["ResponseTemplates"]), `$context.authorizer.retry_after`) {
		t.Errorf("ACCESS_DENIED = %s, want 429 with Retry-After and a body from $context.authorizer.*", js(p))
	}
	if p := got["UNAUTHORIZED"]; p["StatusCode"] != "401" || !strings.Contains(js(p["ResponseParameters"]), `"gatewayresponse.header.WWW-Authenticate":"'Bearer'"`) {
		t.Errorf("UNAUTHORIZED = %s, want 401 with WWW-Authenticate: Bearer", js(p))
	}
}

// The stage logs every request (JSON access log with the authorizer's
// fields), logs errors, throttles by default and never logs bodies.
func TestStageLoggingAndThrottling(t *testing.T) {
	s := defaults(t)
	_, stage := s.only(t, "AWS::ApiGateway::Stage")
	p := props(stage)
	if p["StageName"] != "prod" {
		t.Errorf("StageName = %v, want prod", p["StageName"])
	}
	als := p["AccessLogSetting"].(map[string]any)
	if getAtt(als["DestinationArn"]) != s.idOf(t, "AWS::Logs::LogGroup", "ApiAccessLogs")+".Arn" {
		t.Errorf("access log destination %s, want the ApiAccessLogs group", js(als["DestinationArn"]))
	}
	if als["Format"] != AccessLogFormat {
		t.Errorf("access log format %v, want AccessLogFormat", als["Format"])
	}
	settings := p["MethodSettings"].([]any)
	if len(settings) != 1 {
		t.Fatalf("MethodSettings = %s, want one for every method", js(settings))
	}
	ms := settings[0].(map[string]any)
	want := map[string]any{"HttpMethod": "*", "ResourcePath": "/*", "LoggingLevel": "ERROR", "DataTraceEnabled": false,
		"MetricsEnabled": true, "ThrottlingRateLimit": float64(1000), "ThrottlingBurstLimit": float64(2000)}
	for k, v := range want {
		if ms[k] != v {
			t.Errorf("MethodSettings %s = %v, want %v", k, ms[k], v)
		}
	}
}

// With CORS by prop: preflights without the authorizer, and the gateway
// responses carry the single allowed origin.
func TestCORSByProp(t *testing.T) {
	def := defaults(t)
	for k := range apiMethods(t, def) {
		if strings.HasPrefix(k, "OPTIONS ") {
			t.Errorf("without CORSAllowOrigins: %s exists", k)
		}
	}
	s := synth(t, "cors", func(p *Props) { p.CORSAllowOrigins = []string{"https://app.example.com"} })
	methods := apiMethods(t, s)
	for _, spec := range Functions {
		for _, r := range spec.Routes {
			m, ok := methods["OPTIONS "+r.Path]
			if !ok {
				t.Errorf("no preflight for %s", r.Path)
				continue
			}
			if m.authType != "NONE" {
				t.Errorf("OPTIONS %s: AuthorizationType %s, want NONE", r.Path, m.authType)
			}
			if !strings.Contains(js(m.integration), "https://app.example.com") {
				t.Errorf("OPTIONS %s: %s does not allow the origin", r.Path, js(m.integration))
			}
		}
	}
	for _, r := range s.resources("AWS::ApiGateway::GatewayResponse") {
		params := props(r)["ResponseParameters"].(map[string]any)
		if params["gatewayresponse.header.Access-Control-Allow-Origin"] != "'https://app.example.com'" {
			t.Errorf("%v: ResponseParameters %s, want Access-Control-Allow-Origin", props(r)["ResponseType"], js(params))
		}
	}
}

// With anonymous rate limits the authorizer must run for requests without
// a token: no identity source (allowed because caching is off).
func TestAnonymousCallersReachTheAuthorizer(t *testing.T) {
	s := synth(t, "anonymous", func(p *Props) { p.AnonymousRateLimits = "per_minute=60/1m" })
	_, a := s.only(t, "AWS::ApiGateway::Authorizer")
	p := props(a)
	if _, ok := p["IdentitySource"]; ok {
		t.Errorf("IdentitySource = %v, want none (anonymous callers have no Authorization header)", p["IdentitySource"])
	}
	if p["AuthorizerResultTtlInSeconds"] != float64(0) {
		t.Errorf("AuthorizerResultTtlInSeconds = %v, want 0", p["AuthorizerResultTtlInSeconds"])
	}
	env := props(s.resource(t, "RatelimitFunction"))["Environment"].(map[string]any)["Variables"].(map[string]any)
	if env["RATE_LIMITS_ANONYMOUS"] != "per_minute=60/1m" {
		t.Errorf("RATE_LIMITS_ANONYMOUS = %v", env["RATE_LIMITS_ANONYMOUS"])
	}
}

// The session routes (issue 16) are behind the authorizer, which is what
// lets a cookie log in, out and list sessions: each invokes the session
// function, whose role is its own (TestFunctionRolesLeastPrivilege).
func TestSessionRoutesBehindAuthorizer(t *testing.T) {
	s := defaults(t)
	authorizer, _ := s.only(t, "AWS::ApiGateway::Authorizer")
	methods := apiMethods(t, s)
	for _, r := range []string{"POST /sessions", "GET /sessions", "DELETE /sessions", "DELETE /sessions/{handle}"} {
		m, ok := methods[r]
		switch {
		case !ok:
			t.Errorf("%s: no such method", r)
		case m.authType != "CUSTOM" || m.authorizer != authorizer:
			t.Errorf("%s: AuthorizationType %s, authorizer %q; want CUSTOM with %s", r, m.authType, m.authorizer, authorizer)
		case m.integration["Type"] != "AWS_PROXY" || !strings.Contains(js(m.integration["Uri"]), `"SessionFunction","Arn"`):
			t.Errorf("%s: integration %s, want AWS_PROXY to SessionFunction", r, js(m.integration))
		}
	}
	fn := props(s.resource(t, "SessionFunction"))
	if role := ref(fn["Role"]); !strings.HasPrefix(role, "SessionFunctionRole") {
		t.Errorf("SessionFunction role %s, want its own", role)
	}
	env := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
	for _, k := range []string{"JWT_SECRET_ARN", "JWT_SECRET"} {
		if _, ok := env[k]; ok {
			t.Errorf("SessionFunction has %s: it verifies no token (the authorizer did)", k)
		}
	}
}
