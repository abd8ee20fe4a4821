#!/usr/bin/env bash
# test_fit_cli.sh INFERCAP SOURCE_DIR: `infercap fit`: help, the text output of each curve on the
# Kimi observations (tests/fit/kimi-visits.json), --json and the shape of its scenario fragment
# (a symmetric positive-definite covariance of the right size), --reference, "launch" in the
# file, and the exit codes of bad input.  One line per failure; exit status 1 on any failure.
set -u
bin=$1
src=$2
data="$src/tests/fit/kimi-visits.json"
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
    [ "$rc" -eq "$want" ] || bad "$what: exit $rc, expected $want; stderr: $(head -c 400 "$tmp/err")"
}
contains() { # file fragment description
    grep -qF -- "$2" "$1" || bad "$3: expected \"$2\" in: $(head -c 600 "$1")"
}

# Help.
expect_rc 0 "fit --help" "$bin" fit --help
contains "$tmp/out" "usage: infercap fit OBSERVATIONS.json --curve exponential|logistic|bass" "fit --help"
expect_rc 0 "fit -h" "$bin" fit -h

# Text output: every parameter of each curve, its natural scale, the tables and the fragment.
launch=2023-10-09T00:00:00+08:00
expect_rc 0 "fit exponential" "$bin" fit "$data" --curve exponential
for s in "exponential curve of weekly_web_visits, 3 observations" "Huajin Securities" \
    "ln_initial" "rate_per_day" "(initial 1.05e+05" "(doubling time 22.8 days)" "correlation" \
    "2024-01-25T00:00:00+08:00" "passed 400k" "+9.5%" "chi^2 = 0.3123 for 1 degree of freedom" \
    '{"traffic": {"growth": {"model": "exponential", "quantity": "weekly_web_visits", "reference_time": "2023-12-15T00:00:00+08:00", "fit": {"mean": ['; do
    contains "$tmp/out" "$s" "fit exponential text"
done
cp "$tmp/out" "$tmp/exp.txt"
expect_rc 0 "fit logistic" "$bin" fit "$data" --curve logistic
for s in ln_initial rate_per_day ln_capacity "(capacity " "0 degrees of freedom"; do
    contains "$tmp/out" "$s" "fit logistic text"
done
expect_rc 0 "fit bass" "$bin" fit "$data" --curve bass --launch "$launch"
for s in ln_p_per_day ln_q_per_day ln_market_size "(market_size " "launch      $launch" \
    "\"launch_time\": \"$launch\""; do
    contains "$tmp/out" "$s" "fit bass text"
done

# --json: one object with the parameters, and a fragment of the right shape whose covariance
# is symmetric and positive definite; the same fragment as the text output prints.
check_json() { # file curve np launch(or "")
    $PY - "$1" "$2" "$3" "$4" "$tmp/exp.txt" <<'EOF' || bad "fit --json $2: $(head -c 400 "$tmp/pyerr")"
import json, math, sys
path, curve, np_, launch, text = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
d = json.load(open(path))
names = {"exponential": ["ln_initial", "rate_per_day"],
         "logistic": ["ln_initial", "rate_per_day", "ln_capacity"],
         "bass": ["ln_p_per_day", "ln_q_per_day", "ln_market_size"]}[curve]
assert d["curve"] == curve and d["quantity"] == "weekly_web_visits", d
assert [p["name"] for p in d["parameters"]] == names, d["parameters"]
assert all(p["sd"] > 0 for p in d["parameters"])
assert len(d["observations"]) == 3 and all("fitted" in o and "residual_pct" in o for o in d["observations"])
assert len(d["correlation"]) == np_ and all(abs(d["correlation"][i][i] - 1) < 1e-12 for i in range(np_))
frag = d["fragment"]
assert list(frag) == ["traffic"] and list(frag["traffic"]) == ["growth"], frag
g = frag["traffic"]["growth"]
keys = ["model", "quantity", "reference_time"] + (["launch_time"] if launch else []) + ["fit"]
assert list(g) == keys, list(g)
assert g["model"] == curve and g["quantity"] == "weekly_web_visits"
assert g["reference_time"] == "2023-12-15T00:00:00+08:00", g["reference_time"]
if launch:
    assert g["launch_time"] == launch, g["launch_time"]
assert list(g["fit"]) == ["mean", "covariance"], list(g["fit"])
mean, cov = g["fit"]["mean"], g["fit"]["covariance"]
assert len(mean) == np_ and len(cov) == np_ * np_, (mean, cov)
assert mean == [p["estimate"] for p in d["parameters"]]
C = [[cov[i * np_ + j] for j in range(np_)] for i in range(np_)]
assert all(C[i][j] == C[j][i] for i in range(np_) for j in range(np_)), "covariance not symmetric"
# Cholesky: positive definite when every pivot is > 0.
L = [[0.0] * np_ for _ in range(np_)]
for i in range(np_):
    for j in range(i + 1):
        s = C[i][j] - sum(L[i][k] * L[j][k] for k in range(j))
        if i == j:
            assert s > 0, "covariance not positive definite"
            L[i][i] = math.sqrt(s)
        else:
            L[i][j] = s / L[j][j]
for p, c in zip(d["parameters"], range(np_)):
    assert abs(p["sd"] - math.sqrt(C[c][c])) <= 1e-12 * p["sd"]
if curve == "exponential":
    assert 0.028 < mean[1] < 0.033, mean
    assert all(abs(o["fitted"] / o["value"] - 1) < 0.15 for o in d["observations"])
    # The fragment printed by the text output is the same, number for number.
    line = [l for l in open(text) if l.startswith('{"traffic"')][0]
    assert json.loads(line) == frag
EOF
}
expect_rc 0 "fit exponential --json" "$bin" fit "$data" --curve exponential --json
check_json "$tmp/out" exponential 2 "" 2>"$tmp/pyerr"
expect_rc 0 "fit logistic --json" "$bin" fit "$data" --json --curve=logistic
check_json "$tmp/out" logistic 3 "" 2>"$tmp/pyerr"
expect_rc 0 "fit bass --json" "$bin" fit --curve bass --launch="$launch" --json "$data"
check_json "$tmp/out" bass 3 "$launch" 2>"$tmp/pyerr"

