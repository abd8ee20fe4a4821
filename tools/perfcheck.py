#!/usr/bin/env python3
"""The performance model against published serving measurements.

Reads tests/perf/measurements.json (rows from ../shared/reference/serving_measurements.md, each
marked 'calibrate' when it sets an efficiency parameter, 'check' when it only checks the model,
'unscored' when its lengths are guesses), runs `infercap perf --json` for every row the model
can express, and prints measured, predicted and the error of each, then the geometric-mean
|error| of the check rows.  A row the model cannot express yet (attention data-parallel, wide
expert parallelism, disaggregated units) is listed with what it needs and counted as missing.

    tools/perfcheck.py [--infercap build/infercap] [--markdown] [--json]
                       [--max-geomean PCT --min-predicted N]

With --max-geomean and --min-predicted (the `perf_check` test: the figures the README states)
it exits 1 when the check rows' geometric-mean |error| rises above PCT percent or fewer than N
check rows are predicted: the model may only get better.
"""

import argparse
import json
import math
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "perf" / "measurements.json"

# A TPOT objective that never binds, for rows measured without one (closed-loop concurrency
# sweeps, MLPerf Offline): the batch is then set by the concurrency, the memory or the caps.
NO_SLO_MS = "100000"


def perf_args(row):
    a = ["perf", "--model", row["model"], "--accelerator", row["accelerator"],
         "--precision", row.get("precision", "bf16"),
         "--kv-precision", row.get("kv_precision", "bf16"),
         "--input-tokens", str(row["input"]), "--output-tokens", str(row["output"]), "--json",
         # perf builds a scenario, which wants a price even though no figure here uses it
         "--set", "/fleet/accelerator_hour_usd=1"]
    if "tp" in row:
        a += ["--tp", str(row["tp"])]
    load = row["load"]
    if "concurrency" in load:
        a += ["--max-batch", str(load["concurrency"]), "--tpot-slo-ms", NO_SLO_MS]
    elif load.get("mode") == "offline":
        a += ["--max-batch", "4096", "--tpot-slo-ms", NO_SLO_MS]
    elif load.get("mode") in ("server", "interactive"):
        a += ["--max-batch", "4096", "--tpot-slo-ms", str(load["tpot_ms"]),
              "--ttft-slo-s", str(load["ttft_s"])]
    else:
        return None
    return a


def predict(exe, row):
    """The model's figure for a row, or (None, why)."""
    if row.get("needs"):
        return None, "needs " + ", ".join(row["needs"])
    args = perf_args(row)
    if args is None:
        return None, f"load {row['load']} not expressible"
    p = subprocess.run([exe, *args], capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        return None, p.stderr.strip().splitlines()[-1] if p.stderr.strip() else "failed"
    j = json.loads(p.stdout)
    replicas = row.get("system_accelerators", j["accelerators_per_replica"]) // j[
        "accelerators_per_replica"]
    if replicas < 1:
        return None, f"a replica needs {j['accelerators_per_replica']} accelerators"
    metric = row["metric"]
    if metric == "ttft_ms":
        return j["ttft_concurrency1_s"] * 1e3, None
    if metric == "itl_ms":
        if row["load"].get("concurrency", 1) == 1:
            return j["itl_concurrency1_s"] * 1e3, None
        return j["step_s"] * 1e3, None
    if metric == "request_latency_ms":
        return (j["ttft_concurrency1_s"] + j["step_s"] * (row["output"] - 1)) * 1e3, None
    if metric == "output_tok_s":
        return replicas * j["requests_per_s"] * row["output"], None
    if metric == "requests_per_s":
        return replicas * j["requests_per_s"], None
    return None, f"metric {metric} not computed"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--infercap", default=str(ROOT / "build" / "infercap"))
    ap.add_argument("--markdown", action="store_true", help="a table for the README")
    ap.add_argument("--json", action="store_true", help="one JSON object")
    ap.add_argument("--max-geomean", type=float, help="fail above this geomean |error|, percent")
    ap.add_argument("--min-predicted", type=int, help="fail when fewer check rows are predicted")
    a = ap.parse_args()
    rows = json.loads(DATA.read_text())["rows"]
    pred, why = {}, {}
    for r in rows:
        if r["metric"] == "ratio":
            continue
        pred[r["id"]], why[r["id"]] = predict(a.infercap, r)
    for r in rows:
        if r["metric"] != "ratio":
            continue
        if "of" not in r:
            pred[r["id"]], why[r["id"]] = None, "needs " + ", ".join(r.get("needs", ["model"]))
            continue
        num, den = (pred.get(i) for i in r["of"])
        pred[r["id"]] = num / den if num and den else None
        why[r["id"]] = None if pred[r["id"]] else "a part is not predicted"
    out = []
    for r in rows:
        p = pred[r["id"]]
        err = (p / r["value"] - 1.0) if p is not None else None
        out.append({"id": r["id"], "source": r["source"], "role": r["role"],
                    "metric": r["metric"], "measured": r["value"], "predicted": p,
                    "error": err, "why": why[r["id"]], "sets": r.get("sets"),
                    "assumed": r.get("assumed", [])})
    checks = [o for o in out if o["role"] == "check"]
    scored = [o for o in checks if o["error"] is not None]
    gm = (math.exp(sum(math.log(1 + abs(o["error"])) for o in scored) / len(scored)) - 1
          if scored else None)
    summary = {"check_rows": len(checks), "check_rows_predicted": len(scored),
               "check_geomean_abs_error": gm,
               "check_rows_within_15pct": sum(1 for o in scored if abs(o["error"]) <= 0.15)}
    status = 0
    if a.max_geomean is not None and (gm is None or gm * 100 > a.max_geomean):
        print(f"FAIL: check rows' geometric-mean |error| {gm and gm * 100:.1f}% is above "
              f"{a.max_geomean}%", file=sys.stderr)
        status = 1
    if a.min_predicted is not None and len(scored) < a.min_predicted:
        print(f"FAIL: {len(scored)} check rows predicted, fewer than {a.min_predicted}",
              file=sys.stderr)
        status = 1
    if a.json:
        print(json.dumps({"rows": out, "summary": summary}, indent=1))
        return status
    if a.markdown:
        print("| row | source | role | metric | measured | predicted | error |")
        print("|---|---|---|---|---:|---:|---:|")
        for o in out:
            p = f"{o['predicted']:.4g}" if o["predicted"] is not None else "-"
            e = f"{o['error'] * 100:+.0f}%" if o["error"] is not None else o["why"]
            role = o["role"] + (f" ({o['sets']})" if o["sets"] else "")
            print(f"| {o['id']} | {o['source']} | {role} | {o['metric']} | {o['measured']:.4g} "
                  f"| {p} | {e} |")
    else:
        print(f"{'row':44} {'role':10} {'metric':26} {'measured':>10} {'predicted':>10} error")
        for o in out:
            p = f"{o['predicted']:10.4g}" if o["predicted"] is not None else f"{'-':>10}"
            e = f"{o['error'] * 100:+6.0f}%" if o["error"] is not None else f"  {o['why']}"
            flag = " (guessed lengths)" if o["assumed"] else ""
            print(f"{o['id']:44} {o['role']:10} {o['metric']:26} {o['measured']:10.4g} {p} {e}{flag}")
    print(f"\ncheck rows: {len(scored)} of {len(checks)} predicted; geometric-mean |error| "
          + (f"{gm * 100:.1f}%" if gm is not None else "n/a")
          + f"; {summary['check_rows_within_15pct']} within 15%")
    return status


if __name__ == "__main__":
    sys.exit(main())
