#!/usr/bin/env python3
"""`infercap crosscheck` at small size against the targets of issue 16, with the measured service
curve (/service_curve/mode measured): the same steady demand through both engines agrees

  served rate      within 5% at every load (30% to 130% of the aggregate capacity)
  goodput          within 10 points at every load
  TTFT p50         within 25% well below saturation (70% and under)

on a ready scenario (Kimi, March 2024: a chat and long-document mix) and on a long-context bursty
mix like Kimi's production traffic (tests/crosscheck/longctx-bursty.json, after the Mooncake
trace).  Near saturation (80-90%) the goodput falls steeply with the load (the TPOT objective is
met by a shrinking share as the batch fills): a single run of 20,000 requests there moved by
tens of points with the seed; the request engine's run now doubles until its halves agree on
goodput too (sim/drivers/crosscheck.c), as do the curve's points (sim/engine/svccurve.c), and
Kimi at 90% is +7.1 points on the scenario's seed (eight seeds -2.3 to +8.4 before the curve's
points settled on goodput: README, "Two engines").  Also: the closed form (the aggregate
engine without the
curve) misses the request engine's served rate by more than the targets on the same runs (the
check can fail), the table and --json agree, and the output is the same run to run."""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile

# (scenario, options, the TTFT p50 limit at 70% load and under, percent).  The long-context
# mix with over-dispersed steps used to miss the 25% at 70% (-25.6%, then -16.8%: the
# aggregate's median of its steps' medians did not see the pooled median rise into the upper
# half of the other steps' distributions when close to half the requests meet a backlog); the
# aggregate side's TTFT is now the quantile of the mixture of its steps' measured distributions,
# and the curve is measured on the fleet's 16 replicas (ic_curve_group; on 8 it was +21% here):
# -16% here; at 300,000 requests a load -2% to +26% over six seeds.  With the fluid tables
# (a curve with over-dispersed steps measures the TTFT by the fluid wait at arrival on the
# scenario's own steps, sim/engine/svccurve.h): -18% here, where 20,000 requests are 16
# minutes of steps; at 300,000 requests -8.6% to +1.3% over the six seeds (README, "Two
# engines", "Over-dispersed steps").
CASES = [
    ("scenarios/kimi-2024-03.json", ["--replicas", "8"], 25),
    ("tests/crosscheck/longctx-bursty.json", [], 25),  # its fleet: 16 replicas
]


