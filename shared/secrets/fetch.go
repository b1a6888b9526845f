package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// GetSecretValueAPI is the one Secrets Manager call Fetch makes. The real
// *secretsmanager.Client and LazyClient satisfy it; tests pass a fake.
type GetSecretValueAPI interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// ErrNotFound is wrapped by the error Fetch returns when the secret holds no
// usable string: no SecretString (a binary secret), an empty one, or a JSON
// object without the requested field.
var ErrNotFound = errors.New("secret value not found")

// Fetch returns the current value of the secret secretARN (an ARN or a secret
// name). When field is empty the whole SecretString is returned. Otherwise a
// SecretString that is a JSON object yields the string member named field,
// and any other SecretString (a plain password) is returned whole.
//
// Every error names the secret; none contains the secret's value.
func Fetch(ctx context.Context, api GetSecretValueAPI, secretARN, field string) (string, error) {
	if secretARN == "" {
		return "", errors.New("secrets: no secret ARN given")
	}
	if api == nil {
		return "", fmt.Errorf("secrets: %s: no Secrets Manager client", secretARN)
	}
	var opts []func(*secretsmanager.Options)
	if region := regionOf(secretARN); region != "" {
		opts = append(opts, func(o *secretsmanager.Options) { o.Region = region })
	}
	out, err := api.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &secretARN}, opts...)
	if err != nil {
		return "", fmt.Errorf("secrets: get secret value %s: %w", secretARN, err)
	}
	if out == nil || out.SecretString == nil {
		return "", fmt.Errorf("secrets: %s: %w: the secret has no SecretString (binary secrets are not supported)", secretARN, ErrNotFound)
	}
	v, err := pick(*out.SecretString, field)
	if err != nil {
		return "", fmt.Errorf("secrets: %s: %w", secretARN, err)
	}
	return v, nil
}

// pick returns the value of field from a JSON-object secret, or the secret
// itself when field is empty or the secret is not a JSON object. Errors never
// quote the secret.
func pick(s, field string) (string, error) {
	if s == "" {
		return "", fmt.Errorf("%w: SecretString is empty", ErrNotFound)
	}
	if field == "" || !strings.HasPrefix(strings.TrimSpace(s), "{") {
		return s, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &obj); err != nil {
		// Starts with "{" but is not JSON: a plain password that happens to
		// begin with a brace.
		return s, nil
	}
	raw, ok := obj[field]
	if !ok {
		return "", fmt.Errorf("%w: the JSON secret has no field %q", ErrNotFound, field)
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", fmt.Errorf("field %q of the JSON secret is not a string", field)
	}
	if v == "" {
		return "", fmt.Errorf("%w: field %q of the JSON secret is empty", ErrNotFound, field)
	}
	return v, nil
}

// regionOf returns the Region of a full secret ARN, or "" for a secret name
// or a malformed ARN (then the client's own Region applies).
func regionOf(secretARN string) string {
	a, err := arn.Parse(secretARN)
	if err != nil {
		return ""
	}
	return a.Region
}
