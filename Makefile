# workload-identity: one command for the demo, one for every test.
#   make demo   builds the library, starts the dev server, runs the C example
#   make test   lint + header check + every test in every language
#   make dist   the C release archive, dist/workload-identity-<version>-linux-<arch>.tar.gz
# Binding tests find the built library and dev server through WI_LIBRARY_PATH
# and WI_DEVSERVER (set here), and start their own dev server on 127.0.0.1.

CARGO      ?= cargo
RELEASE    := $(CURDIR)/target/release
export WI_LIBRARY_PATH ?= $(RELEASE)/libworkload_identity.so
export WI_DEVSERVER    ?= $(RELEASE)/wi-devserver

.PHONY: all build demo dist test lint header-check test-rust test-c test-install test-packages test-tsan test-miri bench fleet fuzz soak test-go test-node test-python test-interop-harness

all: build

# The library's SONAME is libworkload_identity.so.1: programs linked in-tree need that name too.
# The Go module carries a copy of the header, so that it builds from its own directory.
build:
	$(CARGO) build --release --workspace --all-targets
	ln -sf libworkload_identity.so $(RELEASE)/libworkload_identity.so.1
	cmp -s include/workload_identity.h bindings/go/workload_identity.h \
	  || cp include/workload_identity.h bindings/go/workload_identity.h

# The main job in one command: a token through the C ABI from the local dev
# server (or from the real endpoints when the COZE_* variables are set).
demo:
	bindings/c/demo.sh

# Header, libraries, pkg-config and CMake files, the wi tool, LICENSE and INSTALL, relocatable.
dist:
	$(MAKE) -C bindings/c dist

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --release --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --release --no-deps --workspace

# The build regenerates include/workload_identity.h; a stale committed header fails here.
header-check: build
	git diff --exit-code -- include/ bindings/go/workload_identity.h \
	  || { echo "the header is stale: commit include/workload_identity.h and its copy in bindings/go"; exit 1; }
	scripts/check-header.sh

test-rust: build
	$(CARGO) test --release --workspace

test-c: build
	$(MAKE) -C tests/c test

# ThreadSanitizer over the concurrency tests (nightly; skips, saying why, without it).
test-tsan:
	scripts/tsan.sh

# Miri over the C boundary's pointer helpers and the exchange cache's lock-free index.
test-miri:
	scripts/miri.sh

# Installs into a temporary prefix and builds the examples with pkg-config and CMake.
test-install: build
	bindings/c/test-install.sh

# Every package installed as its users would, in temporary directories and
# without WI_LIBRARY_PATH: the release archive and the README's C quick start,
# the Python wheel in a fresh venv, the npm tarballs in a fresh project, a copy
# of the Go module against the extracted archive; and each one's bad input.
test-packages: build
	bindings/c/test-dist.sh
	bindings/python/test-install.sh
	bindings/node/test-install.sh
	bindings/go/test-install.sh

# -count=1: go does not see a rebuilt native library, so no cached results.
# wi_intree links target/release (the default links an installed library).
test-go: build
	cd bindings/go && go vet -tags wi_intree ./... && go test -count=1 -race -tags wi_intree ./... \
	  && GOGC=1 go test -count=1 -tags wi_intree ./... && go test -count=1 -tags wi_intree,wi_static ./...

test-node: build
	cd bindings/node && { [ -d node_modules/koffi ] && [ -d node_modules/undici ] || npm ci --no-audit --no-fund; } && node --test

test-python: build
	cd bindings/python && python3 -m pytest -q

# The oidc-provider harness that the interoperability tests start, proven on its
# own with Node's fetch (tests/interop/oidc-provider/README.md). Needs no build.
test-interop-harness:
	cd tests/interop/oidc-provider && { [ -d node_modules/oidc-provider ] || npm ci --no-audit --no-fund; } && node --test

# Every language side by side against its peers and floors; writes BENCHMARKS.md.
bench:
	bench/run.sh

# H hosts x P processes against one server, memory vs file token store, through
# a simultaneous start and an outage; writes BENCHMARKS.md's fleet section and
# BENCHMARKS-fleet.png (not part of `make test`: about 3 minutes, 128 processes).
fleet:
	bench/fleet/run.sh

# Fuzz every target for FUZZ_SECONDS each (default 60), then minimize the corpus.
fuzz:
	scripts/fuzz.sh $${FUZZ_SECONDS:-60}

# 16 threads for ten minutes with injected faults (not part of `make test`).
soak:
	$(CARGO) build --release -p wi-devserver
	$(CARGO) build --release -p workload-identity --example soak
	$(RELEASE)/examples/soak --seconds $${SOAK_SECONDS:-600}

test: lint header-check test-rust test-c test-install test-go test-node test-python test-packages test-interop-harness test-tsan test-miri
	@echo "all tests passed"
