package authorizer

import (
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// authorizationHeader returns the Authorization header of req, whatever its
// case. ok is false when the request carries more than one value.
func authorizationHeader(req events.APIGatewayCustomAuthorizerRequestTypeRequest) (value string, present, ok bool) {
	var values []string
	for k, vs := range req.MultiValueHeaders {
		if strings.EqualFold(k, "Authorization") {
			values = append(values, vs...)
		}
	}
	if len(values) == 0 {
		for k, v := range req.Headers {
			if strings.EqualFold(k, "Authorization") {
				values = append(values, v)
			}
		}
	}
	switch len(values) {
	case 0:
		return "", false, true
	case 1:
		return values[0], true, true
	}
	return "", true, false
}

// stageWildcard turns a method ARN
// (arn:aws:execute-api:region:account:api/stage/VERB/path) into one that
// covers every method of the stage, so an Allow is valid for the whole API.
// A malformed ARN is returned unchanged: the Allow then covers only it.
func stageWildcard(methodARN string) string {
	parts := strings.SplitN(methodARN, "/", 3)
	if len(parts) < 3 || !strings.HasPrefix(parts[0], "arn:") || parts[1] == "" {
		return methodARN
	}
	return parts[0] + "/" + parts[1] + "/*"
}

func response(principal, effect, resource string, ctx map[string]any) events.APIGatewayCustomAuthorizerResponse {
	return events.APIGatewayCustomAuthorizerResponse{
		PrincipalID: principal,
		PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{
			Version: "2012-10-17",
			Statement: []events.IAMPolicyStatement{{
				Action:   []string{"execute-api:Invoke"},
				Effect:   effect,
				Resource: []string{resource},
			}},
		},
		Context: ctx,
	}
}
