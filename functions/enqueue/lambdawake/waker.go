package lambdawake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/lambdis/lambdis/shared/envvar"
	"github.com/lambdis/lambdis/shared/queue"
)

// EnvFunction names the worker function the enqueue function wakes.
const EnvFunction = "ENQUEUE_WAKE_FUNCTION"

// Reserve is the time a wake leaves of the request's remaining time, so that
// the enqueue can still answer when the Invoke API is slow.
const Reserve = 250 * time.Millisecond

// maxAttempts bounds the SDK's retries of one wake.
const maxAttempts = 2

// ErrNoTime is returned when the request has no time left for a wake.
var ErrNoTime = errors.New("lambdawake: no time left in the request for a wake")

// InvokeAPI is the part of the Lambda client a Waker uses.
type InvokeAPI interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, optFns ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// Waker wakes the worker function Function through Client.
type Waker struct {
	Function string
	Client   InvokeAPI
	// Timeout bounds one wake (queue.DefaultWakeTimeout when 0).
	Timeout time.Duration
}

var _ queue.Waker = (*Waker)(nil)

// Input is the worker's input for a wake, {"wake": "<queue>"}: the run
// drains that queue and every other in use (functions/worker/drainer.Input),
// so one awake run serves them all.
func Input(queueName string) []byte {
	b, err := json.Marshal(struct {
		Wake string `json:"wake"`
	}{queueName})
	if err != nil {
		panic(err) // a string always encodes
	}
	return b
}

// Wake invokes the worker asynchronously for queueName. Lambda answers 202
// once the event is queued; anything else is an error.
func (w *Waker) Wake(ctx context.Context, queueName string) error {
	timeout := w.Timeout
	if timeout <= 0 {
		timeout = queue.DefaultWakeTimeout
	}
	if dl, ok := ctx.Deadline(); ok {
		left := time.Until(dl) - Reserve
		if left <= 0 {
			return ErrNoTime
		}
		timeout = min(timeout, left)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out, err := w.Client.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(w.Function),
		InvocationType: types.InvocationTypeEvent,
		Payload:        Input(queueName),
	}, func(o *lambda.Options) { o.RetryMaxAttempts = maxAttempts })
	if err != nil {
		return fmt.Errorf("lambdawake: invoke %s: %w", w.Function, err)
	}
	if out.StatusCode != 202 {
		return fmt.Errorf("lambdawake: invoke %s: status %d, want 202", w.Function, out.StatusCode)
	}
	return nil
}

// FromEnv returns the Waker ENQUEUE_WAKE_FUNCTION names, with a Lambda client
// from the default AWS configuration (no network call until the first wake),
// or nil when the variable is unset.
func FromEnv(ctx context.Context, get envvar.Getenv) (queue.Waker, error) {
	fn := envvar.String(get, EnvFunction, "")
	if fn == "" {
		return nil, nil
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("lambdawake: load default AWS config: %w", err)
	}
	return &Waker{Function: fn, Client: lambda.NewFromConfig(cfg)}, nil
}
