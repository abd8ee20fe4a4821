#!/usr/bin/env bash
# fuzz.sh BUILD_DIR SECONDS: run each libFuzzer target (tests/fuzz) for SECONDS on a corpus
# seeded from the scenarios, the bad-input corpus and tests/fuzz/seeds.  A crash, leak, timeout
# or out-of-memory stops that target and is saved under BUILD_DIR/artifacts/: copy it into
# tests/fuzz/regress/<target>/ once fixed, so every build replays it.
set -euo pipefail
build=${1:?usage: tools/fuzz.sh BUILD_DIR SECONDS [TARGET...]}
secs=${2:?usage: tools/fuzz.sh BUILD_DIR SECONDS [TARGET...]}
shift 2
src=$(cd "$(dirname "$0")/.." && pwd)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(scenario set trace result)
mkdir -p "$build/artifacts"
status=0
for t in "${targets[@]}"; do
    corpus="$build/corpus/$t"
    mkdir -p "$corpus"
    cp -n "$src"/tests/fuzz/seeds/"$t"/* "$corpus"/ 2>/dev/null || true
    cp -n "$src"/tests/fuzz/regress/"$t"/* "$corpus"/ 2>/dev/null || true
    if [ "$t" = scenario ]; then
        cp -n "$src"/scenarios/*.json "$src"/tests/bad/*.json "$src"/tests/python/data/*.json "$corpus"/
    fi
    # result files: HDF5's chunk indexes make even a 4-path result about 200 KB
    max_len=65536
    lsan=""
    asan="detect_leaks=1"
    malloc_limit=""
    if [ "$t" = result ]; then
        # A damaged object header makes libhdf5 ask for its claimed size (hundreds of GB) at
        # open; in a normal build malloc returns NULL and HDF5 reports an error (exit 2), so
        # let the sanitizer's allocator do the same rather than abort.  Real memory use is
        # still bounded by -rss_limit_mb.
        max_len=1048576
        lsan="suppressions=$src/tests/fuzz/lsan-result.supp"
        # Its inputs are ~200 KB: a smaller quarantine keeps a long run's corpus under the RSS limit.
        asan="detect_leaks=1:allocator_may_return_null=1:quarantine_size_mb=64"
        malloc_limit="-malloc_limit_mb=1048576"
    fi
    echo "fuzz: $t for $secs s (corpus $corpus: $(ls "$corpus" | wc -l) inputs)"
    if ! ASAN_OPTIONS="$asan" LSAN_OPTIONS="$lsan" "$build/tests/fuzz/fuzz_$t" -max_total_time="$secs" \
        -timeout=20 -rss_limit_mb=2048 $malloc_limit -max_len=$max_len -print_final_stats=1 \
        -artifact_prefix="$build/artifacts/$t-" "$corpus" 2>"$build/fuzz-$t.log"; then
        echo "fuzz: $t FAILED; see $build/fuzz-$t.log and $build/artifacts/" >&2
        tail -30 "$build/fuzz-$t.log" >&2
        status=1
    else
        grep -E "stat::number_of_executed_units|stat::peak_rss_mb|Done [0-9]+ runs" \
            "$build/fuzz-$t.log" | sed "s/^/  $t: /" || true
    fi
done
exit $status
