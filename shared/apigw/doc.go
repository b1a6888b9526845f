// Package apigw holds the helpers every Lambdis integration uses behind the API
// Gateway REST API (v1 proxy integration, events.APIGatewayProxyRequest and
// events.APIGatewayProxyResponse).
//
// It covers six concerns, one file each:
//
//   - problem details (RFC 9457): Problem, the stable ProblemType slugs
//     documented in docs/problems.md, ProblemResponse and one shortcut per type
//     (BadRequest, NotFound, Internal, ...). A 500 never carries internal error
//     text: Internal takes no argument.
//   - responses: JSON for application/json bodies.
//   - strict body decoding: DecodeJSON rejects oversized, empty, non-UTF-8 and
//     invalid JSON, unknown fields and trailing data with a *BodyError, and
//     DecodeError maps any such error to the right problem in one call.
//   - the caller: Caller reads the Identity the REQUEST authorizer put in the
//     request context (sub, jti, iss, scope, anonymous, and session: the
//     handle of a presenting session).
//   - rate-limit headers: FormatRateLimit and FormatRateLimitPolicy build the
//     IETF RateLimit / RateLimit-Policy field values
//     (draft-ietf-httpapi-ratelimit-headers-11) for the authorizer, and
//     WithRateLimitHeaders copies them from the authorizer context onto an
//     integration's response.
//   - gateway responses: the 401 and 429 answers API Gateway gives without
//     invoking an integration, both as Go responses (UnauthorizedResponse,
//     RateLimitedResponse, for the local server) and as API Gateway
//     gateway-response definitions (UnauthorizedGateway, RateLimitedGateway,
//     for the CDK stack). A test renders the templates and checks that both
//     produce the same JSON members and headers.
//
// The authorizer context keys shared by the authorizer and the integrations are
// the ContextKey* constants.
package apigw
