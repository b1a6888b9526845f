package stack

import (
	"maps"
	"slices"
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"
	"github.com/lambdis/lambdis/shared/apigw"
)

// AccessLogFormat is the stage's access log line: one JSON object with the
// request, the answer, and the authorizer's part in it.
const AccessLogFormat = `{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",` +
	`"requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","resourcePath":"$context.resourcePath",` +
	`"status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength",` +
	`"responseLatency":"$context.responseLatency","integrationLatency":"$context.integrationLatency",` +
	`"integrationStatus":"$context.integration.status","errorType":"$context.error.responseType",` +
	`"authorizerStatus":"$context.authorizer.status","authorizerLatency":"$context.authorizer.latency",` +
	`"authorizerError":"$context.authorizer.error","principalId":"$context.authorizer.principalId",` +
	`"rateLimitPolicy":"$context.authorizer.policy"}`

// GatewayResponses are the gateway responses the API answers with, from
// shared/apigw so that `lambdis serve` and the deployed API agree byte for
// byte: UNAUTHORIZED → 401, ACCESS_DENIED (the authorizer's Deny, used only
// for rate limits) → 429, AUTHORIZER_FAILURE → 503.
func GatewayResponses() []apigw.GatewayResponse {
	return []apigw.GatewayResponse{apigw.UnauthorizedGateway(), apigw.RateLimitedGateway(), apigw.UnavailableGateway()}
}

