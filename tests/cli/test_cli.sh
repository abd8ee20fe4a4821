#!/usr/bin/env bash
# test_cli.sh INFERCAP SOURCE_DIR: the command line: help, version, exit codes, run/info/params/
# catalog/validate on a small scenario, --set, --json, and files left behind.
set -u
bin=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { :; }
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

expect_rc 0 "--version" "$bin" --version
grep -qE '^infercap [0-9]+\.[0-9]+\.[0-9]+ \(git [0-9a-f]+(-dirty)?|unknown\)' "$tmp/out" || bad "--version output: $(cat "$tmp/out")"
expect_rc 2 "no command" "$bin"
contains "$tmp/err" "usage: infercap COMMAND" "no command prints usage"
expect_rc 0 "--help" "$bin" --help
for sub in run validate params catalog info fit perf; do
    expect_rc 0 "$sub --help" "$bin" "$sub" --help
    contains "$tmp/out" "usage: infercap $sub" "$sub --help"
done
expect_rc 2 "unknown command" "$bin" rnu
contains "$tmp/err" 'did you mean "run"' "unknown command suggestion"
expect_rc 2 "run without scenario" "$bin" run
expect_rc 2 "run with bad --threads" "$bin" run "$src/scenarios/kimi-2024-03.json" --threads 0
expect_rc 2 "run with bad --paths" "$bin" run "$src/scenarios/kimi-2024-03.json" --paths ten
expect_rc 2 "run with --target-ci 0" "$bin" run "$src/scenarios/kimi-2024-03.json" --target-ci 0
expect_rc 2 "run with --target-ci 1.5" "$bin" run "$src/scenarios/kimi-2024-03.json" --target-ci 1.5
expect_rc 2 "run with bad --block-paths" "$bin" run "$src/scenarios/kimi-2024-03.json" --target-ci 0.1 --block-paths 0
expect_rc 2 "run with bad --max-memory" "$bin" run "$src/scenarios/kimi-2024-03.json" --max-memory 2X
contains "$tmp/err" "--max-memory" "bad --max-memory names the option"
expect_rc 1 "run on a missing file" "$bin" run "$tmp/nope.json"
contains "$tmp/err" "nope.json: cannot open" "missing scenario message"
expect_rc 1 "run on a directory" "$bin" run "$tmp"
contains "$tmp/err" "is a directory" "directory scenario message"

# params: every row, and JSON that parses.
expect_rc 0 "params" "$bin" params
contains "$tmp/out" "/fleet/accelerators" "params lists fleet size"
contains "$tmp/out" "/traffic/events/*/peak_multiplier" "params lists event rows"
expect_rc 0 "params --json" "$bin" params --json
$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d) > 50, len(d); assert all({"path","type","units","doc"} <= set(x) for x in d)' "$tmp/out" || bad "params --json"

# catalogs
expect_rc 0 "catalog accelerators" "$bin" catalog accelerators
for k in nvidia_h100_sxm nvidia_h800_sxm nvidia_h20 nvidia_h200_sxm nvidia_a100_sxm_80gb nvidia_b200_hgx amd_mi300x amd_mi325x huawei_ascend_910b huawei_ascend_910c cambricon_mlu590 kunlunxin_p800 moorethreads_mtt_s4000; do
    contains "$tmp/out" "$k" "catalog accelerators has $k"
done
expect_rc 0 "catalog accelerators --json" "$bin" catalog accelerators --json
$PY -c 'import json,sys; d=json.load(open(sys.argv[1]))["accelerators"]; assert len(d) >= 20; assert all("source" in v and "confidence" in v for v in d.values())' "$tmp/out" || bad "catalog --json keeps sources"
expect_rc 0 "catalog models" "$bin" catalog models
for k in llama-3.1-8b llama-3.1-70b llama-3.1-405b qwen2.5-72b deepseek-v3 kimi-k2; do
    contains "$tmp/out" "$k" "catalog models has $k"
done
expect_rc 2 "catalog without which" "$bin" catalog

