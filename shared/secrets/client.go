package secrets

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// NewClient builds a Secrets Manager client from the default AWS
// configuration: environment variables, shared config files, or the Lambda
// execution role. Loading the configuration makes no network call;
// credentials are resolved on the first request.
func NewClient(ctx context.Context) (*secretsmanager.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("secrets: load default AWS config: %w", err)
	}
	return secretsmanager.NewFromConfig(cfg), nil
}

// LazyClient is a GetSecretValueAPI that builds the real client (NewClient)
// on its first call, so that merely holding one costs nothing and needs no
// credentials. The zero value is ready to use and safe for concurrent use. A
// failed build is not remembered: the next call tries again.
type LazyClient struct {
	// LoadConfig replaces config.LoadDefaultConfig when set (tests).
	LoadConfig func(ctx context.Context) (aws.Config, error)

	mu     sync.Mutex
	client *secretsmanager.Client
}

var _ GetSecretValueAPI = (*LazyClient)(nil)

// GetSecretValue builds the client if needed and calls it.
func (l *LazyClient) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	c, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	return c.GetSecretValue(ctx, in, optFns...)
}

func (l *LazyClient) get(ctx context.Context) (*secretsmanager.Client, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.client != nil {
		return l.client, nil
	}
	load := l.LoadConfig
	if load == nil {
		load = func(ctx context.Context) (aws.Config, error) { return config.LoadDefaultConfig(ctx) }
	}
	cfg, err := load(ctx)
	if err != nil {
		return nil, fmt.Errorf("secrets: load default AWS config: %w", err)
	}
	l.client = secretsmanager.NewFromConfig(cfg)
	return l.client, nil
}