// api builds the REST API: every route of every API function behind the
// REQUEST authorizer (the ratelimit function) with result caching off, the
// health check and the functions' Public routes (the console's page) without it, the gateway responses, access and error logging,
// stage throttling and (by prop) CORS.
func (s *Stack) api() {
	p := s.props
	accessLogs := awslogs.NewLogGroup(s.Stack, jsii.String("ApiAccessLogs"), &awslogs.LogGroupProps{
		Retention:     p.LogRetention,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	props := &awsapigateway.RestApiProps{
		RestApiName:   jsii.String("lambdis"),
		Description:   jsii.String("Lambdis: every route behind the rate-limiting, revocation-aware REQUEST authorizer"),
		EndpointTypes: &[]awsapigateway.EndpointType{awsapigateway.EndpointType_REGIONAL},
		// Logging needs the account-wide API Gateway CloudWatch role; it
		// outlives the stack because other APIs of the account use it.
		CloudWatchRole: jsii.Bool(p.APIGatewayCloudWatch),
		DeployOptions: &awsapigateway.StageOptions{
			StageName:            jsii.String(p.StageName),
			ThrottlingRateLimit:  jsii.Number(p.ThrottleRateLimit),
			ThrottlingBurstLimit: jsii.Number(p.ThrottleBurstLimit),
			LoggingLevel:         awsapigateway.MethodLoggingLevel_ERROR,
			DataTraceEnabled:     jsii.Bool(false), // would log tokens
			MetricsEnabled:       jsii.Bool(true),
			TracingEnabled:       jsii.Bool(p.Tracing),
			AccessLogDestination: awsapigateway.NewLogGroupLogDestination(accessLogs),
			AccessLogFormat:      awsapigateway.AccessLogFormat_Custom(jsii.String(AccessLogFormat)),
		},
	}
	if p.APIGatewayCloudWatch {
		props.CloudWatchRoleRemovalPolicy = awscdk.RemovalPolicy_RETAIN
	}
	if len(p.CORSAllowOrigins) > 0 {
		props.DefaultCorsPreflightOptions = &awsapigateway.CorsOptions{
			AllowOrigins:  jsii.Strings(p.CORSAllowOrigins...),
			AllowMethods:  jsii.Strings("GET", "POST", "DELETE", "OPTIONS"),
			AllowHeaders:  jsii.Strings("Authorization", "Content-Type", "Idempotency-Key", "X-Requested-With"),
			ExposeHeaders: jsii.Strings("RateLimit", "RateLimit-Policy", "Retry-After", "Location"),
			MaxAge:        awscdk.Duration_Hours(jsii.Number(1)),
		}
	}
	s.API = awsapigateway.NewRestApi(s.Stack, jsii.String("Api"), props)

	s.Authorizer = awsapigateway.NewRequestAuthorizer(s.Stack, jsii.String("Authorizer"), &awsapigateway.RequestAuthorizerProps{
		AuthorizerName: jsii.String("lambdis-ratelimit"),
		Handler:        s.Functions["ratelimit"],
		// Never cache: a cached Allow would skip the limiter and revocation
		// (CDK's default is 5 minutes).
		ResultsCacheTtl: awscdk.Duration_Seconds(jsii.Number(0)),
		IdentitySources: &[]*string{awsapigateway.IdentitySource_Header(jsii.String("Authorization"))},
	})
	// No identity source: API Gateway answers 401 itself, without running
	// the authorizer, when a configured source is missing, and a caller may
	// present a session cookie instead of an Authorization header (or, with
	// anonymous limits, nothing at all). The authorizer decides; with
	// caching off API Gateway needs no identity source. (CDK requires one,
	// hence the override.)
	s.Authorizer.Node().DefaultChild().(awscdk.CfnResource).AddPropertyDeletionOverride(jsii.String("IdentitySource"))

	for _, spec := range Functions {
		if spec.Role != API {
			continue
		}
		integration := awsapigateway.NewLambdaIntegration(s.Functions[spec.Name], &awsapigateway.LambdaIntegrationOptions{
			Proxy:           jsii.Bool(true),
			AllowTestInvoke: jsii.Bool(false),
		})
		for _, r := range spec.Routes {
			s.API.Root().ResourceForPath(jsii.String(r.Path)).AddMethod(jsii.String(r.Method), integration, &awsapigateway.MethodOptions{
				AuthorizationType: awsapigateway.AuthorizationType_CUSTOM,
				Authorizer:        s.Authorizer,
			})
		}
		for _, r := range spec.Public {
			m := s.API.Root().ResourceForPath(jsii.String(r.Path)).AddMethod(jsii.String(r.Method), integration, &awsapigateway.MethodOptions{
				AuthorizationType: awsapigateway.AuthorizationType_NONE,
			})
			s.publicMethods = append(s.publicMethods, m)
		}
	}

	// API Gateway answers the health check itself: it proves the API is
	// up; the cache's health is watched by the alarms.
	s.healthMethod = s.API.Root().ResourceForPath(jsii.String(HealthRoute.Path)).AddMethod(jsii.String(HealthRoute.Method),
		awsapigateway.NewMockIntegration(&awsapigateway.IntegrationOptions{
			RequestTemplates: &map[string]*string{"application/json": jsii.String(`{"statusCode": 200}`)},
			IntegrationResponses: &[]*awsapigateway.IntegrationResponse{{
				StatusCode: jsii.String("200"),
				ResponseParameters: &map[string]*string{
					"method.response.header.Content-Type": jsii.String("'application/json'"),
				},
				ResponseTemplates: &map[string]*string{"application/json": jsii.String(`{"status":"ok"}`)},
			}},
		}),
		&awsapigateway.MethodOptions{
			AuthorizationType: awsapigateway.AuthorizationType_NONE,
			MethodResponses: &[]*awsapigateway.MethodResponse{{
				StatusCode:         jsii.String("200"),
				ResponseParameters: &map[string]*bool{"method.response.header.Content-Type": jsii.Bool(true)},
			}},
		})

	for _, g := range GatewayResponses() {
		headers := map[string]*string{}
		for k, v := range g.Headers {
			headers[k] = jsii.String(v)
		}
		if o, ok := corsGatewayOrigin(p.CORSAllowOrigins); ok {
			headers["Access-Control-Allow-Origin"] = jsii.String("'" + o + "'")
		}
		templates := map[string]*string{}
		for _, ct := range slices.Sorted(maps.Keys(g.Templates)) {
			templates[ct] = jsii.String(g.Templates[ct])
		}
		s.API.AddGatewayResponse(jsii.String(g.Type), &awsapigateway.GatewayResponseOptions{
			Type:            awsapigateway.ResponseType_Of(jsii.String(g.Type)),
			StatusCode:      jsii.String(strconv.Itoa(g.StatusCode)),
			ResponseHeaders: &headers,
			Templates:       &templates,
		})
	}
}

// corsGatewayOrigin is the Access-Control-Allow-Origin of the gateway
// responses: a gateway response cannot echo one of several origins, so it
// is set only for a single origin (or "*"); with several, browsers see the
// 401/429/503 of a cross-origin call as a network error.
func corsGatewayOrigin(origins []string) (string, bool) {
	if len(origins) != 1 {
		return "", false
	}
	return origins[0], true
}
