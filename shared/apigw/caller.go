package apigw

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// ErrNoIdentity is wrapped by every Caller error. It means the route is not
// behind the authorizer or the authorizer wrote a malformed context: a
// deployment fault, so handlers answer Internal(), not 401.
var ErrNoIdentity = errors.New("no caller identity in the authorizer context")

// Identity is the caller as the authorizer established it.
type Identity struct {
	Subject   string
	JTI       string
	Issuer    string
	Scopes    []string
	Anonymous bool
	// Session is the handle of the session the caller presented; empty
	// when the caller presented a token (or nothing).
	Session string
}

// HasScope reports whether the caller was granted scope s (exact match).
func (id Identity) HasScope(s string) bool {
	return s != "" && slices.Contains(id.Scopes, s)
}

// Caller reads the Identity from req.RequestContext.Authorizer. A caller that
// is not anonymous must have a subject.
func Caller(req events.APIGatewayProxyRequest) (Identity, error) {
	ctx := authorizerContext(req)
	if len(ctx) == 0 {
		return Identity{}, fmt.Errorf("apigw: caller: %w: the request has no authorizer context", ErrNoIdentity)
	}
	get := func(key string) (string, error) {
		if _, present := ctx[key]; !present {
			return "", nil
		}
		s, ok := contextString(ctx, key)
		if !ok {
			return "", fmt.Errorf("apigw: caller: %w: context key %q has type %T", ErrNoIdentity, key, ctx[key])
		}
		return s, nil
	}
	var id Identity
	var err error
	if id.Subject, err = get(ContextKeySubject); err != nil {
		return Identity{}, err
	}
	if id.JTI, err = get(ContextKeyJTI); err != nil {
		return Identity{}, err
	}
	if id.Issuer, err = get(ContextKeyIssuer); err != nil {
		return Identity{}, err
	}
	scope, err := get(ContextKeyScope)
	if err != nil {
		return Identity{}, err
	}
	if f := strings.Fields(scope); len(f) > 0 {
		id.Scopes = f
	}
	if id.Session, err = get(ContextKeySession); err != nil {
		return Identity{}, err
	}
	anon, err := get(ContextKeyAnonymous)
	if err != nil {
		return Identity{}, err
	}
	switch anon {
	case "true":
		id.Anonymous = true
	case "false", "":
	default:
		return Identity{}, fmt.Errorf("apigw: caller: %w: context key %q is %q, want \"true\" or \"false\"", ErrNoIdentity, ContextKeyAnonymous, anon)
	}
	if !id.Anonymous && id.Subject == "" {
		return Identity{}, fmt.Errorf("apigw: caller: %w: no subject for a caller that is not anonymous", ErrNoIdentity)
	}
	return id, nil
}
