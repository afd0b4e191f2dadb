# The README's commands. `make test` is what CI runs.
GO ?= go

.PHONY: run build test fuzz bench

run:
	$(GO) run ./cmd/gateway

build:
	$(GO) build -trimpath -o bin/gateway ./cmd/gateway

# The set-up (.ci/setup: Debian and npm packages, versitygw, Pebble, a
# Redis), then formatting, vet, and every test with the race detector.
# GATEWAY_TEST_REQUIRE_TOOLS=1 makes a test whose tool is missing fail, not
# skip (internal/testutil/tools.go). The summary (internal/testutil/cmd/
# testsummary) prints what go test would, then the skipped tests with their
# reasons and the failed ones, then one line: N passed, N failed, N skipped.
# PKGS narrows the run: make test PKGS=./internal/cors/...
PKGS ?= ./...
test: SHELL := /bin/bash
test:
	@bash .ci/setup
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)
	@$(GO) build -o bin/testsummary ./internal/testutil/cmd/testsummary
	set -o pipefail; GATEWAY_TEST_REQUIRE_TOOLS=1 $(GO) test -race -json -timeout 30m $(PKGS) | bin/testsummary

# Runs every fuzz target for FUZZTIME each (default 20s).
FUZZTIME ?= 20s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/...
