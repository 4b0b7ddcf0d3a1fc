# ldexport — build, test and demo targets. `make test` is what CI runs.
GO        ?= go
BIN       := bin/ldexport
TOOLS_DIR := tools/kinesalite
AGG_DIR   := tools/kinesis-agg
MOCK_DIR  := tools/kinesis-mock
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT    ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
DATE      ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS   := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.date=$(DATE)

.PHONY: build test test-hostile lint tools completions docs man release-check demo bench fuzz

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/ldexport

# The quick start: the whole job against the local emulator (tools/demo.sh).
demo: build tools
	AWS_EC2_METADATA_DISABLED=true tools/demo.sh

# The local Kinesis emulators, pinned in their package-lock.json: kinesalite
# (tools/kinesalite) and kinesis-mock (tools/kinesis-mock, npm kinesis-local);
# and the awslabs KPL deaggregator (tools/kinesis-agg, npm aws-kinesis-agg)
# that checks our aggregates.
# moto, the IAM/STS backend, comes with the machine's Python (python3 -m moto.server).
tools: $(TOOLS_DIR)/node_modules/.package-lock.json $(MOCK_DIR)/node_modules/.package-lock.json $(AGG_DIR)/node_modules/.package-lock.json
$(TOOLS_DIR)/node_modules/.package-lock.json: $(TOOLS_DIR)/package-lock.json
	cd $(TOOLS_DIR) && npm ci
$(MOCK_DIR)/node_modules/.package-lock.json: $(MOCK_DIR)/package-lock.json
	cd $(MOCK_DIR) && npm ci
$(AGG_DIR)/node_modules/.package-lock.json: $(AGG_DIR)/package-lock.json
	cd $(AGG_DIR) && npm ci

# Tests never reach the EC2 metadata service (only loopback is a test target here).
# They include the moto (IAM/STS), kinesalite and kinesis-mock suites; under
# CI=true a missing emulator fails them instead of skipping.
test: tools
	AWS_EC2_METADATA_DISABLED=true $(GO) test -race -count=1 ./...

# `make test` in a hostile AWS environment: a missing profile, regions, a broken
# config file, bogus credentials and endpoints. Tests must not read any of it
# (pkg/testenv clears it), so this passes exactly when `make test` does.
HOSTILE_ENV := AWS_PROFILE=ghost AWS_DEFAULT_REGION=eu-west-1 AWS_REGION=mars-1 \
	AWS_CONFIG_FILE=$(CURDIR)/testdata/hostile-aws-config \
	AWS_SHARED_CREDENTIALS_FILE=$(CURDIR)/testdata/hostile-aws-config \
	AWS_ACCESS_KEY_ID=AKIAGHOSTGHOSTGHOST AWS_SECRET_ACCESS_KEY=ghost \
	AWS_ENDPOINT_URL=http://127.0.0.1:1 AWS_EC2_METADATA_DISABLED=false \
	LDEXPORT_ENDPOINT_URL=http://127.0.0.1:1 LDEXPORT_REGION=mars-1 \
	LDEXPORT_CONFIG=$(CURDIR)/testdata/hostile-aws-config \
	LAUNCHDARKLY_ACCESS_TOKEN=api-ghost LD_ACCESS_TOKEN=api-ghost
test-hostile: tools
	$(HOSTILE_ENV) $(GO) test -race -count=1 ./...

STATICCHECK_VERSION := v0.8.2
GORELEASER_VERSION  := v2.15.0
TOOLS_BIN           := $(CURDIR)/bin/tools

# The amd64 assembly (AVX2 base64 and string scan) has Go fallbacks: vet
# them as other CPUs and `-tags purego` build them.
lint: $(TOOLS_BIN)/staticcheck
	$(GO) vet ./...
	$(GO) vet -tags purego ./pkg/sender ./pkg/ndjson
	GOARCH=arm64 $(GO) vet ./pkg/sender ./pkg/ndjson
	$(TOOLS_BIN)/staticcheck ./...

$(TOOLS_BIN)/staticcheck:
	GOBIN=$(TOOLS_BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(TOOLS_BIN)/goreleaser:
	GOBIN=$(TOOLS_BIN) $(GO) install github.com/goreleaser/goreleaser/v2@$(GORELEASER_VERSION)

release-check: $(TOOLS_BIN)/goreleaser
	$(TOOLS_BIN)/goreleaser check

completions:
	$(GO) run ./cmd/ldexport completion bash > completions/ldexport.bash
	$(GO) run ./cmd/ldexport completion zsh > completions/ldexport.zsh
	$(GO) run ./cmd/ldexport completion fish > completions/ldexport.fish
	$(GO) run ./cmd/ldexport completion powershell > completions/ldexport.ps1

# The command reference, generated from the cobra tree: Markdown under docs/reference
# (committed; a test fails when it drifts) and man pages under man/ (for releases).
docs:
	$(GO) run ./cmd/gendocs -markdown docs/reference
man:
	$(GO) run ./cmd/gendocs -man man

# Each fuzz target runs briefly (FUZZTIME each); `make fuzz FUZZTIME=5m` digs deeper.
FUZZTIME ?= 10s
FUZZ_TARGETS := FuzzLoad:./pkg/store FuzzValidators:./pkg/awsarn FuzzParseCount:./pkg/quantity FuzzReader:./pkg/ndjson FuzzValidateObject:./pkg/ndjson FuzzObjectMatchesEncodingJSON:./pkg/ndjson FuzzParse:./pkg/checkpoint FuzzKey:./pkg/ldkey FuzzRoundTrip:./pkg/kpl FuzzScanPutRecordsOutput:./pkg/sender FuzzAppendBase64:./pkg/sender FuzzDecodePutRecords:./pkg/kinesistest
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
	  name=$${t%%:*}; pkg=$${t#*:}; \
	  echo "fuzz $$name in $$pkg for $(FUZZTIME)"; \
	  GO=$(GO) tools/fuzz-one.sh "$$name" "$$pkg" $(FUZZTIME); \
	done

# Benchmarks of `ldexport send`: go test -bench, then bench/send.sh (see bench/README.md).
bench: tools
	$(GO) test -run '^$$' -bench . ./pkg/ndjson/ ./pkg/sender/ ./pkg/partitionkey/
	bench/send.sh
