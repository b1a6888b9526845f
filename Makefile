# Lambdis — build, test, benchmark.
FUNCTIONS := $(notdir $(wildcard functions/*))
GOOS_LAMBDA := linux
# LAMBDA_ARCH is the one architecture setting (arm64 | x86_64): `make build`
# compiles the bootstraps for it and the CDK app (make synth/diff/deploy),
# which reads it from the environment, declares it as every function's
# Architectures; the app refuses bootstraps built for the other one.
LAMBDA_ARCH ?= arm64
export LAMBDA_ARCH
GOARCH_arm64 := arm64
GOARCH_x86_64 := amd64
GOARCH_LAMBDA := $(GOARCH_$(LAMBDA_ARCH))
ifeq ($(GOARCH_LAMBDA),)
$(error LAMBDA_ARCH=$(LAMBDA_ARCH): want arm64 or x86_64)
endif
ifeq ($(origin GOARCH_LAMBDA),command line)
$(error GOARCH_LAMBDA is not a setting: use LAMBDA_ARCH=arm64 or LAMBDA_ARCH=x86_64, which the build and the template both follow)
endif
BUILD_FLAGS := -tags lambda.norpc -trimpath -ldflags "-s -w"

.PHONY: build test race bench fmt vet clean serve synth deploy diff $(addprefix dist/,$(FUNCTIONS))

## build: cross-compile every function to dist/<fn>/bootstrap (provided.al2023, LAMBDA_ARCH)
build: $(addprefix dist/,$(FUNCTIONS))

$(addprefix dist/,$(FUNCTIONS)): dist/%:
	CGO_ENABLED=0 GOOS=$(GOOS_LAMBDA) GOARCH=$(GOARCH_LAMBDA) go build $(BUILD_FLAGS) -o $@/bootstrap ./functions/$*

## test: the README's test command
test:
	go test ./...

## race: the shared packages under the race detector
race:
	go test -race ./shared/...

## bench: benchmarks against a real redis-server, each beside its baseline
bench:
	go test -run '^$$' -bench . -benchtime 3s ./shared/... ./functions/...

fmt:
	gofmt -l -w .

vet:
	go vet ./...

serve:
	go run ./cmd/lambdis serve

## synth / diff / deploy: the CDK app in infra/ (its own Go module) through the
## CDK CLI pinned in infra/package-lock.json; the template is
## cdk.out/Lambdis.template.json. synth needs no AWS credentials and no network.
CDK := CDK_DISABLE_VERSION_CHECK=1 CDK_DISABLE_CLI_TELEMETRY=1 node_modules/.bin/cdk
NO_AWS := env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN -u AWS_PROFILE \
	AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true

# cdk init's templates are unused here, and their .go files are not Go (gofmt
# over the repository would report them).
infra/node_modules/.package-lock.json: infra/package.json infra/package-lock.json
	cd infra && npm ci --no-audit --no-fund && rm -rf node_modules/aws-cdk/lib/init-templates

synth: build infra/node_modules/.package-lock.json
	cd infra && $(NO_AWS) $(CDK) synth --quiet

diff: build infra/node_modules/.package-lock.json
	cd infra && $(CDK) diff Lambdis

deploy: build infra/node_modules/.package-lock.json
	cd infra && $(CDK) deploy Lambdis --require-approval broadening

clean:
	rm -rf dist cdk.out
