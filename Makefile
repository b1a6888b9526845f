# Lambdis — build, test, benchmark.
FUNCTIONS := $(notdir $(wildcard functions/*))
GOOS_LAMBDA := linux
GOARCH_LAMBDA ?= arm64
BUILD_FLAGS := -tags lambda.norpc -trimpath -ldflags "-s -w"

.PHONY: build test race bench fmt vet clean serve $(addprefix dist/,$(FUNCTIONS))

## build: cross-compile every function to dist/<fn>/bootstrap (provided.al2023, arm64)
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

clean:
	rm -rf dist cdk.out
