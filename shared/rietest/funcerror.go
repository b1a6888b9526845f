package rietest

import (
	"bytes"
	"encoding/json"
	"regexp"
)

// FunctionError is the answer to an invocation whose handler returned an
// error (or panicked, or whose runtime crashed): the object the runtime
// posts to the Runtime API's /error endpoint, which the emulator hands back
// as the body. API Gateway turns an authorizer's FunctionError with the
// message "Unauthorized" into a 401.
type FunctionError struct {
	Message string `json:"errorMessage"`
	Type    string `json:"errorType"` // e.g. "errorString", "Runtime.ExitError"
	// StackTrace is set for panics.
	StackTrace json.RawMessage `json:"stackTrace,omitempty"`
}

func (e *FunctionError) Error() string { return e.Type + ": " + e.Message }

// AsFunctionError reports whether body is a function error rather than the
// handler's answer: a JSON object whose only members are errorMessage and
// errorType (both strings) and optionally stackTrace. No answer of the
// Lambdis handlers has that shape.
func AsFunctionError(body []byte) (*FunctionError, bool) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil {
		return nil, false
	}
	for k := range members {
		if k != "errorMessage" && k != "errorType" && k != "stackTrace" {
			return nil, false
		}
	}
	var msg, typ string
	if json.Unmarshal(members["errorMessage"], &msg) != nil || json.Unmarshal(members["errorType"], &typ) != nil {
		return nil, false
	}
	return &FunctionError{Message: msg, Type: typ, StackTrace: members["stackTrace"]}, true
}

// timedOut matches the emulator's plain-text answer to an invocation that
// outlived AWS_LAMBDA_FUNCTION_TIMEOUT.
var timedOut = regexp.MustCompile(`^Task timed out after \d+\.\d\d seconds$`)

// TimedOut reports whether body is the emulator's answer to an invocation
// that ran out of time ("Task timed out after 3.00 seconds"; not JSON).
func TimedOut(body []byte) bool {
	return timedOut.Match(bytes.TrimSpace(body))
}
