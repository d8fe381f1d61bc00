# gradgen's tasks. A fresh clone with only Go installed needs `make demo` and `make test`.

GO          ?= go
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.7.0
# Every spec whose generated code is committed, with its output beside it.
SPECS       := $(shell find generated examples bench/nets -name '*.yaml' | sort)

.PHONY: all demo test bench generate check-generated fmt-check vet staticcheck unit build

all: test

## demo: train a generated network on the bundled iris data set
demo:
	$(GO) run ./examples/iris

## test: formatting, vet, staticcheck, stale generated code, then every test
test: fmt-check vet staticcheck check-generated unit

## bench: generated vs generic engine vs Gorgonia, one core; writes docs/bench/
BENCH_COUNT ?= 6
bench:
	@mkdir -p docs/bench
	GOMAXPROCS=1 $(GO) test -run '^$$' -bench . -count $(BENCH_COUNT) ./bench | tee docs/bench/raw.txt
	cd bench/peers && GOMAXPROCS=1 $(GO) test -run '^$$' -bench . -count $(BENCH_COUNT) . | tee ../../docs/bench/peers.txt
	$(GO) run ./bench/report -md docs/bench/README.md -png docs/bench/chart.png -go "$$($(GO) env GOVERSION)" \
		docs/bench/raw.txt docs/bench/peers.txt

## generate: regenerate every committed package from its spec
generate:
	@for s in $(SPECS); do \
		echo "gradgen gen $$s"; \
		$(GO) run ./cmd/gradgen gen $$s || exit 1; \
	done

## check-generated: fail when a committed generated file is stale
check-generated:
	@for s in $(SPECS); do \
		$(GO) run ./cmd/gradgen check $$s || exit 1; \
	done
	@echo "generated code is up to date"

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

# staticcheck runs at a pinned version through go run, so it stays out of go.mod.
staticcheck:
	$(GO) run $(STATICCHECK) ./...

unit:
	$(GO) test -count=1 ./...

build:
	$(GO) build ./...
