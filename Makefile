# Entry points. `make demo` and `make test` do all the set-up on a fresh Debian 12 machine.
BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
SHINE := $(BUILD_DIR)/bin/shine
DEMO_DATA := datasets/spamassassin/spamassassin.uni.svm.xz

.PHONY: all deps configure build demo test test-sanitize test-tsan fuzz bench bench-tuning docs format clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

# Only the set-up commands (deps, demo, test and the other test, fuzz, benchmark and docs targets)
# install packages; configure, build and bench never run apt-get (cmake names what is missing).
configure: $(BUILD_DIR)/CMakeCache.txt

build: configure
	cmake --build $(BUILD_DIR) --parallel $(JOBS)

demo:
	@scripts/install-deps.sh
	@$(MAKE) --no-print-directory build
	scripts/demo.sh $(SHINE) $(DEMO_DATA)

# With MPI (Open MPI from Debian): the tests also run shine-mpi on 1, 2 and 3 processes.
MPI_PACKAGES := libopenmpi-dev openmpi-bin
test:
	@scripts/install-deps.sh $(MPI_PACKAGES)
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DSHINE_USE_MPI=ON
	@$(MAKE) --no-print-directory build
	cd $(BUILD_DIR) && ctest --output-on-failure --parallel $(JOBS)

