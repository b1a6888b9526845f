package stack

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"
)

// ENIActions are what Lambda needs, with the function's role, to attach the
// function to the VPC (the EC2 statement of AWSLambdaVPCAccessExecutionRole).
// EC2 does not support resource-level permissions for the Describe calls,
// hence Resource "*" (suppressed as AwsSolutions-IAM5 with that reason).
var ENIActions = []string{
	"ec2:CreateNetworkInterface",
	"ec2:DescribeNetworkInterfaces",
	"ec2:DescribeSubnets",
	"ec2:DeleteNetworkInterface",
	"ec2:AssignPrivateIpAddresses",
	"ec2:UnassignPrivateIpAddresses",
}

// LocalOnlyVariables are declared with an empty value in the deployed
// environment only so that `sam local invoke --env-vars events/env.json` may
// set them: SAM passes a variable from that file only when the template
// declares it. An empty value means unset to every function. "*" applies to
// every function.
var LocalOnlyVariables = map[string][]string{
	"*":         {"REDIS_PASSWORD"},
	"ratelimit": {"JWT_SECRET"},
	"revoke":    {"JWT_SECRET"},
	"enqueue":   {"WEBHOOK_SECRET", "WEBHOOK_ALLOWED_URLS"},
	"worker":    {"WEBHOOK_SECRET", "WEBHOOK_ALLOWED_URLS"},
}

// functions builds every row of Functions: provided.al2023 on p.Architecture, code
// from dist/<fn>, JSON logs into a log group of its own with a retention,
// in the private subnets with the functions' security group, and a role of
// its own that may write its logs, manage its network interfaces and read
// the secrets it names in its environment — nothing else.
func (s *Stack) functions() {
	p := s.props
	s.Functions = make(map[string]awslambda.Function, len(Functions))
	for _, spec := range Functions {
		id := spec.LogicalID()
		logs := awslogs.NewLogGroup(s.Stack, jsii.String(id+"Logs"), &awslogs.LogGroupProps{
			Retention:     p.LogRetention,
			RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
		})
		env, secrets := s.environment(spec)
		statements := []awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("WriteOwnLogs"),
				Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
				Resources: &[]*string{logs.LogGroupArn()},
			}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("AttachToVpc"),
				Actions:   jsii.Strings(ENIActions...),
				Resources: jsii.Strings("*"),
			}),
		}
		if p.Tracing {
			// X-Ray's write actions support no resource-level
			// permissions. Stated here rather than through the L2
			// Tracing prop, which would add a second (default) policy.
			statements = append(statements, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("WriteTraces"),
				Actions:   jsii.Strings("xray:PutTraceSegments", "xray:PutTelemetryRecords"),
				Resources: jsii.Strings("*"),
			}))
		}
		if len(secrets) > 0 {
			statements = append(statements, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("ReadOwnSecrets"),
				Actions:   jsii.Strings("secretsmanager:GetSecretValue"),
				Resources: &secrets,
			}))
		}
		role := awsiam.NewRole(s.Stack, jsii.String(id+"Role"), &awsiam.RoleProps{
			AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
			Description: jsii.String("Lambdis " + spec.Name + ": own logs, VPC attachment, own secrets"),
			InlinePolicies: &map[string]awsiam.PolicyDocument{
				"LeastPrivilege": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &statements}),
			},
		})
		memory := spec.Memory
		if m, ok := p.Memory[spec.Name]; ok {
			memory = m
		}
		props := &awslambda.FunctionProps{
			Description:           jsii.String("Lambdis " + spec.Name),
			Runtime:               awslambda.Runtime_PROVIDED_AL2023(),
			Architecture:          p.architecture(),
			Handler:               jsii.String("bootstrap"),
			Code:                  awslambda.Code_FromAsset(jsii.String(filepath.Join(p.DistDir, spec.Name)), nil),
			MemorySize:            jsii.Number(float64(memory)),
			Timeout:               awscdk.Duration_Seconds(jsii.Number(spec.Timeout.Seconds())),
			Role:                  role,
			Vpc:                   s.Vpc,
			VpcSubnets:            s.privateSubnets,
			SecurityGroups:        &[]awsec2.ISecurityGroup{s.FunctionsSG},
			LoggingFormat:         awslambda.LoggingFormat_JSON,
			ApplicationLogLevelV2: awslambda.ApplicationLogLevel(p.applicationLogLevel()),
			SystemLogLevelV2:      awslambda.SystemLogLevel_WARN,
			LogGroup:              logs,
			Environment:           &env,
		}
		if spec.Role == Scheduled {
			// A failed or late tick is not worth retrying: the next one
			// is due within a minute and drains the same queues.
			props.RetryAttempts = jsii.Number(0)
			props.MaxEventAge = awscdk.Duration_Seconds(jsii.Number(p.ScheduleMaxEventAge.Seconds()))
			if p.WorkerReservedConcurrency > 0 {
				props.ReservedConcurrentExecutions = jsii.Number(float64(p.WorkerReservedConcurrency))
			}
		}
		fn := awslambda.NewFunction(s.Stack, jsii.String(id), props)
		cfn := fn.Node().DefaultChild().(awslambda.CfnFunction)
		cfn.OverrideLogicalId(jsii.String(id))
		if p.Tracing {
			cfn.SetTracingConfig(&awslambda.CfnFunction_TracingConfigProperty{Mode: jsii.String("Active")})
		}
		s.Functions[spec.Name] = fn
	}
}

