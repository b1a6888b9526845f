package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"
)

// network builds the VPC over two AZs: private subnets for the functions and
// the cache (isolated without NAT, with egress through NAT gateways when
// NatGateways > 0), interface endpoints for Secrets Manager and CloudWatch
// Logs, and three security groups:
//
//	functions → cache      TCP CachePort (the only way into the cache)
//	functions → endpoints  TCP 443
//	functions → 0.0.0.0/0  TCP 443, only with NAT (webhooks, JWKS)
//
// Every group denies all other egress.
func (s *Stack) network() {
	p := s.props
	private := awsec2.SubnetType_PRIVATE_ISOLATED
	subnets := []*awsec2.SubnetConfiguration{
		{Name: jsii.String("private"), SubnetType: private, CidrMask: jsii.Number(22)},
	}
	if p.NatGateways > 0 {
		private = awsec2.SubnetType_PRIVATE_WITH_EGRESS
		subnets = []*awsec2.SubnetConfiguration{
			{Name: jsii.String("public"), SubnetType: awsec2.SubnetType_PUBLIC, CidrMask: jsii.Number(24)},
			{Name: jsii.String("private"), SubnetType: private, CidrMask: jsii.Number(22)},
		}
	}
	s.privateSubnets = &awsec2.SubnetSelection{SubnetType: private}
	s.Vpc = awsec2.NewVpc(s.Stack, jsii.String("Vpc"), &awsec2.VpcProps{
		IpAddresses:         awsec2.IpAddresses_Cidr(jsii.String("10.40.0.0/16")),
		MaxAzs:              jsii.Number(2),
		NatGateways:         jsii.Number(float64(p.NatGateways)),
		SubnetConfiguration: &subnets,
		// Restricting the default security group takes a custom-resource
		// Lambda (Node.js) in the stack; nothing here uses that group.
		RestrictDefaultSecurityGroup: jsii.Bool(false),
	})
	if p.FlowLogs {
		logs := awslogs.NewLogGroup(s.Stack, jsii.String("VpcFlowLogs"), &awslogs.LogGroupProps{
			Retention:     p.LogRetention,
			RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
		})
		s.Vpc.AddFlowLog(jsii.String("FlowLog"), &awsec2.FlowLogOptions{
			Destination: awsec2.FlowLogDestination_ToCloudWatchLogs(logs, nil),
			// Rejected connections are what a wrong security group shows.
			TrafficType: awsec2.FlowLogTrafficType_REJECT,
		})
	}

	sg := func(id, description string) awsec2.SecurityGroup {
		return awsec2.NewSecurityGroup(s.Stack, jsii.String(id), &awsec2.SecurityGroupProps{
			Vpc:              s.Vpc,
			Description:      jsii.String(description),
			AllowAllOutbound: jsii.Bool(false),
		})
	}
	s.FunctionsSG = sg("FunctionsSecurityGroup", "Lambdis functions: out to the cache, the endpoints (and HTTPS through NAT)")
	s.CacheSG = sg("CacheSecurityGroup", "Lambdis cache: in from the functions only")
	s.EndpointsSG = sg("EndpointsSecurityGroup", "Interface endpoints: in from the functions only")

	s.FunctionsSG.Connections().AllowTo(s.CacheSG, awsec2.Port_Tcp(jsii.Number(float64(p.CachePort))), jsii.String("Redis (TLS, AUTH) from the functions"))
	s.FunctionsSG.Connections().AllowTo(s.EndpointsSG, awsec2.Port_Tcp(jsii.Number(443)), jsii.String("AWS APIs through the interface endpoints"))
	if p.NatGateways > 0 {
		s.FunctionsSG.AddEgressRule(awsec2.Peer_AnyIpv4(), awsec2.Port_Tcp(jsii.Number(443)), jsii.String("HTTPS through NAT (webhooks, JWKS)"), jsii.Bool(false))
	}

	for _, ep := range []struct {
		id  string
		svc awsec2.InterfaceVpcEndpointAwsService
	}{
		{"SecretsManagerEndpoint", awsec2.InterfaceVpcEndpointAwsService_SECRETS_MANAGER()},
		{"LogsEndpoint", awsec2.InterfaceVpcEndpointAwsService_CLOUDWATCH_LOGS()},
	} {
		s.Vpc.AddInterfaceEndpoint(jsii.String(ep.id), &awsec2.InterfaceVpcEndpointOptions{
			Service:           ep.svc,
			PrivateDnsEnabled: jsii.Bool(true),
			Open:              jsii.Bool(false),
			SecurityGroups:    &[]awsec2.ISecurityGroup{s.EndpointsSG},
			Subnets:           s.privateSubnets,
		})
	}
}
