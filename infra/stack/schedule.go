package stack

import (
	"encoding/json"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/jsii-runtime-go"
)

// ScheduleExpression is how often the worker drains the queues, every
// ScheduleInterval: the safety net behind the enqueue function's wakes (a
// failed wake, a delayed job or a retry coming due with no run awake).
const (
	ScheduleExpression = "rate(1 minute)"
	ScheduleInterval   = time.Minute
)

// WorkerInput is the JSON the schedule passes to the worker: its own input
// (functions/worker/drainer.Input), not an EventBridge envelope. With no
// queues it names none ({}): the run drains every registered queue.
func WorkerInput(queues []string) string {
	b, err := json.Marshal(struct {
		Queues []string `json:"queues,omitempty"`
	}{queues})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// schedule invokes the worker every minute with EventBridge Scheduler, with
// an explicit retry policy (Scheduler's defaults are 185 retries over 24
// hours, pointless for a tick that the next one replaces) and a role that
// may invoke the worker and nothing else. The L1 construct is used so the
// role's statement names the function's ARN only (the L2 target grants
// <arn>:* as well).
func (s *Stack) schedule() {
	p := s.props
	worker := s.Functions["worker"]
	role := awsiam.NewRole(s.Stack, jsii.String("WorkerScheduleRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("scheduler.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]any{
				"StringEquals": map[string]any{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()},
			},
		}),
		Description: jsii.String("EventBridge Scheduler: invoke the Lambdis worker"),
		InlinePolicies: &map[string]awsiam.PolicyDocument{
			"InvokeWorker": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &[]awsiam.PolicyStatement{
				awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
					Actions:   jsii.Strings("lambda:InvokeFunction"),
					Resources: &[]*string{worker.FunctionArn()},
				}),
			}}),
		},
	})
	awsscheduler.NewCfnSchedule(s.Stack, jsii.String("WorkerSchedule"), &awsscheduler.CfnScheduleProps{
		Description:                jsii.String("Drain the Lambdis job queues"),
		ScheduleExpression:         jsii.String(ScheduleExpression),
		ScheduleExpressionTimezone: jsii.String("Etc/UTC"),
		FlexibleTimeWindow:         &awsscheduler.CfnSchedule_FlexibleTimeWindowProperty{Mode: jsii.String("OFF")},
		State:                      jsii.String("ENABLED"),
		Target: &awsscheduler.CfnSchedule_TargetProperty{
			Arn:     worker.FunctionArn(),
			RoleArn: role.RoleArn(),
			Input:   jsii.String(WorkerInput(p.WorkerQueues)),
			RetryPolicy: &awsscheduler.CfnSchedule_RetryPolicyProperty{
				MaximumRetryAttempts:     jsii.Number(float64(p.ScheduleRetryAttempts)),
				MaximumEventAgeInSeconds: jsii.Number(p.ScheduleMaxEventAge.Seconds()),
			},
		},
	})
}
