#!/usr/bin/env bash
# test_solve_cli.sh INFERCAP SOURCE_DIR: `infercap solve` on the command line: help, usage
# errors and their exit codes, a field that is not numeric, an invalid scenario, --json on a
# small scenario and on a sweep with a failing point, and the answer's defining property.
set -u
bin=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
expect_rc() { # expected-rc description command...
    local want=$1 what=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    [ "$rc" -eq "$want" ] || bad "$what: exit $rc, expected $want; stderr: $(head -c 400 "$tmp/err")"
}
contains() { # file fragment description
    grep -qF -- "$2" "$1" || bad "$3: expected \"$2\" in: $(head -c 600 "$1")"
}
PY=/usr/bin/python3

# A small scenario: Llama 3.1 8B on H100s, two days, 200 paths; the answer is some tens.
s="$tmp/s.json"
cat >"$s" <<'JSON'
{"name": "solve-cli", "seed": 2385, "paths": 200, "start": "2025-03-03T00:00:00+08:00",
 "horizon_days": 2, "step_s": 600, "output": {"interval_s": 3600, "store_paths": 0},
 "traffic": {"growth": {"initial": {"dist": "lognormal", "median": 2000000, "sigma": 0.25}},
             "diurnal": {"profile": "cn-consumer"}},
 "model": "llama-3.1-8b", "accelerator": "nvidia_h100_sxm",
 "fleet": {"accelerators": 10, "failure_rate_per_hour": 0.001}}
JSON

expect_rc 0 "solve --help" "$bin" solve --help
contains "$tmp/out" "usage: infercap solve" "solve --help"
contains "$tmp/out" "--max-outage-prob" "solve --help lists the options"
expect_rc 0 "--help lists solve" "$bin" --help
contains "$tmp/out" "solve SCENARIO" "main usage lists solve"

expect_rc 2 "missing --for" "$bin" solve "$s" --max-outage-prob 0.1
contains "$tmp/err" "--for" "missing --for names it"
contains "$tmp/err" "usage: infercap solve" "missing --for prints usage"
expect_rc 2 "missing --max-outage-prob" "$bin" solve "$s" --for /fleet/accelerators
expect_rc 2 "no scenario" "$bin" solve --for /fleet/accelerators --max-outage-prob 0.1
expect_rc 2 "P out of range" "$bin" solve "$s" --for /fleet/accelerators --max-outage-prob 1.5
expect_rc 2 "P not a number" "$bin" solve "$s" --for /fleet/accelerators --max-outage-prob often
expect_rc 2 "bad --threads" "$bin" solve "$s" --for /fleet/accelerators --max-outage-prob 0.1 --threads 0
expect_rc 2 "fractional --step on an integer field" "$bin" solve "$s" --for /fleet/accelerators --max-outage-prob 0.1 --step 0.5
expect_rc 2 "bad --sweep" "$bin" solve "$s" --for /fleet/accelerators --max-outage-prob 0.1 --sweep /accelerator
expect_rc 2 "non-numeric --for" "$bin" solve "$s" --for /model --max-outage-prob 0.1
contains "$tmp/err" "/model" "non-numeric --for names the pointer"
contains "$tmp/err" "not numeric" "non-numeric --for says why"
expect_rc 2 "unknown --for" "$bin" solve "$s" --for /fleet/acelerators --max-outage-prob 0.1
contains "$tmp/err" "/fleet/acelerators" "unknown --for names the pointer"
expect_rc 1 "missing scenario file" "$bin" solve "$tmp/nope.json" --for /fleet/accelerators --max-outage-prob 0.1
expect_rc 2 "invalid scenario" "$bin" solve "$s" --for /fleet/accelerators --max-outage-prob 0.1 --set /horizon_days=-1 --set /step_s=x
contains "$tmp/err" "/horizon_days" "invalid scenario: first message"
contains "$tmp/err" "/step_s" "invalid scenario: second message"

