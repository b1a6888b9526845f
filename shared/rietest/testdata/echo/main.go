// Command echo is a Lambda function for the rietest tests: it answers its
// event with the number of the invocation in this execution environment and
// its process id, fails when asked to, and sleeps when asked to (so a test
// can kill it mid-invocation).
package main

import (
	"context"
	"errors"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

type event struct {
	Echo    string `json:"echo"`
	Fail    string `json:"fail,omitempty"`
	SleepMS int    `json:"sleep_ms,omitempty"`
}

type answer struct {
	Echo       string `json:"echo"`
	Invocation int    `json:"invocation"`
	PID        int    `json:"pid"`
	Env        string `json:"env"`
}

var invocations int

func handle(_ context.Context, e event) (answer, error) {
	invocations++
	if f := os.Getenv("ECHO_PID_FILE"); f != "" {
		if err := os.WriteFile(f, []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
			return answer{}, err
		}
	}
	// A stuck handler: it ignores its deadline.
	time.Sleep(time.Duration(e.SleepMS) * time.Millisecond)
	if e.Fail != "" {
		return answer{}, errors.New(e.Fail)
	}
	return answer{Echo: e.Echo, Invocation: invocations, PID: os.Getpid(), Env: os.Getenv("ECHO_ENV")}, nil
}

func main() { lambda.Start(handle) }