# A small scenario: validate, run with --json, info, --set.
sc="$tmp/small.json"
cat >"$sc" <<JSON
{"name": "cli-small", "seed": 7, "paths": 24, "start": "2024-03-18T00:00:00+08:00",
 "horizon_days": 1, "output": {"interval_s": 3600, "store_paths": 3},
 "traffic": {"growth": {"initial": {"dist": "lognormal", "median": 200000, "sigma": 0.3}},
             "requests_per_user_per_day": 10},
 "model": "llama-3.1-8b", "accelerator": "nvidia_h100_sxm", "fleet": {"accelerators": 40}}
JSON
expect_rc 0 "validate small" "$bin" validate "$sc"
contains "$tmp/out" "valid" "validate says valid"
expect_rc 0 "run small --json" "$bin" run "$sc" -o "$tmp/a.h5" --json --threads 2
cp "$tmp/out" "$tmp/a.json"
$PY - "$tmp/a.json" <<'PYEOF' || bad "run --json headline"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["paths"] == 24 and d["scenario"] == "cli-small"
lo, hi = d["outage_probability_ci95"]
assert 0 <= lo <= d["outage_probability"] <= hi <= 1
PYEOF
[ -f "$tmp/a.h5" ] || bad "run wrote no file"
ls "$tmp" | grep -q 'tmp-' && bad "run left a temporary file"
expect_rc 0 "run --quiet" "$bin" run "$sc" -o "$tmp/q.h5" --quiet
[ -s "$tmp/out" ] && bad "--quiet printed: $(cat "$tmp/out")"
expect_rc 0 "info" "$bin" info "$tmp/a.h5"
contains "$tmp/out" "cli-small" "info names the scenario"
contains "$tmp/out" "P(outage)" "info prints the headline"
expect_rc 0 "info --json" "$bin" info "$tmp/a.h5" --json
$PY - "$tmp/a.json" "$tmp/out" <<'PYEOF' || bad "info --json equals run --json"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for k in ("outage_probability", "outage_probability_ci95", "lost_requests_mean", "cost_usd_mean", "paths", "seed"):
    assert a[k] == b[k], (k, a[k], b[k])
PYEOF
expect_rc 2 "info on a non-HDF5 file" "$bin" info "$sc"
contains "$tmp/err" "not an HDF5 file" "info on JSON"

# --set changes the result; --paths and --seed override the file.
expect_rc 0 "run with --set" "$bin" run "$sc" -o "$tmp/b.h5" --json --set /fleet/accelerators=4 --paths 12 --seed 8
$PY - "$tmp/out" "$tmp/a.json" <<'PYEOF' || bad "--set/--paths/--seed took effect"
import json, sys
d, a = (json.load(open(p)) for p in sys.argv[1:3])
assert d["paths"] == 12 and d["seed"] == 8 and d["accelerators_mean"] == 4, d
assert d["peak_offered_load_p50"] > 5 * a["peak_offered_load_p50"], (d, a)
PYEOF
expect_rc 2 "bad --set" "$bin" run "$sc" -o "$tmp/c.h5" --set /fleet/acelerators=4
contains "$tmp/err" '/fleet/acelerators: unknown key "acelerators"; did you mean "accelerators"? (from --set)' "bad --set message"
[ -e "$tmp/c.h5" ] && bad "invalid run left an output file"

# An output directory that does not exist fails before the run, naming the path.
expect_rc 1 "missing output dir" "$bin" run "$sc" -o "$tmp/no/such/dir/x.h5"
contains "$tmp/err" "no/such/dir/x.h5: cannot create the output file" "missing output dir message"

