# gradgen's tasks. A fresh clone with only Go installed needs `make demo` and `make test`.

GO          ?= go
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.7.0
# Every spec whose generated code is committed, with its output beside it.
SPECS       := $(shell find generated examples bench/nets -name '*.yaml' | sort)

.PHONY: onnxruntime all demo example-gapminder web test-web test test-ports test-arm64 test-js test-wasip1 vet-ports bench generate check-generated fmt-check vet staticcheck unit build interop

all: test

## demo: train a generated network on the bundled handwritten digits; writes docs/digits.png
demo:
	$(GO) run ./examples/digits -plot docs/digits.png

## example-gapminder: life expectancy with a country embedding, against the same network without it; writes docs/gapminder.png
example-gapminder:
	$(GO) run ./examples/gapminder -plot docs/gapminder.png

## web: the digits network in the browser (examples/web): build it for js/wasm into a temporary directory
## and serve the page on http://localhost:$(PORT) until interrupted (PORT=8080 unless set)
PORT ?= 8080
web:
	@dir=$$(mktemp -d) && trap 'rm -rf "$$dir"' EXIT INT TERM && \
	echo "GOOS=js GOARCH=wasm $(GO) build -o $$dir/main.wasm ./examples/web" && \
	GOOS=js GOARCH=wasm $(GO) build -o "$$dir/main.wasm" ./examples/web && \
	cp "$(WASM_EXEC)/wasm_exec.js" examples/web/index.html examples/web/app.js "$$dir/" && \
	$(GO) run ./examples/web/serve -dir "$$dir" -addr "localhost:$(PORT)"

## test-web: draw digits on that page in Debian's headless Chromium and correct one (examples/web/browsertest,
## a module of its own); `go test -update` there rewrites docs/web.png
test-web:
	@command -v chromium >/dev/null || { echo "make test-web: needs Debian's chromium: apt-get install chromium" >&2; exit 1; }
	cd examples/web/browsertest && $(GO) vet ./... && $(GO) test -count=1 -v ./...

## test: formatting, vet, staticcheck, stale generated code, then every test
test: fmt-check vet staticcheck check-generated unit

# The packages whose tests run on every port: the runtime, checkpoints, and
# every generated package (./bench tests bench/nets).
PORT_PKGS  := ./runtime ./safetensors ./generated/... ./examples/... ./bench
# Go's own wrappers that run js/wasm under Node and wasip1/wasm under a WASI runtime.
WASM_EXEC  := $(shell $(GO) env GOROOT)/lib/wasm
WAZERO     := github.com/tetratelabs/wazero/cmd/wazero@v1.12.0
QEMU_ARM64 ?= qemu-aarch64-static

## test-ports: the PORT_PKGS tests on linux/arm64 (qemu-user), js/wasm (Node), wasip1/wasm (wazero); vet on darwin/arm64, windows/amd64, linux/386
test-ports: test-arm64 test-js test-wasip1 vet-ports

test-arm64:
	GOARCH=arm64 $(GO) test -count=1 -exec $(QEMU_ARM64) $(PORT_PKGS)

test-js:
	PATH="$(WASM_EXEC):$$PATH" GOOS=js GOARCH=wasm $(GO) test -count=1 $(PORT_PKGS)

# wazero is installed, at a pinned version, into a temporary directory, so it
# stays out of go.mod; go test finds Go's go_wasip1_wasm_exec on PATH.
test-wasip1:
	@bin=$$(mktemp -d) && trap 'rm -rf "$$bin"' EXIT && \
	GOBIN="$$bin" $(GO) install $(WAZERO) && \
	echo "GOOS=wasip1 GOARCH=wasm $(GO) test -count=1 $(PORT_PKGS)  # under wazero" && \
	PATH="$$bin:$(WASM_EXEC):$$PATH" GOWASIRUNTIME=wazero GOOS=wasip1 GOARCH=wasm $(GO) test -count=1 $(PORT_PKGS)

vet-ports:
	GOOS=darwin GOARCH=arm64 $(GO) vet ./...
	GOOS=windows GOARCH=amd64 $(GO) vet ./...
	GOOS=linux GOARCH=386 $(GO) vet ./...

