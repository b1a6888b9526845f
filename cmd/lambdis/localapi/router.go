package localapi

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// HandlerFunc is a Lambda proxy integration: the Handle method of a
// function's Handler, as its main.go passes it to lambda.Start.
type HandlerFunc func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error)

// AuthorizerFunc is a REQUEST authorizer Lambda.
type AuthorizerFunc func(context.Context, events.APIGatewayCustomAuthorizerRequestTypeRequest) (events.APIGatewayCustomAuthorizerResponse, error)

// Auth says whether the REQUEST authorizer runs before a route's integration.
type Auth int

const (
	// Authorized routes run the REQUEST authorizer first, as every deployed
	// route but the health check does.
	Authorized Auth = iota
	// NoAuth routes invoke the integration directly.
	NoAuth
)

// AnyMethod is API Gateway's catch-all method.
const AnyMethod = "ANY"

// Route is one method of one API Gateway resource.
type Route struct {
	// Method is GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY.
	Method string
	// Resource is the resource template: literal segments, {name} for one
	// path segment, and a last {name+} for one or more (API Gateway's greedy
	// path variable). It becomes the proxy event's Resource and the names
	// its PathParameters.
	Resource string
	// Auth says whether the authorizer runs first.
	Auth Auth
	// Handler is the integration.
	Handler HandlerFunc
}

var methods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", AnyMethod}

var paramName = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// resource is one resource template and its methods.
type resource struct {
	template string
	methods  map[string]Route
}

// allow returns the resource's methods for an Allow header, sorted.
func (r *resource) allow() string {
	ms := make([]string, 0, len(r.methods))
	for m := range r.methods {
		ms = append(ms, m)
	}
	slices.Sort(ms)
	return strings.Join(ms, ", ")
}

// route returns the route for method: an exact match, else ANY.
func (r *resource) route(method string) (Route, bool) {
	if rt, ok := r.methods[method]; ok {
		return rt, true
	}
	rt, ok := r.methods[AnyMethod]
	return rt, ok
}

// node is a resource tree node, as API Gateway builds the tree: each level has
// literal children, at most one {param} child and at most one {param+} child.
type node struct {
	lit        map[string]*node
	param      *node
	paramName  string
	greedy     *node
	greedyName string
	res        *resource
}

// router finds the resource of a request path.
type router struct {
	root   node
	routes []Route // in registration order
}

func newRouter(routes []Route) (*router, error) {
	rt := &router{}
	for _, r := range routes {
		if err := rt.add(r); err != nil {
			return nil, err
		}
	}
	return rt, nil
}

func (rt *router) add(r Route) error {
	if !slices.Contains(methods, r.Method) {
		return fmt.Errorf("localapi: route %s %s: unknown method (want one of %s)", r.Method, r.Resource, strings.Join(methods, ", "))
	}
	if r.Handler == nil {
		return fmt.Errorf("localapi: route %s %s: nil handler", r.Method, r.Resource)
	}
	if r.Auth != Authorized && r.Auth != NoAuth {
		return fmt.Errorf("localapi: route %s %s: unknown Auth %d", r.Method, r.Resource, r.Auth)
	}
	segs, err := parseTemplate(r.Resource)
	if err != nil {
		return fmt.Errorf("localapi: route %s %s: %w", r.Method, r.Resource, err)
	}
	n := &rt.root
	for _, s := range segs {
		switch {
		case strings.HasSuffix(s, "+}"):
			name := s[1 : len(s)-2]
			if n.greedy == nil {
				n.greedy, n.greedyName = &node{}, name
			} else if n.greedyName != name {
				return fmt.Errorf("localapi: route %s %s: {%s+} conflicts with {%s+} at the same level", r.Method, r.Resource, name, n.greedyName)
			}
			n = n.greedy
		case strings.HasPrefix(s, "{"):
			name := s[1 : len(s)-1]
			if n.param == nil {
				n.param, n.paramName = &node{}, name
			} else if n.paramName != name {
				return fmt.Errorf("localapi: route %s %s: {%s} conflicts with {%s} at the same level", r.Method, r.Resource, name, n.paramName)
			}
			n = n.param
		default:
			if n.lit == nil {
				n.lit = map[string]*node{}
			}
			child, ok := n.lit[s]
			if !ok {
				child = &node{}
				n.lit[s] = child
			}
			n = child
		}
	}
	if n.res == nil {
		n.res = &resource{template: r.Resource, methods: map[string]Route{}}
	}
	if _, dup := n.res.methods[r.Method]; dup {
		return fmt.Errorf("localapi: route %s %s: registered twice", r.Method, r.Resource)
	}
	n.res.methods[r.Method] = r
	rt.routes = append(rt.routes, r)
	return nil
}

// parseTemplate validates a resource template and returns its segments
// (none for "/").
func parseTemplate(t string) ([]string, error) {
	if !strings.HasPrefix(t, "/") {
		return nil, fmt.Errorf("resource must start with /")
	}
	if t == "/" {
		return nil, nil
	}
	segs := strings.Split(t[1:], "/")
	seen := map[string]bool{}
	for i, s := range segs {
		if s == "" {
			return nil, fmt.Errorf("empty path segment (or a trailing /)")
		}
		if !strings.ContainsAny(s, "{}") {
			continue
		}
		if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") {
			return nil, fmt.Errorf("segment %q: a path variable must be the whole segment", s)
		}
		name, greedy := strings.CutSuffix(s[1:len(s)-1], "+")
		if !paramName.MatchString(name) {
			return nil, fmt.Errorf("segment %q: variable names are letters, digits, '.', '_' and '-'", s)
		}
		if greedy && i != len(segs)-1 {
			return nil, fmt.Errorf("segment %q: a greedy variable must be the last segment", s)
		}
		if seen[name] {
			return nil, fmt.Errorf("variable %q used twice", name)
		}
		seen[name] = true
	}
	return segs, nil
}

// match returns the resource for a request path (escaped, as the client sent
// it) and its path parameters, URL-decoded. Literal segments win over
// {param}, which wins over {param+}, level by level. One trailing slash is
// ignored; an empty segment or a bad escape matches nothing.
func (rt *router) match(escapedPath string) (*resource, map[string]string, bool) {
	p := strings.TrimPrefix(escapedPath, "/")
	p = strings.TrimSuffix(p, "/")
	var segs []string
	if p != "" {
		for _, raw := range strings.Split(p, "/") {
			s, err := url.PathUnescape(raw)
			if err != nil || s == "" {
				return nil, nil, false
			}
			segs = append(segs, s)
		}
	}
	params := map[string]string{}
	res := rt.root.find(segs, params)
	if res == nil {
		return nil, nil, false
	}
	if len(params) == 0 {
		params = nil
	}
	return res, params, true
}

func (n *node) find(segs []string, params map[string]string) *resource {
	if len(segs) == 0 {
		return n.res
	}
	if child, ok := n.lit[segs[0]]; ok {
		if res := child.find(segs[1:], params); res != nil {
			return res
		}
	}
	if n.param != nil {
		if res := n.param.find(segs[1:], params); res != nil {
			params[n.paramName] = segs[0]
			return res
		}
	}
	if n.greedy != nil && n.greedy.res != nil {
		params[n.greedyName] = strings.Join(segs, "/")
		return n.greedy.res
	}
	return nil
}
