// Package xray makes the Redis calls of a Lambdis function visible in AWS
// X-Ray: with active tracing on, each Redis command (or pipeline) of a
// sampled invocation is a subsegment named "redis" (namespace "remote") of
// the function's segment, with the command names, its start and end, and
// the error when it failed.
//
// Instrument adds a go-redis hook (RedisHook) that sends each subsegment as
// one UDP datagram to the X-Ray daemon Lambda runs beside the function
// (AWS_XRAY_DAEMON_ADDRESS), in the daemon's documented format: the header
// line {"format": "json", "version": 1}, a newline, then the subsegment
// document. The trace id and the parent segment come from the
// invocation's trace header (Root=...;Parent=...;Sampled=1), which the
// Lambda runtime client puts in the handler's context.
//
// It is not the AWS X-Ray SDK for Go: that SDK is in maintenance mode (AWS
// recommends OpenTelemetry for new instrumentation), its xray package links
// the AWS SDK for Go v1, which has reached its end of support, and a hook
// needs only the subsegment document and a UDP socket.
//
// It costs nothing when tracing is off: Instrument installs no hook when
// AWS_XRAY_DAEMON_ADDRESS is unset (outside Lambda), and the hook returns at
// once for an invocation whose trace header is absent or not sampled (no
// allocation, no clock read).
package xray