## bench: generated vs generic engine, Gorgonia, ONNX Runtime and PyTorch on one core; SetWorkers(2) on both;
## a step with a 1M-row embedding (bench/sparse); writes docs/bench/
BENCH_COUNT ?= 6
# PyTorch's peer runs on OpenBLAS (Debian's libopenblas0-pthread), loaded for that one command
# without switching the system's libblas.so.3, on one thread, and with the machine's
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, which would halve it.
OPENBLAS_DIR ?= /usr/lib/$(shell $(GO) env GOARCH | sed 's/amd64/x86_64/;s/arm64/aarch64/')-linux-gnu/openblas-pthread
bench: onnxruntime
	@test -e "$(OPENBLAS_DIR)/libblas.so.3" || { \
		echo "make bench: PyTorch's peer needs OpenBLAS in $(OPENBLAS_DIR): apt-get install libopenblas0-pthread" >&2; exit 1; }
	@mkdir -p docs/bench
	GOMAXPROCS=1 $(GO) test -run '^$$' -bench '^Benchmark(Step|Predict|Infer)$$' -count $(BENCH_COUNT) ./bench | tee docs/bench/raw.txt
	GOMAXPROCS=2 $(GO) test -run '^$$' -bench '^BenchmarkStepWorkers$$' -count $(BENCH_COUNT) ./bench | tee docs/bench/workers.txt
	GOMAXPROCS=1 $(GO) test -run '^$$' -bench . -count $(BENCH_COUNT) ./bench/sparse | tee docs/bench/sparse.txt
	cd bench/peers && export GRADGEN_ORT_NODE_MODULES="$(ORT_CACHE)/node_modules" && $(GO) test -count=1 -run TestONNXRuntime . && \
		GOMAXPROCS=1 $(GO) test -run '^$$' -bench . -count $(BENCH_COUNT) . | tee ../../docs/bench/peers.txt
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE LD_LIBRARY_PATH="$(OPENBLAS_DIR)" OPENBLAS_NUM_THREADS=1 \
		/usr/bin/python3 bench/peers/torch_bench.py -count $(BENCH_COUNT) | tee docs/bench/torch.txt
	$(GO) run ./bench/report -md docs/bench/README.md -png docs/bench/chart.png -inferpng docs/bench/infer.png \
		-go "$$($(GO) env GOVERSION)" docs/bench/raw.txt docs/bench/workers.txt docs/bench/peers.txt docs/bench/torch.txt

# The runtime's vector kernels, generated by avo in the asm module.
ASMGEN := $(GO) -C asm run . -pkg runtime

## generate: regenerate every committed package from its spec, and the vector kernels
generate:
	$(ASMGEN) -out ../runtime/kernels_amd64.s -stubs ../runtime/kernels_amd64.go
	@for s in $(SPECS); do \
		echo "gradgen gen $$s"; \
		$(GO) run ./cmd/gradgen gen $$s || exit 1; \
	done
	cd examples/policy && $(GO) tool gradgen gen -o policy_gen.go ./netspec:Net

## check-generated: fail when a committed generated file is stale
check-generated:
	@$(GO) run ./cmd/gradgen check ./...
	@tmp=$$(mktemp -d) && $(ASMGEN) -out $$tmp/k.s -stubs $$tmp/k.go && \
		sed 's|'$$tmp'/k|../runtime/kernels_amd64|g' $$tmp/k.s | diff -q - runtime/kernels_amd64.s >/dev/null && \
		sed 's|'$$tmp'/k|../runtime/kernels_amd64|g' $$tmp/k.go | diff -q - runtime/kernels_amd64.go >/dev/null || \
		{ echo "runtime/kernels_amd64.{s,go} are stale: run make generate"; rm -rf $$tmp; exit 1; }; rm -rf $$tmp

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	@# Another architecture: the runtime and generated code build without the amd64 kernels.
	GOARCH=arm64 $(GO) vet ./runtime ./generated/... ./bench/nets/...

# staticcheck runs at a pinned version through go run, so it stays out of go.mod.
staticcheck:
	$(GO) run $(STATICCHECK) ./...

# unit runs every test, then the portable (purego) kernels under the same tests.
unit:
	$(GO) test -count=1 ./...
	$(GO) test -count=1 -tags purego ./runtime ./generated/... ./bench ./generic
	@# The generated code on the AVX2 kernels, where the machine has AVX-512.
	GRADGEN_KERNELS=avx2 $(GO) test -count=1 ./generated/... ./bench

build:
	$(GO) build ./...

# ONNX Runtime for internal/onnxrt: npm ci installs what internal/onnxrt/package-lock.json pins
# (onnxruntime-node) here, outside the module, and again only when the lock file changes.
ORT_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/gradgen/onnxrt

