package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The local server links no package it does not use: the first `go run
// ./cmd/lambdis serve` compiles every one (see README, Install). The
// deployed enqueue function's Lambda Invoke client (functions/enqueue's
// main.go builds it), the CDK stack and the test helpers stay out; the
// Secrets Manager client stays in (REDIS_AUTH_SECRET_ARN and
// WEBHOOK_SECRET_ARN work locally too).
func TestLinksOnlyWhatServeUses(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, banned := range []string{
			"github.com/aws/aws-sdk-go-v2/service/lambda",
			"github.com/aws/aws-cdk-go",
			"github.com/aws/jsii-runtime-go",
			"github.com/lambdis/lambdis/functions/enqueue/lambdawake",
			"github.com/lambdis/lambdis/infra",
			"github.com/lambdis/lambdis/shared/redistest",
			"github.com/lambdis/lambdis/shared/rietest",
		} {
			if pkg == banned || strings.HasPrefix(pkg, banned+"/") {
				t.Errorf("cmd/lambdis links %s", pkg)
			}
		}
	}
}
