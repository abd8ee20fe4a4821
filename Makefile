# Thin wrapper around CMake: the README's two commands, and a few conveniences.
#   make run    install what is missing, build, run the default scenario, print its headline
#   make test   install what is missing, build with warnings as errors, run every test
#   make answers  regenerate the stored answers (tests/answers/) after a change meant to move numbers
#   make fuzz   libFuzzer targets, FUZZ_SECONDS each (default 600; clang)
#   make tsan   the test suite under ThreadSanitizer (clang, libomp with Archer)
#   make scenarios  every scenario at full size and the answers in scenarios/README.md (~10 min)
#   make bench  engine speed, parallel efficiency, memory, HDF5 writes (BENCH_ARGS=--scale: the
#               100k-path and 90-day checks too; minutes)
BUILD    ?= build
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
SCENARIO ?= scenarios/kimi-2024-03.json
OUT      ?= out
CMAKE_FLAGS ?=
BENCH_ARGS ?=
FUZZ_SECONDS ?= 600

.PHONY: all deps build run test answers scenarios bench asan tsan memcheck fuzz format format-check clean

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

# Stored answers: commit what this writes in its own commit, saying which numbers moved and why.
answers: build
	/usr/bin/python3 tools/answers.py --update --infercap $(BUILD)/infercap

scenarios: build
	tools/scenarios.sh $(BUILD)/infercap $(OUT)/scenarios

bench: build
	/usr/bin/python3 tools/bench.py --infercap $(BUILD)/infercap $(BENCH_ARGS)

# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer.
asan: deps
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DIC_WERROR=ON -DIC_SANITIZE=ON >/dev/null
	@cmake --build build-asan -j $(JOBS)
	INFERCAP_TEST_TIMEOUT_SCALE=5 ctest --test-dir build-asan --output-on-failure -j $(JOBS)

# valgrind memcheck on small runs of each engine, a sweep and a replay.
memcheck: build
	@tools/deps.sh valgrind
	tools/memcheck.sh $(BUILD)/infercap

# libFuzzer targets (tests/fuzz): the scenario loader, the --set/--sweep parsers, the trace
# readers, the result-file readers; FUZZ_SECONDS each.
fuzz:
	@tools/deps.sh clang libclang-rt-14-dev libomp-14-dev
	@CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIC_FUZZ=ON >/dev/null
	@cmake --build build-fuzz -j $(JOBS) --target fuzz_scenario fuzz_set fuzz_trace fuzz_result
	tools/fuzz.sh build-fuzz $(FUZZ_SECONDS)

# The test suite under ThreadSanitizer: clang with LLVM's OpenMP runtime, whose Archer tool
# tells TSan about OpenMP's synchronisation (GCC's libgomp is not instrumented: false reports).
tsan:
	@tools/deps.sh clang libclang-rt-14-dev libomp-14-dev
	@CC=clang cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIC_SANITIZE_THREAD=ON -DIC_MPI=OFF >/dev/null
	@cmake --build build-tsan -j $(JOBS)
	OMP_TOOL_LIBRARIES=$$(ls /usr/lib/llvm-*/lib/libarcher.so | head -1) TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ignore_noninstrumented_modules=1" \
	    ctest --test-dir build-tsan --output-on-failure -j $(JOBS) -E 'python|mpi'

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) build-asan build-fuzz build-tsan
