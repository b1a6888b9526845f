// Package deploycheck holds the tests of the deploy/ files: the Docker
// Compose stack (Redis, RedisInsight, the local API), its Dockerfile, and the
// bitnami/redis Helm values. Docker and Kubernetes are not available where the
// tests run, so the files are parsed and checked setting by setting, and the
// parts that can run without them do: redis-server is started with the
// compose file's arguments and with the Helm values' configuration, and the
// API is built from the Docker build context as the Dockerfile builds it and
// started with the compose service's environment and command.
//
// It is a package of its own so that these tests compile without the CDK.
package deploycheck