def run(infercap, root, scenario, extra, mode):
    cmd = [infercap, "crosscheck", f"{root}/{scenario}", "--requests", "20000", "--json",
           "--set", f"/service_curve/mode={mode}"] + extra
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out), out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--infercap", required=True)
    ap.add_argument("--root", required=True)
    a = ap.parse_args()
    fails = []
    for scenario, extra, ttft_limit in CASES:
        x, text = run(a.infercap, a.root, scenario, extra, "measured")
        # the second measures its curve again (--no-cache: not the test session's cached one)
        x2, _ = run(a.infercap, a.root, scenario, extra + ["--no-cache"], "measured")
        if x["loads"] != x2["loads"] or x["capacity_rps"] != x2["capacity_rps"]:
            fails.append(f"{scenario}: not the same numbers run to run")
        if x["service_curve"]["mode"] != "measured":
            fails.append(f"{scenario}: the curve was not measured: {x['service_curve']}")
        loads = [r["load"] for r in x["loads"]]
        if loads != [0.3, 0.5, 0.7, 0.9, 1.1, 1.3]:
            fails.append(f"{scenario}: loads {loads}")
        for r in x["loads"]:
            d, L = r["difference"], r["load"]
            where = f"{scenario} at {L:.0%}"
            if r["requests"] < 10000:
                fails.append(f"{where}: {r['requests']} requests read")
            if abs(d["served_pct"]) > 5:
                fails.append(f"{where}: served rate differs by {d['served_pct']:+.1f}% (> 5%)")
            if abs(d["goodput_points"]) > 10:
                fails.append(f"{where}: goodput differs by {d['goodput_points']:+.1f} points")
            if r["settled"] not in ("yes", "unchecked"):
                fails.append(f"{where}: the request engine's run did not settle "
                             f"({r['settled']}, {r['requests_run']} requests)")
            if L <= 0.7 and abs(d["ttft_p50_pct"]) > ttft_limit:
                fails.append(f"{where}: TTFT p50 differs by {d['ttft_p50_pct']:+.1f}% "
                             f"(> {ttft_limit}%)")
            for side in ("aggregate", "request"):
                s = r[side]
                if not (0 <= s["goodput_share"] <= 1.01):
                    fails.append(f"{where}: {side} goodput share {s['goodput_share']}")
        # The closed form, on the same requests, misses by more: the check can fail.
        c, _ = run(a.infercap, a.root, scenario, extra, "closed_form")
        worst = max(max(abs(r["difference"]["served_pct"]),
                        abs(r["difference"]["ttft_p50_pct"]) if r["load"] <= 0.7 else 0)
                    for r in c["loads"])
        if c["service_curve"]["mode"] != "closed_form" or worst <= 25:
            fails.append(f"{scenario}: the closed form agrees within {worst:.1f}%: the "
                         "targets would not tell the two apart")
        # The table shows the same figures.
        t = subprocess.run([a.infercap, "crosscheck", f"{a.root}/{scenario}", "--requests",
                            "20000", "-q", "--set", "/service_curve/mode=measured"] + extra,
                           check=True, capture_output=True, text=True).stdout
        if f"{x['capacity_rps']:.4g} req/s" not in t:
            fails.append(f"{scenario}: the table does not show the capacity {x['capacity_rps']}")
        print(f"{scenario}: capacity {x['capacity_rps']:.4g} req/s, curve "
              f"{x['service_curve']['requests']} requests in "
              f"{x['service_curve']['measure_s']:.2f} s")
    # Multi-token prediction, attention data parallelism and disaggregation (issue 16): Wanka's
    # disaggregated Qwen 72B (whole replicas per role) on 16 replicas (run as 18, whole units
    # nearest the roles' shares), DeepSeek R1's one replica of 176 attention ranks and
    # DeepSeek's day of February 2025 (MTP, expert parallel, disaggregated; their curves
    # measured on the whole replica, the prefill ranks being the prompts' queue's lanes).
    # Served within 5% at every load: over capacity the prefill units take a prompt only while
    # the decode role has room for it (back-pressure, sim/engine/reqsim.c), so the queue waits
    # at the front door under patience and admission control.  Goodput within 10 points at
    # every load, TTFT p50 within 25% at 70% and under.  Over
    # capacity Wanka's request engine builds its queue for some seven one-minute steps (its
    # decode units start empty); its run doubles until the goodput of its read window's halves
    # agrees too (ic_req_good_settled): at 20,000 requests its goodput at 110% was 64.1%
    # against the aggregate's 17.9%, settled 7.6% against 4.7%.
    for scenario, extra in (("scenarios/wanka-h100-vs-ascend910b.json", ["--replicas", "16"]),
                            ("scenarios/deepseek-r1-2025-01.json", ["--replicas", "1"]),
                            ("scenarios/deepseek-2025-02-27.json", ["--replicas", "1"])):
        x, _ = run(a.infercap, a.root, scenario, extra, "measured")
        # The same numbers run to run: all the loads on Wanka; on the DeepSeek replicas, whose
        # runs over capacity double to a million requests and more, the first load (its
        # requests are the same stream whatever loads follow).
        wanka = scenario.startswith("scenarios/wanka")
        # (--no-cache: the second measures its curve again, not the test session's cached one)
        x2, _ = run(a.infercap, a.root, scenario,
                    extra + ["--no-cache"] + ([] if wanka else ["--loads", "0.3"]), "measured")
        if x["loads"][:len(x2["loads"])] != x2["loads"]:
            fails.append(f"{scenario}: not the same numbers run to run")
        if x["service_curve"]["mode"] != "measured":
            fails.append(f"{scenario}: the curve was not measured: {x['service_curve']}")
        if not (x["replicas_requested"] <= x["replicas"] <= 2 * x["replicas_requested"]
                and x["prefill_units"] >= 1 and x["decode_units"] >= 1):
            fails.append(f"{scenario}: replicas {x['replicas_requested']} -> {x['replicas']}, "
                         f"units {x['prefill_units']} + {x['decode_units']}")
        for r in x["loads"]:
            d, L = r["difference"], r["load"]
            where = f"{scenario} at {L:.0%}"
            if abs(d["served_pct"]) > 5:
                fails.append(f"{where}: served rate differs by {d['served_pct']:+.1f}% (> 5%)")
            # Wanka at 110%, settled (155,000 requests here): the aggregate 4.7% against 7.6%
            # since the backlog's TTFT is the probe's own pairs of wait ratio and rest
            # (sim/engine/svccurve.h, ic_curve_backlog_q); taken comonotone it was 18.1%
            # against 7.6%, over eight streams -2.0 to +10.5 points (unsettled 46 apart).
            lim = 10
            if abs(d["goodput_points"]) > lim:
                fails.append(f"{where}: goodput differs by {d['goodput_points']:+.1f} points "
                             f"(> {lim})")
            if r["settled"] != "yes":
                fails.append(f"{where}: the request engine's run did not settle "
                             f"({r['settled']}, {r['requests_run']} requests)")
            if L <= 0.7 and abs(d["ttft_p50_pct"]) > 25:
                fails.append(f"{where}: TTFT p50 differs by {d['ttft_p50_pct']:+.1f}% (> 25%)")
        if wanka:
            # the queue-building case the goodput rule is for: its run at 110% doubled
            r = next(r for r in x["loads"] if r["load"] == 1.1)
            if not r["requests_run"] >= 4 * 20000:
                fails.append(f"{scenario} at 110%: the request engine ran {r['requests_run']} "
                             "requests; its queue builds for minutes (expected doubling)")
        print(f"{scenario}: capacity {x['capacity_rps']:.4g} req/s, curve "
              f"{x['service_curve']['requests']} requests in "
              f"{x['service_curve']['measure_s']:.2f} s")

    # Without patience or admission control (tests/python/data/steady.json: both 1e7 s) the
    # queue over capacity grows through any run: the row says so instead of doubling to the cap
    # on goodput; under capacity it settles.
    x, text = run(a.infercap, a.root, "tests/python/data/steady.json", ["--loads", "0.7,1.1"],
                  "measured")
    st = [(r["settled"], r["queue_fill_s"]) for r in x["loads"]]
    if st[0] != ("yes", 0) or st[1][0] != "unbounded" or not st[1][1] >= 1e6:
        fails.append(f"steady.json: settled {st} at 70% and 110% (expected yes, unbounded)")
    t = subprocess.run([a.infercap, "crosscheck", f"{a.root}/tests/python/data/steady.json",
                        "--loads", "0.7,1.1", "-q"], check=True, capture_output=True,
                       text=True).stdout
    if "110%: over capacity the queue" not in t or "70%: " in t.split("request engine\n", 1)[1]:
        fails.append("steady.json: the table does not say which run has no steady state:\n" + t)

    # Bursts within a step (/traffic/noise/interarrival_cv 4: gamma inter-arrival times, a guess
    # for a bursty service; BurstGPT, arXiv:2401.17644, fits gamma inter-arrivals burstier than
    # Poisson; the curve measured on the fleet's 16 replicas, as bursts queue less on more
    # replicas): the curve holds the bursts' queueing, so the aggregate engine's TTFT p50
    # follows the request engine's; the curve measured with Poisson arrivals (interarrival_cv
    # 1, the same mix) misses it by more than the target.
    # The steps' counts not over-dispersed, so that the bursts are those within a step.
    scenario = "tests/crosscheck/longctx-bursty.json"
    flat = ["--set", "/traffic/noise/arrival_dispersion=0"]
    xb, _ = run(a.infercap, a.root, scenario, flat + ["--set", "/traffic/noise/interarrival_cv=4"],
                "measured")
    xp, _ = run(a.infercap, a.root, scenario, flat + ["--set", "/traffic/noise/interarrival_cv=1"],
                "measured")
    if xb["capacity_rps"] == xp["capacity_rps"]:
        fails.append("interarrival_cv: the curve is the same as with Poisson arrivals (not hashed?)")
    worst_poisson = 0.0
    for rb, rp in zip(xb["loads"], xp["loads"]):
        d, L = rb["difference"], rb["load"]
        where = f"bursty (interarrival_cv 4) at {L:.0%}"
        if abs(d["served_pct"]) > 5:
            fails.append(f"{where}: served rate differs by {d['served_pct']:+.1f}% (> 5%)")
        if abs(d["goodput_points"]) > 10:
            fails.append(f"{where}: goodput differs by {d['goodput_points']:+.1f} points")
        if L <= 0.7:
            if abs(d["ttft_p50_pct"]) > 25:
                fails.append(f"{where}: TTFT p50 differs by {d['ttft_p50_pct']:+.1f}% (> 25%)")
            a_p, r_b = rp["aggregate"]["ttft_p50_s"], rb["request"]["ttft_p50_s"]
            worst_poisson = max(worst_poisson, abs(a_p / r_b - 1) * 100)
    if worst_poisson <= 25:
        fails.append(f"bursty: a Poisson curve's TTFT p50 is within {worst_poisson:.1f}% of the "
                     "bursty request engine's: the check would not tell them apart")
    print(f"bursty: TTFT p50 of a Poisson curve off by up to {worst_poisson:.0f}%")

    # The request engine's window of a scenario arrives by the same process: about as many
    # requests, and they wait longer in the queue.
    def window_run(cv):
        with tempfile.TemporaryDirectory() as tmp:
            out = subprocess.run(
                [a.infercap, "run", f"{a.root}/scenarios/kimi-2024-03.json", "--set",
                 "/engine=request", "--set",
                 "/request_engine/window_start=2024-03-18T20:00:00+08:00", "--set",
                 "/request_engine/duration_s=600", "--set", f"/traffic/noise/interarrival_cv={cv}",
                 "-o", os.path.join(tmp, "r.h5")],
                check=True, capture_output=True, text=True).stdout
        n = int(out.split("requests", 1)[1].split(":", 1)[0])
        queue_mean = float(out.split("queue  mean", 1)[1].split("s;", 1)[0])
        return n, queue_mean
    n1, q1 = window_run(1)
    n3, q3 = window_run(3)
    if abs(n3 / n1 - 1) > 0.1 or not q3 > 1.2 * q1:
        fails.append(f"request engine window: interarrival_cv 3 gave {n3} requests waiting "
                     f"{q3} s on average, Poisson {n1} waiting {q1} s")
    print(f"request engine window: mean queue wait {q1:.4g} s Poisson, {q3:.4g} s cv 3")

    # --trace: a Mooncake-format trace of the long-context mix (drawn here: lognormal body, Pareto
    # tail, arrivals in bursty minutes).  Its lengths are the mix and its arrivals, scaled, the
    # process: the curve is measured on them, and the served rate agrees up to 90%.
    rnd = random.Random(2407)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "t.jsonl")
        with open(path, "w") as f:
            t = 0.0
            for i in range(3000):
                if rnd.random() < 0.1:
                    n_in = 16384 * rnd.random() ** (-1 / 1.4)
                else:
                    n_in = 2500 * rnd.lognormvariate(0, 1)
                t += rnd.expovariate(2.0 * (0.4 if (int(t) // 60) % 3 else 2.2))
                f.write(json.dumps({"timestamp": int(1000 * t),
                                    "input_length": int(min(n_in, 131072)) + 1,
                                    "output_length": max(1, int(120 * rnd.lognormvariate(0, 0.9))),
                                    "hash_ids": []}) + "\n")
        xt, _ = run(a.infercap, a.root, scenario, ["--trace", path], "measured")
        x0, _ = run(a.infercap, a.root, scenario, [], "measured")
        if xt["service_curve"]["mode"] != "measured" or xt["capacity_rps"] == x0["capacity_rps"]:
            fails.append(f"--trace: the curve was not measured on the trace's mix: "
                         f"{xt['service_curve']}, capacity {xt['capacity_rps']}")
        for r in xt["loads"]:
            if r["load"] <= 0.9 and abs(r["difference"]["served_pct"]) > 5:
                fails.append(f"--trace at {r['load']:.0%}: served rate differs by "
                             f"{r['difference']['served_pct']:+.1f}%")
        print(f"--trace: capacity {xt['capacity_rps']:.4g} req/s")
    for f in fails:
        print("FAIL", f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