// environment returns a function's variables and the ARNs of the secrets
// they name (the only secrets its role may read).
func (s *Stack) environment(spec Spec) (map[string]*string, []*string) {
	p := s.props
	env := map[string]*string{
		"REDIS_URL":                 s.redisURL,
		"REDIS_CLUSTER":             jsii.String("true"),
		"REDIS_AUTH_SECRET_ARN":     s.CacheAuthSecret.SecretArn(),
		"LAMBDIS_KEY_PREFIX":        jsii.String(p.KeyPrefix),
		"LAMBDIS_METRICS_NAMESPACE": jsii.String(p.MetricsNamespace),
		"LOG_LEVEL":                 jsii.String(p.LogLevel),
	}
	secrets := []*string{s.CacheAuthSecret.SecretArn()}
	set := func(k, v string) {
		if v != "" {
			env[k] = jsii.String(v)
		}
	}
	if spec.JWT {
		if s.JWTSecret != nil {
			env["JWT_SECRET_ARN"] = s.JWTSecret.SecretArn()
			secrets = append(secrets, s.JWTSecret.SecretArn())
		}
		set("JWT_JWKS_URL", p.JWTJWKSURL)
		set("JWT_ISSUER", p.JWTIssuer)
		set("JWT_AUDIENCE", p.JWTAudience)
		set("AUTHZ_MAX_TOKEN_TTL", p.MaxTokenTTL)
	}
	if spec.Role == Authorizer {
		set("RATE_LIMITS", p.RateLimits)
		set("RATE_LIMITS_ANONYMOUS", p.AnonymousRateLimits)
		set("AUTHZ_RATELIMIT_FAIL_OPEN", strconv.FormatBool(p.RateLimitFailOpen))
		set("AUTHZ_REVOCATION_FAIL_OPEN", strconv.FormatBool(p.RevocationFailOpen))
	}
	if spec.Admin {
		set("RATE_LIMITS", p.RateLimits)
		set("AUTHZ_MAX_TOKEN_TTL", p.MaxTokenTTL)
		set("JOB_RETENTION", p.JobRetention)
	}
	if spec.Jobs {
		set("JOB_RETENTION", p.JobRetention)
		if s.WebhookSecret != nil {
			set("WEBHOOK_ALLOWED_URLS", strings.Join(p.WebhookAllowedURLs, ","))
			env["WEBHOOK_SECRET_ARN"] = s.WebhookSecret.SecretArn()
			secrets = append(secrets, s.WebhookSecret.SecretArn())
		}
	}
	if spec.Role == Scheduled {
		set("WORKER_QUEUES", strings.Join(p.WorkerQueues, ","))
		// The drain's reclaim rule depends on it (see functions/worker).
		set("WORKER_FUNCTION_TIMEOUT", spec.Timeout.String())
	}
	for _, k := range slices.Concat(LocalOnlyVariables["*"], LocalOnlyVariables[spec.Name]) {
		if _, ok := env[k]; !ok {
			env[k] = jsii.String("")
		}
	}
	extra := p.Environment[spec.Name]
	for _, k := range slices.Sorted(maps.Keys(extra)) {
		if _, ok := env[k]; ok {
			panic(fmt.Sprintf("stack: Environment[%q][%q]: the stack sets this variable itself", spec.Name, k))
		}
		env[k] = jsii.String(extra[k])
	}
	return env, secrets
}
