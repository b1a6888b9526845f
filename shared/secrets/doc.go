// Package secrets reads one secret string from AWS Secrets Manager, once, at
// start-up.
//
// Fetch takes the small GetSecretValueAPI interface (which the real
// *secretsmanager.Client satisfies) so tests pass a fake. A secret may be a
// plain string, or a JSON object from which Fetch picks one field, as in the
// {"username": …, "password": …} secrets that AWS creates and rotates:
//
//	password, err := secrets.Fetch(ctx, api, arn, "password")
//
// Fetch sends the request to the Region named in the ARN, so a function may
// read a secret held in another Region, and a laptop with no AWS_REGION set
// can still read one.
//
// LazyClient builds the real client from the default AWS configuration
// (environment, shared config files, the Lambda execution role) on its first
// call and not before, so a process that never reads a secret never needs AWS
// credentials. A Lambda function in a VPC reaches Secrets Manager only
// through a NAT gateway or a Secrets Manager interface VPC endpoint; without
// one the call hangs until its context ends, so callers bound it with a
// timeout.
package secrets
