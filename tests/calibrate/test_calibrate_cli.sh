#!/usr/bin/env bash
# test_calibrate_cli.sh INFERCAP SOURCE_DIR: `infercap calibrate` on the example benchmarks of
# tests/calibrate (made by the model itself with GEMM 0.55, memory 0.75, overhead 2 ms and 3%
# noise): the CSV, the vLLM result and the genai-perf export each parsed and fitted, together
# recovering the truth; --json; -o and the fragment merged into a scenario that validates; and
# the exit codes and messages of bad input.  One line per failure; exit status 1 on any failure.
set -u
bin=$1
src=$2
dir="$src/tests/calibrate"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
PY=/usr/bin/python3
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
expect_rc() { # expected-rc description command...
    local want=$1 what=$2
    shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    [ "$rc" -eq "$want" ] || bad "$what: exit $rc, expected $want; stderr: $(head -c 600 "$tmp/err")"
}
contains() { # file fragment description
    grep -qF -- "$2" "$1" || bad "$3: expected \"$2\" in: $(head -c 800 "$1")"
}
m=(--model llama-3.1-8b --accelerator nvidia_h100_sxm --tp 1)

expect_rc 0 "calibrate --help" "$bin" calibrate --help
contains "$tmp/out" "usage: infercap calibrate FILE... --model M --accelerator A" "calibrate --help"
expect_rc 0 "help lists calibrate" "$bin" --help
contains "$tmp/out" "calibrate FILE..." "main help"

# Every file together: the text output.
expect_rc 0 "calibrate all" "$bin" calibrate "$dir/h100-llama-8b.csv" "$dir/vllm-c64.json" \
    "$dir/genai-perf-c16.json" "${m[@]}"
for s in "calibrate: llama-3.1-8b on nvidia_h100_sxm, bf16 weights, bf16 KV cache, tp 1 x pp 1" \
    "14 from 3 files (csv 12, vllm 1, genai-perf 1); 40 measured values fitted" \
    "gemm      0.555 ± 0.0065" "/serving/decode_mbu" "h100-llama-8b.csv:4" "run-01" \
    "vllm-c64.json" "genai-perf-c16.json" "RMS relative error 2.7% over 40 values" \
    '{"serving": {"prefill_mfu": 0.5'; do
    contains "$tmp/out" "$s" "calibrate text"
done

# --json: every parameter within 10% of the truth and, with many points (se given), within 2
# standard errors.
check_fit() { # json-file description [nose]
    $PY - "$1" "${3:-}" <<'EOF' || bad "$2: $(cat "$tmp/pyerr")"
import json, sys
d = json.load(open(sys.argv[1]))
use_se = sys.argv[2] != "nose"
truth = {"gemm": 0.55, "memory": 0.75, "overhead": 2.0}
for p in d["parameters"]:
    if p["fixed"]:
        continue
    t = truth[p["name"]]
    dev = abs(p["estimate"] - t)
    assert dev <= 0.10 * t and (dev <= 2 * p["se"] or not use_se), (p, t)
assert d["fragment"]["serving"], d["fragment"]
for pt in d["points"]:
    for r in pt["residuals"]:
        if r["fitted"]:
            assert abs(r["relative_error"]) < 0.15, (pt["where"], r)
EOF
}
expect_rc 0 "calibrate --json" "$bin" calibrate "$dir/h100-llama-8b.csv" "$dir/vllm-c64.json" \
    "$dir/genai-perf-c16.json" "${m[@]}" --json
check_fit "$tmp/out" "calibrate --json all" 2>"$tmp/pyerr"

# Each file alone: the CSV fits all three; one JSON point (3 values) fits GEMM with the other
# two fixed at their truth (its 2 degrees of freedom make a poor standard error: 10% only).
expect_rc 0 "calibrate csv" "$bin" calibrate "$dir/h100-llama-8b.csv" "${m[@]}" --json
check_fit "$tmp/out" "calibrate csv" 2>"$tmp/pyerr"
for f in vllm-c64.json genai-perf-c16.json; do
    expect_rc 0 "calibrate $f" "$bin" calibrate "$dir/$f" "${m[@]}" --fix memory=0.75 \
        --fix overhead=2 --json
    check_fit "$tmp/out" "calibrate $f" nose 2>"$tmp/pyerr"
    $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); f=d["fragment"]["serving"]; assert f["decode_mbu"] == 0.75 and f["step_overhead_ms"] == 2 and "prefill_mfu" in f, f' \
        "$tmp/out" || bad "$f: the fragment has the fixed values"
done
# --format forces a reader; --statistic median reads the medians.
expect_rc 0 "--format vllm --statistic median" "$bin" calibrate "$dir/vllm-c64.json" "${m[@]}" \
    --fix memory --fix overhead --format vllm --statistic median
contains "$tmp/out" "memory    0.85 (fixed)" "--fix memory keeps the profile's value"
expect_rc 2 "--format vllm on a CSV" "$bin" calibrate "$dir/h100-llama-8b.csv" "${m[@]}" --format vllm
contains "$tmp/err" "h100-llama-8b.csv:1:1: JSON syntax error" "--format vllm on a CSV"

