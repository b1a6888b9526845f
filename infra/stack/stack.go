package stack

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticache"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// StackName is the stack's name and id: the template is
// cdk.out/<StackName>.template.json.
const StackName = "Lambdis"

// Stack is the Lambdis deployment: VPC, ElastiCache, the functions, the
// REST API with its authorizer, the worker's schedule, alarms and a
// dashboard. Fields expose the constructs for tests and outputs.
type Stack struct {
	Stack awscdk.Stack
	props Props

	Vpc             awsec2.Vpc
	privateSubnets  *awsec2.SubnetSelection
	FunctionsSG     awsec2.SecurityGroup
	CacheSG         awsec2.SecurityGroup
	EndpointsSG     awsec2.SecurityGroup
	Cache           awselasticache.CfnReplicationGroup
	CacheAuthSecret awssecretsmanager.Secret
	JWTSecret       awssecretsmanager.ISecret // nil with a JWKS URL
	WebhookSecret   awssecretsmanager.Secret  // nil without webhooks
	Functions       map[string]awslambda.Function
	API             awsapigateway.RestApi
	Authorizer      awsapigateway.RequestAuthorizer
	redisURL        *string
	cacheNodeIDs    []string
	healthMethod    awsapigateway.Method
	publicMethods   []awsapigateway.Method // functions' Public routes
}

// New builds the stack. It panics on invalid props (listing every problem),
// when a directory under functions/ has no row in Functions, or when a
// function's dist/<fn>/bootstrap is missing (run `make build`) or built for
// another architecture than p.Architecture.
func New(scope constructs.Construct, id string, p Props) *Stack {
	if err := p.Validate(); err != nil {
		panic(fmt.Sprintf("stack: invalid props:\n%v", err))
	}
	if err := CheckFunctionDirs(p.RepoRoot); err != nil {
		panic(err.Error())
	}
	if p.DistDir == "" {
		p.DistDir = filepath.Join(p.RepoRoot, "dist")
	}
	for _, spec := range Functions {
		bootstrap := filepath.Join(p.DistDir, spec.Name, "bootstrap")
		if _, err := os.Stat(bootstrap); err != nil {
			panic(fmt.Sprintf("stack: %s: run `make build` first (%v)", spec.Name, err))
		}
		if err := CheckBootstrap(bootstrap, p.Architecture); err != nil {
			panic(fmt.Sprintf("stack: %s: %v", spec.Name, err))
		}
	}
	sp := p.StackProps
	if sp.Description == nil {
		sp.Description = jsii.String("Lambdis: Redis patterns behind API Gateway (REST API + REQUEST authorizer), Lambda (Go, " + p.Architecture + ") and ElastiCache")
	}
	s := &Stack{Stack: awscdk.NewStack(scope, jsii.String(id), &sp), props: p}
	s.network()
	s.cache()
	s.secrets()
	s.functions()
	s.jobQueue()
	s.api()
	s.schedule()
	s.monitoring()
	s.outputs()
	s.suppressions()
	return s
}

func (s *Stack) outputs() {
	awscdk.NewCfnOutput(s.Stack, jsii.String("ApiUrl"), &awscdk.CfnOutputProps{
		Description: jsii.String("The stage's invoke URL"),
		Value:       s.API.Url(),
	})
	awscdk.NewCfnOutput(s.Stack, jsii.String("CacheConfigurationEndpoint"), &awscdk.CfnOutputProps{
		Description: jsii.String("The cluster's configuration endpoint (TLS, AUTH)"),
		Value:       s.Cache.AttrConfigurationEndPointAddress(),
	})
	awscdk.NewCfnOutput(s.Stack, jsii.String("CacheAuthSecretArn"), &awscdk.CfnOutputProps{
		Description: jsii.String("Secrets Manager secret holding the cache's AUTH token"),
		Value:       s.CacheAuthSecret.SecretArn(),
	})
	if s.JWTSecret != nil && s.props.JWTSecretARN == "" {
		awscdk.NewCfnOutput(s.Stack, jsii.String("JwtSecretArn"), &awscdk.CfnOutputProps{
			Description: jsii.String("Secrets Manager secret holding the HS256 token signing key"),
			Value:       s.JWTSecret.SecretArn(),
		})
	}
}