# --json: one object with the fields, and the answer's defining property.
expect_rc 0 "solve --json" "$bin" solve "$s" --for /fleet/accelerators --max-outage-prob 0.1 --json --threads 2
[ -s "$tmp/err" ] && bad "--json prints no progress: $(head -c 300 "$tmp/err")"
$PY -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["pointer"] == "/fleet/accelerators" and d["max_outage_prob"] == 0.1, d
assert d["paths"] == 200 and d["seed"] == 2385, d
assert d["evaluations_count"] >= 3, d
(p,) = d["points"]
assert p["found"] is True and p["overrides"] == {}, p
a, (lo, hi) = p["answer"], p["range"]
assert 10 <= a <= 100 and lo <= a <= hi, p
at, below = p["at_answer"], p["below_answer"]
assert at["value"] == a and below["value"] == a - 1, p
assert at["outages"] / at["paths"] <= 0.1 < below["outages"] / below["paths"], p
assert at["p_outage_ci95"][0] <= at["p_outage"] <= at["p_outage_ci95"][1], p
assert p["cost_usd_per_day"] == at["cost_usd_per_day"] > 0, p
assert p["evaluations_count"] == d["evaluations_count"], p
print(a)
' "$tmp/out" >"$tmp/answer" || bad "solve --json fields: $(head -c 800 "$tmp/out")"
answer=$(cat "$tmp/answer")

# The text answer and progress lines agree with it; -q silences progress.
expect_rc 0 "solve text" "$bin" solve "$s" --for /fleet/accelerators --max-outage-prob 0.1
contains "$tmp/out" "answer $answer (95% range [" "text answer"
contains "$tmp/err" "/fleet/accelerators = $answer: " "progress line at the answer"
contains "$tmp/err" "paths have an outage, P = " "progress line format"
expect_rc 0 "solve -q" "$bin" solve "$s" --for /fleet/accelerators --max-outage-prob 0.1 -q
[ -s "$tmp/err" ] && bad "-q prints no progress: $(head -c 300 "$tmp/err")"

# An independent run at the answer and one below it: at most 20 of the 200 paths with an
# outage at the answer, more one accelerator below.
for v in "$answer" $((answer - 1)); do
    expect_rc 0 "run at $v" "$bin" run "$s" --set /fleet/accelerators=$v --json -o "$tmp/r.h5"
    $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["outage_paths"])' "$tmp/out" >"$tmp/k.$v" || bad "run --json at $v"
done
k_at=$(cat "$tmp/k.$answer")
k_below=$(cat "$tmp/k.$((answer - 1))")
[ -n "$k_at" ] && [ "$k_at" -le 20 ] || bad "run at the answer $answer: \"$k_at\" outages of 200"
[ -n "$k_below" ] && [ "$k_below" -gt 20 ] || bad "run below the answer: \"$k_below\" outages of 200"

# Not reachable up to --hi: exit 1, "found": false.
expect_rc 1 "not reachable up to --hi" "$bin" solve "$s" --for /fleet/accelerators --max-outage-prob 0.1 --hi 5 --json
$PY -c 'import json,sys; p=json.load(open(sys.argv[1]))["points"][0]; assert p["found"] is False and "not reachable up to hi" in p["reason"], p' "$tmp/out" || bad "--hi unreachable JSON: $(head -c 400 "$tmp/out")"

# A sweep with a failing point: the table, the error, exit 1; the good point's answer is the
# single solve's.
expect_rc 1 "sweep with a bad point" "$bin" solve "$s" --for /fleet/accelerators --max-outage-prob 0.1 --sweep /accelerator=nvidia_h100_sxm,no_such_chip -q
contains "$tmp/out" "/accelerator=nvidia_h100_sxm" "sweep table row"
contains "$tmp/out" "cheapest: /accelerator=nvidia_h100_sxm" "sweep cheapest"
contains "$tmp/err" "no_such_chip" "sweep error names the value"
expect_rc 1 "sweep --json" "$bin" solve "$s" --for /fleet/accelerators --max-outage-prob 0.1 --sweep /accelerator=nvidia_h100_sxm,no_such_chip --json
$PY -c '
import json, sys
d = json.load(open(sys.argv[1]))
p0, p1 = d["points"]
assert p0["overrides"] == {"/accelerator": "nvidia_h100_sxm"} and p0["answer"] == int(sys.argv[2]), p0
assert p1["found"] is False and "no_such_chip" in p1["error"], p1
assert d["cheapest_point"] == 0, d
' "$tmp/out" "$answer" || bad "sweep --json: $(head -c 800 "$tmp/out")"

[ "$fails" -eq 0 ] && echo "test_solve_cli: all passed"
exit $((fails > 0))
