// Package rietest runs the functions' real bootstrap binaries under the AWS
// Lambda Runtime Interface Emulator (aws-lambda-rie), the program `sam local
// invoke` runs inside its container, without Docker.
//
// Build compiles a function for the host (go build -tags lambda.norpc),
// once per test binary. Start runs aws-lambda-rie around a bootstrap on free
// loopback ports with a clean environment; Invoke (or Call, which does not
// need a *testing.T and so may run in another goroutine) posts one event to
// /2015-03-31/functions/function/invocations, as
// `curl -d @event.json localhost:9000/2015-03-31/functions/function/invocations`
// would. The emulator answers a function error with status 200 and the
// runtime's {"errorMessage", "errorType"} object; AsFunctionError tells it
// from a normal answer (TimedOut recognises the emulator's plain-text answer
// to a timed-out invocation). Kill SIGKILLs the emulator and the bootstrap it
// started, which runs in a process group of its own (a crash, not a
// shutdown), for tests that inject a fault mid-invocation.
//
// NewInvokeAPI is a local stand-in for Lambda's Invoke API in front of
// emulators: a function whose AWS SDK client is pointed at its URL
// (AWS_ENDPOINT_URL_LAMBDA) invokes another function under the emulator;
// an asynchronous invocation (X-Amz-Invocation-Type: Event) is answered 202
// and run in the background, and recorded (Events, WaitEvents).
//
// A package whose tests call Build should end its test binary through Main,
// which removes the built binaries:
//
//	func TestMain(m *testing.M) { rietest.Main(m) }
//
// The emulator runs only on Linux; elsewhere Start skips (or fails, with
// LAMBDIS_REQUIRE_INTEGRATION=1, as the redistest servers do).
package rietest