# --reference moves t = 0: the rate is unchanged and ln_initial moves by rate x 17 days.
expect_rc 0 "fit --reference" "$bin" fit "$data" --curve exponential --json \
    --reference 2024-01-01T00:00:00+08:00
cp "$tmp/out" "$tmp/ref.json"
"$bin" fit "$data" --curve exponential --json >"$tmp/noref.json" 2>/dev/null
$PY - "$tmp/ref.json" "$tmp/noref.json" <<'EOF' 2>"$tmp/pyerr" || bad "fit --reference: $(head -c 400 "$tmp/pyerr")"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert a["fragment"]["traffic"]["growth"]["reference_time"] == "2024-01-01T00:00:00+08:00"
ra, rb = a["parameters"][1]["estimate"], b["parameters"][1]["estimate"]
assert abs(ra - rb) < 1e-9 * rb, (ra, rb)
la, lb = a["parameters"][0]["estimate"], b["parameters"][0]["estimate"]
assert abs(la - (lb + 17 * rb)) < 1e-9, (la, lb, rb)
assert a["observations"][0]["t_days"] == -17
EOF

# "launch" in the file serves the Bass curve; --launch overrides it.
sed 's/"quantity"/"launch": "2023-10-09T00:00:00+08:00", "quantity"/' "$data" >"$tmp/launch.json"
expect_rc 0 "fit bass with launch in the file" "$bin" fit "$tmp/launch.json" --curve bass
contains "$tmp/out" "\"launch_time\": \"$launch\"" "launch from the file"
expect_rc 0 "fit bass --launch overrides the file" "$bin" fit "$tmp/launch.json" --curve bass \
    --launch 2023-11-01T00:00:00+08:00
contains "$tmp/out" '"launch_time": "2023-11-01T00:00:00+08:00"' "--launch overrides the file"

# Usage errors: exit 2.
expect_rc 2 "fit without arguments" "$bin" fit
contains "$tmp/err" "expected an observations file" "fit without arguments"
expect_rc 2 "fit without --curve" "$bin" fit "$data"
contains "$tmp/err" "expected --curve" "fit without --curve"
expect_rc 2 "fit with a bad curve name" "$bin" fit "$data" --curve logistc
contains "$tmp/err" 'unknown curve "logistc"; did you mean "logistic"?' "bad curve name"
expect_rc 2 "fit with an unknown option" "$bin" fit "$data" --curve bass --lanch "$launch"
contains "$tmp/err" 'unknown option "--lanch"; did you mean "--launch"?' "unknown option"
expect_rc 2 "fit --curve without a value" "$bin" fit "$data" --curve
expect_rc 2 "fit with two files" "$bin" fit "$data" "$data" --curve exponential
expect_rc 2 "fit with a bad --reference" "$bin" fit "$data" --curve exponential --reference 2024-01-01
contains "$tmp/err" '--reference: got "2024-01-01", expected an ISO-8601 time' "bad --reference"
expect_rc 2 "fit bass without a launch" "$bin" fit "$data" --curve bass
contains "$tmp/err" "the bass curve needs the launch time" "bass without a launch"
expect_rc 2 "fit --launch with another curve" "$bin" fit "$data" --curve logistic --launch "$launch"
expect_rc 2 "fit bass with a launch after an observation" "$bin" fit "$data" --curve bass \
    --launch 2024-01-01T00:00:00+08:00