## interop: rerun internal/torchgold/golden.py with PyTorch (Debian's python3-torch), fail unless its goldens
## match the committed ones (1e-12 relative), then run the torch.optim golden tests on both; rerun the PyTorch
## exports of internal/onnxgold and the graph goldens and exports of internal/graphgold (the same bytes) and their tests;
## the PyTorch modules gradgen export -format torch writes, against the Go models, and their 2-process DDP
## round trip and examples/scale (internal/torchbridge);
## then run the models gradgen export writes
## under ONNX Runtime and compare with the generated packages (internal/onnxrt)
interop: onnxruntime
	@/usr/bin/python3 -c 'import torch, numpy' 2>/dev/null || { \
		echo "make interop: /usr/bin/python3 cannot import torch and numpy: apt-get install python3-torch" >&2; exit 1; }
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	echo "/usr/bin/python3 internal/torchgold/golden.py -o $$tmp/golden.json" && \
	/usr/bin/python3 internal/torchgold/golden.py -o $$tmp/golden.json && \
	TORCHGOLD_FRESH=$$tmp/golden.json $(GO) test -count=1 -v -run '^TestRegenerated$$' ./internal/torchgold && \
	TORCHGOLD_JSON=$$tmp/golden.json $(GO) test -count=1 ./internal/torchgold/... && \
	$(GO) test -count=1 ./internal/torchgold/...
	@/usr/bin/python3 -c 'import onnx' 2>/dev/null || { \
		echo "make interop: /usr/bin/python3 cannot import onnx: apt-get install python3-onnx" >&2; exit 1; }
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	echo "/usr/bin/python3 internal/onnxgold/golden.py -o $$tmp" && \
	/usr/bin/python3 internal/onnxgold/golden.py -o $$tmp >/dev/null && \
	{ diff -rq $$tmp internal/onnxgold/testdata || { \
		echo "make interop: PyTorch exports other models or goldens than internal/onnxgold/testdata holds" >&2; exit 1; }; }
	$(GO) test -count=1 ./internal/onnxgold/... ./onnxspec
	@/usr/bin/python3 -c 'import yaml' 2>/dev/null || { \
		echo "make interop: /usr/bin/python3 cannot import yaml: apt-get install python3-yaml" >&2; exit 1; }
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	echo "/usr/bin/python3 internal/graphgold/golden.py -o $$tmp/golden.json" && \
	/usr/bin/python3 internal/graphgold/golden.py -o $$tmp/golden.json >/dev/null && \
	{ diff -rq $$tmp internal/graphgold/testdata || { \
		echo "make interop: PyTorch computes other goldens or exports for the graph specs than internal/graphgold/testdata holds" >&2; exit 1; }; }
	$(GO) test -count=1 ./internal/graphgold/...
	GRADGEN_TORCH=1 $(GO) test -count=1 ./internal/torchbridge
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	cp examples/onnx/train.py examples/onnx/digits.csv.gz $$tmp/ && \
	echo "/usr/bin/python3 examples/onnx/train.py  # in $$tmp" && /usr/bin/python3 $$tmp/train.py && \
	cmp $$tmp/classifier.onnx examples/onnx/classifier.onnx && cmp $$tmp/torch.json examples/onnx/torch.json
	$(GO) test -count=1 ./examples/onnx/...
	GRADGEN_ORT_NODE_MODULES="$(ORT_CACHE)/node_modules" $(GO) test -count=1 -v -run '^TestExportMatchesRuntime$$' ./internal/onnxrt

## onnxruntime: install ONNX Runtime (npm's onnxruntime-node, as internal/onnxrt/package-lock.json pins it) into
## ORT_CACHE, again only when the lock file changes: make interop runs it, and bench/peers' ONNX Runtime peer loads its library
onnxruntime:
	@command -v npm >/dev/null && command -v node >/dev/null || { \
		echo "make onnxruntime: ONNX Runtime needs node and npm: apt-get install nodejs npm" >&2; exit 1; }
	@test -n "$(ORT_CACHE)" && if ! cmp -s internal/onnxrt/package-lock.json "$(ORT_CACHE)/installed.lock" || \
		[ ! -d "$(ORT_CACHE)/node_modules/onnxruntime-node" ]; then \
		echo "npm ci --ignore-scripts  # onnxruntime-node, into $(ORT_CACHE)" && \
		rm -rf "$(ORT_CACHE)/node_modules" "$(ORT_CACHE)/installed.lock" && mkdir -p "$(ORT_CACHE)" && \
		cp internal/onnxrt/package.json internal/onnxrt/package-lock.json "$(ORT_CACHE)/" && \
		(cd "$(ORT_CACHE)" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) && \
		cp internal/onnxrt/package-lock.json "$(ORT_CACHE)/installed.lock"; \
	fi
