# The README's commands. `make test` is what CI runs.
GO ?= go

.PHONY: run build test fuzz bench

run:
	$(GO) run ./cmd/gateway

build:
	$(GO) build -trimpath -o bin/gateway ./cmd/gateway

# Formatting, vet, and every test with the race detector (real Redis
# included: tests fail when CI=true and no Redis answers).
test:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -race -timeout 30m ./...

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