# The test suite under AddressSanitizer + UndefinedBehaviorSanitizer, in its own build folder.
# MPI stays off there: Open MPI's own allocations at exit read as leaks to LeakSanitizer, and the
# code that sums over processes runs in-process under the sanitizers all the same (the tests with
# ranks as threads, tests/support/thread_communicator.hpp).
SANITIZE_DIR ?= build-sanitize
test-sanitize: deps
	cmake -S . -B $(SANITIZE_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSHINE_SANITIZE=ON \
	  -DSHINE_BUILD_BENCH=OFF
	cmake --build $(SANITIZE_DIR) --parallel $(JOBS)
	cd $(SANITIZE_DIR) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure --parallel $(JOBS)

# The tests that run the OpenMP kernels, under ThreadSanitizer with TSAN_THREADS threads, in their
# own build folder. clang with LLVM's libomp and its Archer tool, which tells ThreadSanitizer about
# OpenMP's barriers (GCC's libgomp is not instrumented and would give false reports); the runtime
# itself is not instrumented either, hence ignore_noninstrumented_modules. Fails on any report.
TSAN_DIR ?= build-tsan
TSAN_THREADS ?= 4
TSAN_MODULES := linalg objective inner hypergrad outer model api
TSAN_ARCHER := /usr/lib/llvm-14/lib/libarcher.so
TSAN_ENV := OMP_TOOL_LIBRARIES=$(TSAN_ARCHER) \
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:ignore_noninstrumented_modules=1
empty :=
space := $(empty) $(empty)
test-tsan:
	@scripts/install-deps.sh clang libomp-14-dev libclang-rt-14-dev
	CC=clang CXX=clang++ cmake -S . -B $(TSAN_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DSHINE_TSAN=ON -DSHINE_TEST_OMP_NUM_THREADS=$(TSAN_THREADS) -DSHINE_BUILD_APPS=OFF \
	  -DSHINE_BUILD_BENCH=OFF -DSHINE_BUILD_EXAMPLES=OFF
	cmake --build $(TSAN_DIR) --parallel $(JOBS) --target $(TSAN_MODULES:%=shine_%_tests)
	@$(TSAN_ENV) ARCHER_OPTIONS=verbose=1 OMP_NUM_THREADS=$(TSAN_THREADS) \
	  $(TSAN_DIR)/tests/shine_linalg_tests --gtest_brief=1 \
	  --gtest_filter=SparseKernels.ResultsAreIdenticalForOneTwoAndFourThreads 2>&1 \
	  | grep -q 'Archer detected' || { echo "test-tsan: Archer ($(TSAN_ARCHER)) did not load"; exit 1; }
	cd $(TSAN_DIR) && $(TSAN_ENV) ctest --output-on-failure --parallel $(JOBS) \
	  -L '^($(subst $(space),|,$(TSAN_MODULES)))$$'

# libFuzzer targets (tests/fuzz/), built with clang in their own folder and run one after the
# other for FUZZ_SECONDS each on a copy of the seed corpus (build-fuzz/corpus/, kept between runs).
# Fails when a fuzzer finds a crash, a leak or a hang (input saved in build-fuzz/artifacts/).
# FUZZ_SEED fixes libFuzzer's random seed (CI sets it, so that a failure there replays the same
# inputs); left empty, each run draws its own seed and explores further.
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_SEED ?=
FUZZERS := libsvm_reader cli_options
fuzz:
	@scripts/install-deps.sh clang libclang-rt-14-dev
	cmake -S . -B $(FUZZ_DIR) -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DSHINE_BUILD_FUZZERS=ON -DSHINE_USE_OPENMP=OFF -DSHINE_BUILD_TESTS=OFF \
	  -DSHINE_BUILD_BENCH=OFF -DSHINE_BUILD_EXAMPLES=OFF
	cmake --build $(FUZZ_DIR) --parallel $(JOBS) --target $(addsuffix _fuzzer,$(FUZZERS))
	@status=0; \
	for f in $(FUZZERS); do \
	  mkdir -p $(FUZZ_DIR)/corpus/$$f $(FUZZ_DIR)/artifacts; \
	  cp tests/fuzz/corpus/$$f/* $(FUZZ_DIR)/corpus/$$f/; \
	  echo "fuzz: $$f for $(FUZZ_SECONDS) s (log: $(FUZZ_DIR)/$$f.log)"; \
	  $(FUZZ_DIR)/fuzz/$${f}_fuzzer -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	    $(if $(FUZZ_SEED),-seed=$(FUZZ_SEED)) \
	    -rss_limit_mb=2048 -dict=tests/fuzz/$$f.dict -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_DIR)/artifacts/$$f- $(FUZZ_DIR)/corpus/$$f \
	    >$(FUZZ_DIR)/$$f.log 2>&1; \
	  rc=$$?; \
	  grep -E '^#[0-9]+ +DONE|stat::number_of_executed_units|stat::average_exec_per_sec' \
	    $(FUZZ_DIR)/$$f.log | sed 's/^/  /'; \
	  if [ $$rc -ne 0 ]; then \
	    echo "fuzz: $$f FAILED (exit $$rc):"; tail -n 40 $(FUZZ_DIR)/$$f.log; status=1; \
	  fi; \
	done; \
	exit $$status

# The benchmarks are built only here (SHINE_BUILD_BENCH is off by default); the option stays on
# in $(BUILD_DIR)'s cache afterwards.
bench:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DSHINE_BUILD_BENCH=ON
	@$(MAKE) --no-print-directory build
	scripts/bench.sh $(BUILD_DIR)

# The tuning benchmark (BENCHMARKS.md, "Tuning"): every method on every shared real dataset,
# seeds 0-4, beside scikit-learn's warm-started grid and, on 20news, the SHINE authors' code
# (REF_DIR: their snapshot, see ../shared/tools/reference). Resumable; then the summary tables.
TUNING_OUT ?= $(BUILD_DIR)/bench-tuning
TUNING_ARGS ?= --seeds 0-4 --threads 1,2
bench-tuning:
	@scripts/install-deps.sh python3-numpy python3-scipy python3-sklearn
	@$(MAKE) --no-print-directory build
	bench/tuning/run.py --shine $(SHINE) --out $(TUNING_OUT) $(TUNING_ARGS) \
	  $(if $(REF_DIR),--reference $(REF_DIR),)
	bench/tuning/analyze.py $(TUNING_OUT) | tee $(TUNING_OUT)/summary.md

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
