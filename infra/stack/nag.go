package stack

import (
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// Suppression is one accepted cdk-nag finding: the rule, the findings it
// covers (AppliesTo, for granular rules), and why the design accepts it.
type Suppression struct {
	ID        string
	AppliesTo []string
	Reason    string
}

// Reasons of the suppressions, one per accepted finding (exported so the
// report and the tests can list them).
var (
	SuppressSecretRotationAuth = Suppression{ID: "AwsSolutions-SMG4", Reason: "" +
		"The cache AUTH token is rotated by hand (docs/deploying.md): ElastiCache needs ModifyReplicationGroup with " +
		"AuthTokenUpdateStrategy ROTATE, then the functions' restart (they read the secret once, at cold start), then SET; " +
		"a scheduled Secrets Manager rotation that only changed the secret would lock every function out of the cache."}
	SuppressSecretRotationJWT = Suppression{ID: "AwsSolutions-SMG4", Reason: "" +
		"The HS256 signing key is shared with the token issuers and the authorizer accepts one key: rotating it on a schedule " +
		"would invalidate every outstanding token. Deployments that need key rotation set JWTJWKSURL (asymmetric keys, rotated by kid)."}
	SuppressSecretRotationWebhook = Suppression{ID: "AwsSolutions-SMG4", Reason: "" +
		"Webhook receivers verify signatures with this key; rotating it on a schedule would break every receiver until it is " +
		"told the new key, so it is rotated by hand together with the receivers."}
	SuppressENIWildcard = Suppression{ID: "AwsSolutions-IAM5", AppliesTo: []string{"Resource::*"}, Reason: "" +
		"Only the EC2 network-interface actions Lambda needs to attach the function to its VPC (the EC2 statement of " +
		"AWSLambdaVPCAccessExecutionRole): the ec2:Describe* calls support no resource-level permissions and Lambda picks the " +
		"interfaces' subnets itself; with the Tracing prop, the X-Ray write actions, which support none either. Logs and secrets " +
		"are scoped to the function's own log group and secrets."}
	SuppressRequestValidation = Suppression{ID: "AwsSolutions-APIG2", Reason: "" +
		"Every integration validates its whole input itself (strict JSON decoding, sizes, names; fuzzed) and answers " +
		"application/problem+json 400s with stable types; API Gateway model validation would answer earlier in another format."}
	SuppressAPIGatewayLogsRole = Suppression{ID: "AwsSolutions-IAM4",
		AppliesTo: []string{"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"}, Reason: "" +
			"The account-wide role API Gateway writes execution and access logs with; the AWS managed policy is the documented " +
			"one, because API Gateway creates its execution log groups (named after the API id) at run time."}
	SuppressCognito = Suppression{ID: "AwsSolutions-COG4", Reason: "" +
		"Requests are authorized by the Lambda REQUEST authorizer: JWT verification (HS256/RS256/ES256 from any issuer), " +
		"revocation and every rate limit in one Redis round trip. A Cognito user pool authorizer can do neither limits nor revocation."}
	SuppressWAF = Suppression{ID: "AwsSolutions-APIG3", Reason: "" +
		"Abuse is limited by the authorizer (per token subject, and per source address for anonymous calls) and by stage " +
		"throttling; a WAFv2 web ACL (IP reputation, managed rules) can be associated with the stage where it is worth its cost."}
	SuppressHealthAuth = Suppression{ID: "AwsSolutions-APIG4", Reason: "" +
		"GET /health is public by design (uptime probes): a mock integration that answers {\"status\":\"ok\"} and touches no data."}
	SuppressHealthCognito = Suppression{ID: "AwsSolutions-COG4", Reason: "" +
		"GET /health is public by design (uptime probes): a mock integration that answers {\"status\":\"ok\"} and touches no data."}
	SuppressPublicAuth    = Suppression{ID: "AwsSolutions-APIG4", Reason: publicReason}
	SuppressPublicCognito = Suppression{ID: "AwsSolutions-COG4", Reason: publicReason}
	SuppressDefaultPort   = Suppression{ID: "AwsSolutions-AEC5", Reason: "" +
		"A non-default port only hides the cache from untargeted scans, and nothing can scan it: it is in private subnets, " +
		"admits the functions' security group alone, and requires TLS and AUTH. Set CachePort to move it anyway."}
	SuppressNoFlowLogs = Suppression{ID: "AwsSolutions-VPC7", Reason: "" +
		"VPC flow logs were turned off with the FlowLogs prop."}
)

// publicReason accepts the functions' Public routes without authorization.
const publicReason = "The admin console's page and its scripts and styles (GET /console, /console/{asset+}) are public by " +
	"design: static text embedded in the admin function, no data; every API call the page makes carries the caller's token or session."

func (x Suppression) nag() *cdknag.NagPackSuppression {
	n := &cdknag.NagPackSuppression{Id: jsii.String(x.ID), Reason: jsii.String(x.Reason)}
	if len(x.AppliesTo) > 0 {
		applies := make([]any, len(x.AppliesTo))
		for i, a := range x.AppliesTo {
			applies[i] = a
		}
		n.AppliesTo = &applies
	}
	return n
}

func suppress(construct any, children bool, xs ...Suppression) {
	list := make([]*cdknag.NagPackSuppression, len(xs))
	for i, x := range xs {
		list[i] = x.nag()
	}
	cdknag.NagSuppressions_AddResourceSuppressions(construct, &list, jsii.Bool(children))
}

// suppressions records the cdk-nag AwsSolutions findings the design accepts,
// each on the narrowest construct that has it, with its reason.
func (s *Stack) suppressions() {
	p := s.props
	suppress(s.CacheAuthSecret, false, SuppressSecretRotationAuth)
	if s.JWTSecret != nil && p.JWTSecretARN == "" {
		suppress(s.JWTSecret, false, SuppressSecretRotationJWT)
	}
	if s.WebhookSecret != nil {
		suppress(s.WebhookSecret, false, SuppressSecretRotationWebhook)
	}
	for _, spec := range Functions {
		suppress(s.Functions[spec.Name].Role(), true, SuppressENIWildcard)
	}
	suppress(s.API, false, SuppressRequestValidation)
	if p.APIGatewayCloudWatch {
		suppress(s.API.Node().FindChild(jsii.String("CloudWatchRole")), true, SuppressAPIGatewayLogsRole)
	}
	suppress(s.API.DeploymentStage(), false, SuppressWAF)
	health := *s.healthMethod.Node().Path()
	public := map[string]bool{}
	for _, m := range s.publicMethods {
		public[*m.Node().Path()] = true
	}
	for _, m := range *s.API.Methods() {
		switch {
		case *m.Node().Path() == health:
			suppress(m, false, SuppressHealthAuth, SuppressHealthCognito)
		case public[*m.Node().Path()]:
			suppress(m, false, SuppressPublicAuth, SuppressPublicCognito)
		case *m.HttpMethod() == "OPTIONS":
			// cdk-nag exempts CORS preflights (no credentials on OPTIONS).
		default:
			suppress(m, false, SuppressCognito)
		}
	}
	// cdk-nag checks the port of the redis engine only.
	if p.Engine == EngineRedis && p.CachePort == 6379 {
		suppress(s.Cache, false, SuppressDefaultPort)
	}
	if !p.FlowLogs {
		suppress(s.Vpc, false, SuppressNoFlowLogs)
	}
}
