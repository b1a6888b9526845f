package secrets

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

const testARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:lambdis/redis-AbCdEf"

// fakeAPI answers GetSecretValue with out/err and records what it was asked.
type fakeAPI struct {
	out *secretsmanager.GetSecretValueOutput
	err error

	calls     int
	gotID     string
	gotRegion string
}

func (f *fakeAPI) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.calls++
	f.gotID = aws.ToString(in.SecretId)
	var o secretsmanager.Options
	for _, fn := range optFns {
		fn(&o)
	}
	f.gotRegion = o.Region
	return f.out, f.err
}

func str(s string) *secretsmanager.GetSecretValueOutput {
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(s)}
}

func TestFetch(t *testing.T) {
	tests := []struct {
		name     string
		out      *secretsmanager.GetSecretValueOutput
		apiErr   error
		field    string
		want     string
		wantErr  string // substring; "" means success
		notFound bool   // errors.Is(err, ErrNotFound)
	}{
		{name: "plain string", out: str("s3cr3t"), field: "password", want: "s3cr3t"},
		{name: "plain string, no field", out: str("s3cr3t"), want: "s3cr3t"},
		{name: "plain string with spaces kept", out: str(" pw with spaces "), field: "password", want: " pw with spaces "},
		{name: "JSON field", out: str(`{"username":"app","password":"pw1"}`), field: "password", want: "pw1"},
		{name: "JSON with leading whitespace", out: str("\n {\"password\":\"pw2\"}"), field: "password", want: "pw2"},
		{name: "JSON other field", out: str(`{"username":"app","password":"pw1"}`), field: "username", want: "app"},
		{name: "JSON without field returns whole", out: str(`{"password":"pw1"}`), want: `{"password":"pw1"}`},
		{name: "brace but not JSON is plain", out: str("{notjson"), field: "password", want: "{notjson"},
		{name: "JSON missing field", out: str(`{"username":"app"}`), field: "password", wantErr: `no field "password"`, notFound: true},
		{name: "JSON field not a string", out: str(`{"password":1234}`), field: "password", wantErr: `field "password" of the JSON secret is not a string`},
		{name: "JSON field empty", out: str(`{"password":""}`), field: "password", wantErr: `field "password" of the JSON secret is empty`, notFound: true},
		{name: "empty string", out: str(""), field: "password", wantErr: "SecretString is empty", notFound: true},
		{name: "binary only", out: &secretsmanager.GetSecretValueOutput{SecretBinary: []byte("bin")}, field: "password", wantErr: "binary secrets are not supported", notFound: true},
		{name: "nil output", out: nil, field: "password", wantErr: "no SecretString", notFound: true},
		{name: "API error", apiErr: errors.New("AccessDeniedException: not allowed"), field: "password", wantErr: "get secret value " + testARN + ": AccessDeniedException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := &fakeAPI{out: tc.out, err: tc.apiErr}
			got, err := Fetch(context.Background(), api, testARN, tc.field)
			if api.calls != 1 {
				t.Errorf("GetSecretValue calls = %d, want 1", api.calls)
			}
			if api.gotID != testARN {
				t.Errorf("SecretId = %q, want %q", api.gotID, testARN)
			}
			if tc.wantErr == "" {
				if err != nil || got != tc.want {
					t.Fatalf("Fetch() = %q, %v; want %q, nil", got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("Fetch() = %q, nil; want error containing %q", got, tc.wantErr)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.wantErr) {
				t.Errorf("Fetch() error = %q, want it to contain %q", msg, tc.wantErr)
			}
			if !strings.Contains(msg, testARN) {
				t.Errorf("Fetch() error = %q, want it to name the ARN", msg)
			}
			if tc.out != nil && tc.out.SecretString != nil && strings.Contains(msg, "pw1") {
				t.Errorf("Fetch() error = %q leaks the secret", msg)
			}
			if got := errors.Is(err, ErrNotFound); got != tc.notFound {
				t.Errorf("errors.Is(err, ErrNotFound) = %v, want %v", got, tc.notFound)
			}
			if tc.apiErr != nil && !errors.Is(err, tc.apiErr) {
				t.Errorf("Fetch() error does not wrap the API error")
			}
		})
	}
}

func TestFetchRegionFromARN(t *testing.T) {
	tests := []struct {
		id         string
		wantRegion string
	}{
		{id: testARN, wantRegion: "eu-west-1"},
		{id: "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:x", wantRegion: "cn-north-1"},
		{id: "lambdis/redis", wantRegion: ""}, // a name: the client's Region applies
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			api := &fakeAPI{out: str("pw")}
			if _, err := Fetch(context.Background(), api, tc.id, ""); err != nil {
				t.Fatalf("Fetch(%q) error: %v", tc.id, err)
			}
			if api.gotRegion != tc.wantRegion {
				t.Errorf("Fetch(%q) region = %q, want %q", tc.id, api.gotRegion, tc.wantRegion)
			}
		})
	}
}

func TestFetchRejectsMissingInputs(t *testing.T) {
	if _, err := Fetch(context.Background(), &fakeAPI{out: str("pw")}, "", "password"); err == nil {
		t.Error(`Fetch(api, "", …) = nil error, want one`)
	}
	if _, err := Fetch(context.Background(), nil, testARN, "password"); err == nil || !strings.Contains(err.Error(), testARN) {
		t.Errorf("Fetch(nil, arn, …) error = %v, want one naming the ARN", err)
	}
}