# -o: the fragment, merged into a scenario, validates; an input is never overwritten.
expect_rc 0 "calibrate -o" "$bin" calibrate "$dir/h100-llama-8b.csv" "${m[@]}" -o "$tmp/frag.json"
$PY - "$tmp/frag.json" "$src/scenarios/kimi-2024-03.json" "$tmp/merged.json" <<'EOF' || bad "merging the fragment"
import json, sys
frag = json.load(open(sys.argv[1]))
assert set(frag) == {"serving"} and set(frag["serving"]) == {"prefill_mfu", "decode_mbu", "step_overhead_ms"}, frag
sc = json.load(open(sys.argv[2]))
sc.setdefault("serving", {}).update(frag["serving"])
json.dump(sc, open(sys.argv[3], "w"))
EOF
expect_rc 0 "the merged scenario validates" "$bin" validate "$tmp/merged.json"
cp "$dir/h100-llama-8b.csv" "$tmp/in.csv"
expect_rc 2 "-o onto an input" "$bin" calibrate "$tmp/in.csv" "${m[@]}" -o "$tmp/in.csv"
contains "$tmp/err" "is an input of this command: refusing to overwrite it" "-o onto an input"
cmp -s "$dir/h100-llama-8b.csv" "$tmp/in.csv" || bad "-o onto an input changed it"

# Bad input: exit 2, naming the file, the line or field, and what was expected.
printf 'concurrency,input_tokens,output_tokens,ttft_ms\n1,1000,200,40\n4,1000,x,41\n' >"$tmp/bad.csv"
expect_rc 2 "bad CSV number" "$bin" calibrate "$tmp/bad.csv" "${m[@]}"
contains "$tmp/err" "bad.csv:3: column \"output_tokens\": got \"x\", expected a positive number (tokens per request)" "bad CSV number"
printf 'concurrency,input_tokens,output_tokens,ttft\n1,1000,200,40\n' >"$tmp/bad2.csv"
expect_rc 2 "bad CSV column" "$bin" calibrate "$tmp/bad2.csv" "${m[@]}"
contains "$tmp/err" "bad2.csv:1: column 4: unknown column \"ttft\"" "bad CSV column"
$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); del d["total_output_tokens"]; d["mean_tpot_ms"]="fast"; json.dump(d, open(sys.argv[2],"w"))' \
    "$dir/vllm-c64.json" "$tmp/bad.json"
expect_rc 2 "bad vLLM JSON" "$bin" calibrate "$tmp/bad.json" "${m[@]}"
contains "$tmp/err" "bad.json: /total_output_tokens: missing" "bad vLLM JSON: missing field"
contains "$tmp/err" "bad.json: /mean_tpot_ms: expected a number" "bad vLLM JSON: wrong type"
$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); d["input_config"]={}; del d["request_latency"]; json.dump(d, open(sys.argv[2],"w"))' \
    "$dir/genai-perf-c16.json" "$tmp/bad-genai.json"
expect_rc 2 "genai-perf without concurrency" "$bin" calibrate "$tmp/bad-genai.json" "${m[@]}" \
    --fix memory --fix overhead
contains "$tmp/err" "bad-genai.json: /input_config/concurrency: missing" "genai-perf without concurrency"
# With request_latency and request_throughput, an export without a concurrency is read by
# Little's law (an open-loop run), marked "~".
$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); d["input_config"]={}; json.dump(d, open(sys.argv[2],"w"))' \
    "$dir/genai-perf-c16.json" "$tmp/open-genai.json"
expect_rc 0 "genai-perf open loop" "$bin" calibrate "$tmp/open-genai.json" "${m[@]}" --fix memory \
    --fix overhead
contains "$tmp/out" "~16" "Little's law concurrency"
printf '{"mean_ttft_ms": 3,\n "completed": }\n' >"$tmp/syntax.json"
expect_rc 2 "JSON syntax error" "$bin" calibrate "$tmp/syntax.json" "${m[@]}"
contains "$tmp/err" "syntax.json:2:" "JSON syntax error names the line"
expect_rc 1 "missing file" "$bin" calibrate "$tmp/nope.csv" "${m[@]}"
contains "$tmp/err" "nope.csv" "missing file named"

# The command line.
expect_rc 2 "no file" "$bin" calibrate "${m[@]}"
contains "$tmp/err" "expected one or more benchmark files" "no file"
expect_rc 2 "no model" "$bin" calibrate "$dir/h100-llama-8b.csv" --accelerator nvidia_h100_sxm
contains "$tmp/err" "--model and --accelerator are required" "no model"
expect_rc 2 "unknown model" "$bin" calibrate "$dir/h100-llama-8b.csv" --model llama-3.1-8 --accelerator nvidia_h100_sxm
expect_rc 2 "--fix bogus" "$bin" calibrate "$dir/h100-llama-8b.csv" "${m[@]}" --fix gem
contains "$tmp/err" 'did you mean "gemm"' "--fix suggestion"
expect_rc 2 "--fix gemm=1.5" "$bin" calibrate "$dir/h100-llama-8b.csv" "${m[@]}" --fix gemm=1.5
expect_rc 2 "unknown option" "$bin" calibrate "$dir/h100-llama-8b.csv" "${m[@]}" --jsn
contains "$tmp/err" 'did you mean "--json"' "unknown option suggestion"
expect_rc 2 "--tp zero" "$bin" calibrate "$dir/h100-llama-8b.csv" "${m[@]}" --tp 0
expect_rc 2 "too few values" "$bin" calibrate "$dir/vllm-c64.json" "${m[@]}"
contains "$tmp/err" "3 measured values for 3 free parameters" "too few values"

if [ "$fails" -ne 0 ]; then
    echo "test_calibrate_cli: $fails failure(s)"
    exit 1
fi
echo "test_calibrate_cli: all passed"
