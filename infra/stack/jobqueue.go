package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
)

// EnvWakeFunction is the enqueue function's variable naming the worker it
// wakes (functions/enqueue/lambdawake); EnvWorkerLinger the worker's idle
// time before a run returns.
const (
	EnvWakeFunction = "ENQUEUE_WAKE_FUNCTION"
	EnvWorkerLinger = "WORKER_LINGER"
)

// jobQueueVariables are the variables jobQueue sets, per function, which
// Props.Environment may not override.
var jobQueueVariables = map[string][]string{
	"enqueue": {EnvWakeFunction},
	"worker":  {EnvWorkerLinger, "WORKER_QUEUES"},
}

// jobQueue wires the job queue's functions together.
//
// The enqueue function may start the worker when it enqueues due work on a
// queue with no worker awake: its role may invoke the worker function
// and nothing else (the function's ARN, not <arn>:*, so no other version or
// alias), and ENQUEUE_WAKE_FUNCTION names it. The worker's reserved
// concurrency still bounds how many runs there are; its asynchronous
// invocation settings (no retries, the schedule's event age) apply to wakes
// as to ticks. The grant is a policy of its own attached to the enqueue
// role, so that the role's LeastPrivilege policy stays what compute.go
// writes for every function. Without NAT (the default) the functions reach
// the Lambda API through an interface endpoint (LambdaEndpoint), like the
// other AWS APIs they call. WakeWorker false leaves all of this out: ticks
// only.
//
// The worker lingers WORKER_LINGER on an idle queue before its run returns.
// Without WorkerQueues it drains every registered queue; WORKER_QUEUES is
// then declared empty (unset), so that `sam local invoke --env-vars` may
// still set the filter.
func (s *Stack) jobQueue() {
	enqueue, worker := s.Functions["enqueue"], s.Functions["worker"]
	worker.AddEnvironment(jsii.String(EnvWorkerLinger), jsii.String(s.props.WorkerLinger.String()), nil)
	if len(s.props.WorkerQueues) == 0 {
		worker.AddEnvironment(jsii.String("WORKER_QUEUES"), jsii.String(""), nil)
	}
	if !s.props.WakeWorker {
		return
	}
	enqueue.AddEnvironment(jsii.String(EnvWakeFunction), worker.FunctionName(), nil)
	if s.props.NatGateways == 0 {
		// The functions' subnets are isolated: the Lambda API is reached
		// through an interface endpoint, as Secrets Manager and Logs are.
		s.Vpc.AddInterfaceEndpoint(jsii.String("LambdaEndpoint"), &awsec2.InterfaceVpcEndpointOptions{
			Service:           awsec2.InterfaceVpcEndpointAwsService_LAMBDA(),
			PrivateDnsEnabled: jsii.Bool(true),
			Open:              jsii.Bool(false),
			SecurityGroups:    &[]awsec2.ISecurityGroup{s.EndpointsSG},
			Subnets:           s.privateSubnets,
		})
	}
	awsiam.NewPolicy(s.Stack, jsii.String("EnqueueWakesWorker"), &awsiam.PolicyProps{
		Roles: &[]awsiam.IRole{enqueue.Role()},
		Statements: &[]awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("WakeWorker"),
				Actions:   jsii.Strings("lambda:InvokeFunction"),
				Resources: &[]*string{worker.FunctionArn()},
			}),
		},
	})
}