contains "$tmp/err" "/observations/0/date: got 2023-12-15T00:00:00+08:00, expected a time after the launch" "launch after an observation"

# A missing file: exit 1.
expect_rc 1 "fit on a missing file" "$bin" fit "$tmp/nope.json" --curve exponential
contains "$tmp/err" "nope.json: cannot open" "missing file message"
expect_rc 1 "fit on a directory" "$bin" fit "$tmp" --curve exponential

# Invalid files: exit 2, with the position or the JSON Pointer.
printf '{"quantity": "weekly_web_visits",\n "observations": [1,]}\n' >"$tmp/syntax.json"
expect_rc 2 "fit on a syntax error" "$bin" fit "$tmp/syntax.json" --curve exponential
contains "$tmp/err" "syntax.json:2:21: JSON syntax error" "syntax error position"
sed 's/"value": 400000/"value": -400000/; s/"quantity"/"quantiy"/' "$data" >"$tmp/fields.json"
expect_rc 2 "fit on bad fields" "$bin" fit "$tmp/fields.json" --curve exponential
contains "$tmp/err" "fields.json: /observations/1/value: got -400000, expected a number > 0" "negative value"
contains "$tmp/err" 'fields.json: /quantiy: unknown key "quantiy"; did you mean "quantity"?' "unknown key"
contains "$tmp/err" "fields.json: /quantity: missing required string" "missing quantity"
sed 's/, "error": 0.2, "label": "passed/, "label": "passed/' "$data" >"$tmp/mixed.json"
expect_rc 2 "fit with errors on some observations only" "$bin" fit "$tmp/mixed.json" --curve exponential
contains "$tmp/err" '"error" is given for 2 of the 3 observations' "mixed errors"
cat >"$tmp/two.json" <<'EOF'
{"quantity": "daily_active_users", "observations": [
  {"date": "2024-01-01T00:00:00Z", "value": 1.237e6, "error": 0.1},
  {"date": "2024-01-20T00:00:00Z", "value": 2.385e6, "error": 0.1}]}
EOF
expect_rc 2 "fit with too few observations for the curve" "$bin" fit "$tmp/two.json" --curve logistic
contains "$tmp/err" "got 2 observations, expected at least 3 for the logistic curve" "too few observations"
sed 's/, "error": 0.1//' "$tmp/two.json" >"$tmp/two-noerr.json"
expect_rc 2 "fit without errors and without degrees of freedom" "$bin" fit "$tmp/two-noerr.json" --curve exponential
contains "$tmp/err" "the uncertainty cannot be estimated from the scatter" "no degrees of freedom"

# No convergence: a logistic curve on data that do not bend (runtime failure, exit 1).
cat >"$tmp/flat.json" <<'EOF'
{"quantity": "daily_active_users", "observations": [
  {"date": "2024-01-01T00:00:00Z", "value": 1.04e5}, {"date": "2024-01-05T00:00:00Z", "value": 0.93e5},
  {"date": "2024-01-09T00:00:00Z", "value": 1.11e5}, {"date": "2024-01-13T00:00:00Z", "value": 0.97e5},
  {"date": "2024-01-17T00:00:00Z", "value": 1.02e5}, {"date": "2024-01-21T00:00:00Z", "value": 0.89e5},
  {"date": "2024-01-25T00:00:00Z", "value": 1.08e5}, {"date": "2024-01-29T00:00:00Z", "value": 0.99e5}]}
EOF
expect_rc 0 "fit exponential on flat data" "$bin" fit "$tmp/flat.json" --curve exponential
expect_rc 1 "fit logistic on flat data" "$bin" fit "$tmp/flat.json" --curve logistic
contains "$tmp/err" "the logistic fit did not converge" "no convergence message"

if [ "$fails" -ne 0 ]; then
    echo "test_fit_cli: $fails failure(s)"
    exit 1
fi
echo "test_fit_cli: all passed"