# An output never destroys an input or what is not a regular file (issue #13): refused before
# the run (exit 2), the message names the path and why, the input is unchanged.
cp "$sc" "$tmp/own.json"
sum0=$(sha256sum <"$tmp/own.json")
refuse_o() { # description fragment run-args...
    local what=$1 frag=$2; shift 2
    expect_rc 2 "$what" "$bin" run "$tmp/own.json" -q --paths 4 "$@"
    contains "$tmp/err" "$frag" "$what message"
    [ "$(sha256sum <"$tmp/own.json")" = "$sum0" ] || bad "$what: the scenario changed"
}
refuse_o "-o the scenario" "-o $tmp/own.json: is an input of this command" -o "$tmp/own.json"
ln -s "$tmp/own.json" "$tmp/own-link.h5"
refuse_o "-o a link to the scenario" "is the same file as the input $tmp/own.json (through a symbolic link)" -o "$tmp/own-link.h5"
ln "$tmp/own.json" "$tmp/own-hard.h5"
refuse_o "-o a hard link to the scenario" "(a hard link or another name for it)" -o "$tmp/own-hard.h5"
mkfifo "$tmp/own-fifo"
refuse_o "-o a FIFO" "-o $tmp/own-fifo: is a FIFO (named pipe), not a regular file" -o "$tmp/own-fifo"
[ -p "$tmp/own-fifo" ] || bad "-o a FIFO: the FIFO was replaced"
refuse_o "-o /dev/null" "-o /dev/null: is a character device, not a regular file" -o /dev/null
[ -c /dev/null ] || bad "/dev/null is no longer a character device"
mkdir "$tmp/own-dir"
refuse_o "-o a directory" "-o $tmp/own-dir: is a directory" -o "$tmp/own-dir"
refuse_o "-o empty" "-o: the output file name is empty" -o ""
ls "$tmp" | grep -q 'own.*tmp-' && bad "a refused -o left a temporary: $(ls "$tmp")"

# perf: the single-replica calculator.
expect_rc 0 "perf" "$bin" perf --model llama-3.1-70b --accelerator nvidia_h100_sxm --tp 2 --precision fp8 --input-tokens 2000 --output-tokens 400
contains "$tmp/out" "replica      2 accelerators (tp 2 x pp 1)" "perf replica line"
contains "$tmp/out" "capacity" "perf capacity line"
perfjson() { "$bin" perf --json "$@" >"$tmp/pj" 2>"$tmp/err" || bad "perf --json $*: $(cat "$tmp/err")"; cat "$tmp/pj"; }
a=$(perfjson --model llama-3.1-70b --accelerator nvidia_h100_sxm --precision bf16)
b=$(perfjson --model llama-3.1-70b --accelerator nvidia_h100_sxm --precision fp8)
c=$(perfjson --model llama-3.1-70b --accelerator nvidia_h100_sxm --precision fp8 --tpot-slo-ms 25)
d=$(perfjson --model llama-3.1-70b --accelerator nvidia_h100_sxm --precision fp8 --ttft-slo-s 0.5)
$PY - "$a" "$b" "$c" "$d" <<'PYEOF' || bad "perf --json responses"
import json, sys
a, b, c, d = (json.loads(x) for x in sys.argv[1:5])
# BF16 needs at least 4 H100s, FP8 at least 2 (automatic sizing may take more when that raises
# the throughput per accelerator).
assert a["accelerators_per_replica"] >= 4 and b["accelerators_per_replica"] >= 2, (a, b)
# FP8 per accelerator beats BF16; a tighter TPOT or TTFT objective lowers throughput.
pa = lambda x: x["requests_per_s"] / x["accelerators_per_replica"]
assert pa(b) > pa(a), (a, b)
assert pa(c) < pa(b) and c["step_s"] <= 0.025, (b, c)
assert pa(d) < pa(b) and d["ttft_slo_load"] < 1, (b, d)
PYEOF
expect_rc 2 "perf fp8 on a chip without it" "$bin" perf --model llama-3.1-70b --accelerator huawei_ascend_910b --precision fp8
contains "$tmp/err" 'accelerator "huawei_ascend_910b" has no fp8 compute' "perf fp8 on 910B"
expect_rc 2 "perf without a model" "$bin" perf --accelerator nvidia_h100_sxm
expect_rc 2 "perf unknown model" "$bin" perf --model llama-3-70b --accelerator nvidia_h100_sxm
contains "$tmp/err" 'did you mean "llama-2-70b" or "llama-3.1-70b"?' "perf model suggestion"
expect_rc 2 "perf bad number" "$bin" perf --model llama-3.1-8b --accelerator nvidia_h100_sxm --tp two

# The performance model v2 options are scenario fields (issue 14): a run serves with them as
# perf does.  One class of fixed lengths, attention data parallelism, experts, MTP and
# disaggregated units: the run's replica requests/s is perf's.
expect_rc 0 "perf --help names the fields" "$bin" perf --help
contains "$tmp/out" "Each option is a scenario field under /serving" "perf --help fields"
expect_rc 0 "params lists v2 fields" "$bin" params
for f in software software_efficiency attention_dp mtp mtp_accept eplb expert_imbalance overlap \
    node_limit admission kv_fraction attention_precision max_throughput prefill_unit decode_unit; do
    contains "$tmp/out" "/serving/$f" "params lists /serving/$f"
