# The commands the README names. The build itself is CMake (CMakeLists.txt); this file strings the
# set-up, the build, the tests and the demo together.
#
#   make setup   system packages, protos, dev server, Python venv (cached under ~/.cache/temporal-c)
#   make build   configure and build ./build
#   make test    the formatting check (check-format); unit + integration + fault tests in ./build, then
#                unit + integration in ./build-asan (ASan+UBSan) and in ./build-tsan (ThreadSanitizer);
#                then valgrind over the unit tests and the C workers of the core integration tests;
#                then each fuzz target briefly (check-fuzz)
#   make fuzz    the libFuzzer targets of tests/fuzz in ./build-fuzz (clang), FUZZ_SECONDS each
#   make demo    the hello example against a dev server of its own
#   make check-format  clang-format-14 --dry-run over the C/C++ sources (scripts/check-format.sh)
#   make bench   the C worker next to the Python and Go SDKs' workers (bench/bench.py; 15-25 minutes);
#                its tables go into docs/BENCHMARKS.md. make bench-quick: every scenario once, small,
#                in under 3 minutes, tables printed only. Neither is part of make test.
#   make clean   remove the build directories

SHELL := /bin/bash
BUILD_DIR ?= build
ASAN_DIR ?= build-asan
TSAN_DIR ?= build-tsan
FUZZ_DIR ?= build-fuzz
# Seconds each fuzz target runs in `make fuzz`, and in `make test` (check-fuzz: enough to catch a
# decoder that broke, short enough for CI).
FUZZ_SECONDS ?= 300
CHECK_FUZZ_SECONDS ?= 30
# libFuzzer comes with clang (scripts/setup-system.sh installs Debian 12's); read on the first
# configure of $(FUZZ_DIR) only.
FUZZ_CC ?= clang-14
# Extra -D options for both build directories, e.g. make test CMAKE_ARGS=-DTEMPORAL_WERROR=OFF
CMAKE_ARGS ?=
# -V: the unit runner's and pytest's own summaries show in the log, not only ctest's.
CTEST_ARGS ?= -V

# The sanitizers report and stop at the first error; leaks fail the run.
SANITIZER_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1:strict_string_checks=1 \
                 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# gRPC core and Abseil are not built with TSan, which cannot see their synchronisation: their
# internals are suppressed (tests/sanitizers/tsan.supp); our own code is not.
TSAN_ENV := TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:allocator_may_return_null=1:suppressions=$(CURDIR)/tests/sanitizers/tsan.supp

# valgrind: definite and indirect leaks and memory errors fail the run (gRPC's own threads leave
# "possibly lost" blocks at exit, which are not ours to fix).
VALGRIND := valgrind -q --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=9
VENV_PYTHON = $(shell scripts/setup-python.sh)

.PHONY: all setup build build-asan build-tsan build-fuzz test check check-format check-asan check-tsan \
        check-valgrind check-fuzz fuzz fuzz-seeds demo bench bench-quick clean

all: build

setup:
	scripts/setup.sh

build: setup
	scripts/build.sh $(BUILD_DIR) $(CMAKE_ARGS)

build-asan: setup
	scripts/build.sh $(ASAN_DIR) -DTEMPORAL_SANITIZE=address,undefined -DCMAKE_BUILD_TYPE=Debug $(CMAKE_ARGS)

build-tsan: setup
	scripts/build.sh $(TSAN_DIR) -DTEMPORAL_SANITIZE=thread -DCMAKE_BUILD_TYPE=Debug $(CMAKE_ARGS)

# Only the fuzz targets and the seed writer: the rest of this directory would be a fourth copy of the
# suite.
build-fuzz: setup
	CC=$(FUZZ_CC) scripts/build.sh $(FUZZ_DIR) -DTEMPORAL_FUZZ=ON $(CMAKE_ARGS) -- fuzz_targets

# The formatting check first (seconds, and a formatting slip is the cheapest failure to find), then
# the suite in the plain build (with the fault tests), under each sanitizer, under valgrind, then the
# fuzz targets briefly. One after the other even under -j.
test:
	$(MAKE) --no-print-directory check-format
	$(MAKE) --no-print-directory check
	$(MAKE) --no-print-directory check-asan
	$(MAKE) --no-print-directory check-tsan
	$(MAKE) --no-print-directory check-valgrind
	$(MAKE) --no-print-directory check-fuzz

# Every .c/.h/.cpp under src/ include/ tests/ examples/ bench/ as .clang-format says, by clang-format-14
# (the one system package it needs).
check-format:
	scripts/setup-system.sh
	scripts/check-format.sh

check: build
	cd $(BUILD_DIR) && ctest $(CTEST_ARGS)

check-asan: build-asan
	cd $(ASAN_DIR) && $(SANITIZER_ENV) ctest $(CTEST_ARGS)

check-tsan: build-tsan
	cd $(TSAN_DIR) && $(TSAN_ENV) ctest $(CTEST_ARGS)

# The unit runner (its forked cases traced), then the C workers of the core suites under valgrind.
check-valgrind: build
	$(VALGRIND) --trace-children=yes $(BUILD_DIR)/tests/unit_tests
	cd tests/integration && TEMPORAL_C_BUILD_DIR=$(CURDIR)/$(BUILD_DIR) TEMPORAL_C_TEST_WRAPPER="$(VALGRIND)" \
	  $(VENV_PYTHON) -m pytest -q test_activities.py test_kinds.py test_lifetimes.py

# Every fuzz target for CHECK_FUZZ_SECONDS, on copies of the seed corpora; a crash, a leak, a hang
# or a broken property fails it (tests/fuzz/README.md).
check-fuzz: build-fuzz
	tests/fuzz/run.sh $(FUZZ_DIR) $(CHECK_FUZZ_SECONDS)

fuzz: build-fuzz
	tests/fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS)

# Rewrites tests/fuzz/corpus from tests/fuzz/make_seeds.c (regression seeds added by hand stay).
fuzz-seeds: build-fuzz
	$(FUZZ_DIR)/tests/fuzz/make_seeds tests/fuzz/corpus

demo:
	BUILD_DIR=$(BUILD_DIR) scripts/demo.sh

# The benchmark: the C bench worker (bench/c, built here), the Go SDK worker and the proxies (bench/go,
# built into the cache by scripts/setup-bench.sh from the pinned Go SDK), the Python SDK from the venv.
# BENCH_ARGS adds options, e.g. make bench BENCH_ARGS="--scenarios drain --rounds 5".
BENCH_ARGS ?=
BENCH_RUN = scripts/build.sh $(BUILD_DIR) -- bench_worker && go_dir=$$(scripts/setup-bench.sh) && \
            $(VENV_PYTHON) bench/bench.py --build-dir $(BUILD_DIR) --go-dir "$$go_dir"

bench: setup
	$(BENCH_RUN) --write-doc docs/BENCHMARKS.md --command "make bench" $(BENCH_ARGS)

bench-quick: setup
	$(BENCH_RUN) --quick --command "make bench-quick" $(BENCH_ARGS)

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(TSAN_DIR) $(FUZZ_DIR)
