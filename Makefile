# Thin wrapper around CMake: the README's two commands, and a few conveniences.
#   make run    install what is missing, build, run the default scenario, print its headline
#   make test   install what is missing, build with warnings as errors, run every test
#   make bench  engine speed, parallel efficiency, memory, HDF5 writes (BENCH_ARGS=--scale: the
#               100k-path and 90-day checks too; minutes)
BUILD    ?= build
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
SCENARIO ?= scenarios/kimi-2024-03.json
OUT      ?= out
CMAKE_FLAGS ?=
BENCH_ARGS ?=

.PHONY: all deps build run test bench asan format format-check clean

all: build

deps:
	@tools/deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DIC_WERROR=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	@mkdir -p $(OUT)
	$(BUILD)/infercap run $(SCENARIO) -o $(OUT)/$(basename $(notdir $(SCENARIO))).h5

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

bench: build
	/usr/bin/python3 tools/bench.py --infercap $(BUILD)/infercap $(BENCH_ARGS)

# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer.
asan: deps
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DIC_WERROR=ON -DIC_SANITIZE=ON >/dev/null
	@cmake --build build-asan -j $(JOBS)
	ctest --test-dir build-asan --output-on-failure -j $(JOBS)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) build-asan