done
v2="$tmp/v2.json"
cat >"$v2" <<JSON
{"name": "cli-v2", "seed": 3, "paths": 4, "start": "2025-01-01T00:00:00Z", "horizon_days": 0.25,
 "output": {"interval_s": 600, "store_paths": 1},
 "traffic": {"growth": {"initial": 20000}, "diurnal": {"profile": "flat"}, "noise": {"sigma": 0}},
 "workload": {"classes": [{"name": "q", "input_tokens": {"median": 2000, "sigma": 0},
                           "output_tokens": {"median": 500, "sigma": 0}}]},
 "model": "deepseek-v3", "accelerator": "nvidia_h800_sxm",
 "serving": {"weight_precision": "fp8", "attention_dp": 32, "expert_parallel": 32, "mtp": 1,
             "node_limit": 4, "disaggregated": "yes", "prefill_unit": 32, "decode_unit": 64},
 "fleet": {"accelerators": 192, "failure_rate_per_hour": 0}}
JSON
# (the closed-form curve: the measured one is the request engine's rate, issue 16)
expect_rc 0 "run v2 fields" "$bin" run "$v2" -o "$tmp/v2.h5" --json --threads 2 \
    --set /service_curve/mode=closed_form
cp "$tmp/out" "$tmp/v2run.json"
pv=$(perfjson --model deepseek-v3 --accelerator nvidia_h800_sxm --precision fp8 --attention-dp 32 \
    --ep 32 --mtp 1 --node-limit 4 --disaggregated --prefill-unit 32 --decode-unit 64 \
    --input-tokens 2000 --output-tokens 500)
$PY - "$tmp/v2run.json" "$pv" <<'PYEOF' || bad "run with v2 fields equals perf with the options"
import json, sys
r, p = json.load(open(sys.argv[1])), json.loads(sys.argv[2])
assert p["accelerators_per_replica"] == 96 and r["accelerators_per_replica"] == 96, (r, p)
assert abs(r["replica_requests_per_s"] / p["requests_per_s"] - 1) < 1e-12, (r, p)
assert p["tokens_per_step_per_sequence"] > 1.5, p
PYEOF
# ... and the resolved scenario the run writes keeps them.
$PY - "$tmp/v2.h5" <<'PYEOF' || bad "v2 fields in the resolved scenario"
import json, sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    d = f["scenario"][()]
s = json.loads(d.decode() if isinstance(d, bytes) else str(d))["serving"]
want = {"attention_dp": 32, "mtp": 1, "node_limit": 4, "prefill_unit": 32, "decode_unit": 64,
        "eplb": "yes", "overlap": "auto", "admission": "profile", "software": "",
        "max_throughput": "no", "kv_fraction": 1, "attention_precision": "bf16"}
for k, v in want.items():
    assert s[k] == v, (k, s[k], v)
assert s["software_efficiency"] in (1, {"dist": "fixed", "value": 1}), s["software_efficiency"]
PYEOF
# The request engine takes every field through the same parameters (issue 16: multi-token
# prediction, attention data parallelism, disaggregated units), and so does the measured curve.
expect_rc 0 "request engine with the v2 fields" "$bin" run "$v2" -o "$tmp/v2r.h5" \
    --set /engine=request
contains "$tmp/out" "served" "request engine serves the v2 replica"
# --no-cache: measured here, not read from the test session's curve cache (tests/CMakeLists.txt)
expect_rc 0 "measured curve with the v2 fields" "$bin" validate "$v2" --no-cache
contains "$tmp/out" "service curve (measured)" "v2 replica gets the measured curve"
expect_rc 2 "bad v2 field" "$bin" validate "$v2" --set /serving/mtp_accept=2
contains "$tmp/err" "/serving/mtp_accept: got 2, expected a number in [0, 1]" "v2 range message"

if [ "$fails" -ne 0 ]; then echo "test_cli: $fails failure(s)"; exit 1; fi
echo "test_cli: all passed"
