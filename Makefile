# Entry points. `make demo` and `make test` do all the set-up on a fresh Debian 12 machine.
BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
SHINE := $(BUILD_DIR)/bin/shine
DEMO_DATA := datasets/spamassassin/spamassassin.uni.svm.xz

.PHONY: all deps configure build demo test test-sanitize bench docs format clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

configure: deps $(BUILD_DIR)/CMakeCache.txt

build: configure
	cmake --build $(BUILD_DIR) --parallel $(JOBS)

demo: build
	scripts/demo.sh $(SHINE) $(DEMO_DATA)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure --parallel $(JOBS)

# The test suite under AddressSanitizer + UndefinedBehaviorSanitizer, in its own build folder.
SANITIZE_DIR ?= build-sanitize
test-sanitize: deps
	cmake -S . -B $(SANITIZE_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSHINE_SANITIZE=ON \
	  -DSHINE_BUILD_BENCH=OFF
	cmake --build $(SANITIZE_DIR) --parallel $(JOBS)
	cd $(SANITIZE_DIR) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure --parallel $(JOBS)

bench: build
	scripts/bench.sh $(BUILD_DIR)

# API reference with Doxygen (installed on demand); fails on any Doxygen warning.
DOCS_DIR ?= $(BUILD_DIR)/docs
docs:
	@command -v doxygen >/dev/null || scripts/install-deps.sh doxygen
	@mkdir -p $(DOCS_DIR)
	SHINE_DOCS_OUT=$(DOCS_DIR) doxygen docs/Doxyfile
	@if [ -s $(DOCS_DIR)/warnings.log ]; then cat $(DOCS_DIR)/warnings.log; exit 1; fi
	@echo "API reference: $(DOCS_DIR)/html/index.html"

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR)
