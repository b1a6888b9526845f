// Package stack is the Lambdis CDK stack: a VPC over two AZs with private
// subnets and interface endpoints; an ElastiCache (Valkey or Redis OSS)
// replication group in cluster mode, Multi-AZ, encrypted in transit and at
// rest, with an AUTH token in Secrets Manager and maxmemory-policy
// noeviction; every functions/<fn> as a provided.al2023 Lambda (arm64, or
// x86_64 by LAMBDA_ARCH) with
// its own least-privilege role; a REST API whose every route but the health
// check runs the ratelimit function as REQUEST authorizer (never cached),
// with the gateway responses of shared/apigw; the worker's EventBridge
// Scheduler schedule; alarms and a dashboard; and the cdk-nag AwsSolutions
// findings the design accepts, each suppressed with its reason.
//
// New builds the stack from Props (DefaultProps for the defaults); NewApp
// adds the cdk-nag checks; Synth is the CDK app's main (infra/main.go).
//
// The tests synthesize the app with placeholder bootstraps and assert on
// the template; they need neither `make build` nor AWS credentials.
package stack
