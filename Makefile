# ldexport — build, test and demo targets. `make test` is what CI runs.
GO        ?= go
BIN       := bin/ldexport
TOOLS_DIR := tools/kinesalite
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT    ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
DATE      ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS   := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.date=$(DATE)

.PHONY: build test lint tools completions release-check demo bench

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/ldexport

# The local Kinesis emulator (kinesalite), pinned in tools/kinesalite/package-lock.json.
tools: $(TOOLS_DIR)/node_modules/.package-lock.json
$(TOOLS_DIR)/node_modules/.package-lock.json: $(TOOLS_DIR)/package-lock.json
	cd $(TOOLS_DIR) && npm ci

test: tools
	$(GO) test -race -count=1 ./...

lint:
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@2025.1.1 ./...

# Benchmarks of `ldexport send`: go test -bench, then bench/send.sh (see bench/README.md).
bench: tools
	$(GO) test -run '^$$' -bench . ./pkg/ndjson/ ./pkg/sender/ ./pkg/partitionkey/
	bench/send.sh
