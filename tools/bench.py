#!/usr/bin/env python3
"""infercap benchmark (`make bench`): engine speed, parallel efficiency, memory and HDF5 writes.

Runs (a) a minimal scenario (tools/bench/minimal.json: one request class, no events, no
failures, no autoscaling) and (b) the default Kimi scenario at 1 and 2 threads, each a few
times, and reports the best and median path-steps per second, the parallel efficiency (best
rate at 2 threads / best at 1), the peak resident memory the run measured itself (VmHWM), the
time of the reduction and HDF5 write, and the file's size.  Prints one table and writes the
same figures as JSON (--json-out, default build/bench.json).

--scale adds the issue's scale checks: 100,000 paths of the Kimi scenario on an hourly output
grid (peak memory must stay under 2 GB) and a 90-day horizon at 60 s steps.  They take
minutes.

Targets (issue #5, a 2-core machine): minimal >= 30 M path-steps/s on 2 threads, Kimi >= 10 M,
2 threads >= 1.8 x 1 thread.  The request engine (issue #7, tools/bench/requests.json: one
million chat requests on four replicas): under one second on one core.  The script reports whether each was met; it does not fail on a
miss unless --strict is given (a busy machine is not a regression).
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MINIMAL = os.path.join(SRC, "tools", "bench", "minimal.json")
REQUESTS = os.path.join(SRC, "tools", "bench", "requests.json")
KIMI = os.path.join(SRC, "scenarios", "kimi-2024-03.json")

CASES = [
    # name, scenario, extra arguments, target M path-steps/s at 2 threads
    ("minimal", MINIMAL, [], 30.0),
    ("kimi-2024-03", KIMI, ["--paths", "1000"], 10.0),
]
EFFICIENCY_TARGET = 1.8
MEMORY_TARGET = 2e9


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def run_once(exe, scenario, extra, threads, workdir):
    out = os.path.join(workdir, "bench.h5")
    argv = [exe, "run", scenario, "-q", "--json", "-o", out, "--threads", str(threads)] + extra
    t0 = time.monotonic()
    p = subprocess.run(argv, capture_output=True, text=True)
    wall = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit(f"bench: {' '.join(argv)} failed ({p.returncode}):\n{p.stderr}")
    head = json.loads(p.stdout)
    size = os.path.getsize(out)
    os.unlink(out)
    return {
        "rate": head["path_steps"] / head["engine_seconds"],
        "engine_s": head["engine_seconds"],
        "write_s": head["write_seconds"],
        "wall_s": wall,
        "path_steps": head["path_steps"],
        "paths": head["paths"],
        "peak_bytes": head.get("peak_memory_bytes", 0),
        "estimate_bytes": head.get("memory_estimate_bytes", 0),
        "file_bytes": size,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--infercap", default=os.path.join(SRC, "build", "infercap"))
    ap.add_argument("--repeat", type=int, default=3, help="runs of each case (default 3)")
    ap.add_argument("--json-out", default=os.path.join(SRC, "build", "bench.json"))
    ap.add_argument("--scale", action="store_true", help="also the 100k-path and 90-day checks")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = ap.parse_args()
    if not os.access(args.infercap, os.X_OK):
        sys.exit(f"bench: {args.infercap} is not built (make build)")
    version = subprocess.run([args.infercap, "--version"], capture_output=True, text=True)
    report = {
        "machine": {
            "cpu": cpu_model(),
            "cores": os.cpu_count(),
            "system": platform.platform(),
        },
        "infercap": version.stdout.strip(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "repeat": args.repeat,
        "cases": [],
        "targets": [],
    }
    print(f"infercap benchmark: {report['machine']['cpu']}, {report['machine']['cores']} cores")
    print(f"  {report['infercap']}; best and median of {args.repeat} runs\n")
    hdr = (
        f"{'case':14s} {'thr':>3s} {'M steps/s':>10s} {'(median)':>9s} {'engine s':>9s} "
        f"{'peak MiB':>9s} {'est MiB':>8s} {'write s':>8s} {'file MiB':>9s}"
    )
    print(hdr)
    print("-" * len(hdr))
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for name, scenario, extra, target in CASES:
            best = {}
            for threads in (1, 2):
                runs = [run_once(args.infercap, scenario, extra, threads, tmp)
                        for _ in range(args.repeat)]
                top = max(runs, key=lambda r: r["rate"])
                med = statistics.median(r["rate"] for r in runs)
                best[threads] = top["rate"]
                case = dict(top, name=name, threads=threads, median_rate=med,
                            rates=[r["rate"] for r in runs])
                report["cases"].append(case)
                print(
                    f"{name:14s} {threads:3d} {top['rate'] / 1e6:10.1f} {med / 1e6:9.1f} "
                    f"{top['engine_s']:9.2f} {top['peak_bytes'] / 2**20:9.1f} "
                    f"{top['estimate_bytes'] / 2**20:8.1f} {top['write_s']:8.3f} "
                    f"{top['file_bytes'] / 2**20:9.2f}"
                )
            eff = best[2] / best[1]
            for what, got, want in (
                (f"{name}: M path-steps/s on 2 threads", best[2] / 1e6, target),
                (f"{name}: 2 threads / 1 thread", eff, EFFICIENCY_TARGET),
            ):
                met = got >= want
                ok &= met
                report["targets"].append({"target": what, "value": got, "at_least": want,
                                          "met": met})
        # The request engine: one core, engine time only.
        runs = []
        for _ in range(args.repeat):
            out = os.path.join(tmp, "rq.h5")
            p = subprocess.run([args.infercap, "run", REQUESTS, "--json", "-o", out],
                               capture_output=True, text=True)
            if p.returncode != 0:
                sys.exit(f"bench: request engine failed:\n{p.stderr}")
            runs.append(json.loads(p.stdout))
        best = min(runs, key=lambda r: r["engine_seconds"])
        print(
            f"\nrequest engine: {best['requests']} requests, {best['iterations']:.3g} iterations "
            f"in {best['engine_seconds']:.3f} s (best of {args.repeat}): "
            f"{best['requests'] / best['engine_seconds'] / 1e6:.2f} M requests/s, "
            f"{best['iterations'] / best['engine_seconds'] / 1e6:.1f} M iterations/s, "
            f"mean decode batch {best['mean_decode_batch']:.1f}"
        )
        report["cases"].append({"name": "request-engine", "requests": best["requests"],
                                "iterations": best["iterations"],
                                "engine_s": best["engine_seconds"],
                                "seconds": [r["engine_seconds"] for r in runs]})
        met = best["engine_seconds"] < 1.0 and best["requests"] >= 900000
        ok &= met
        report["targets"].append({"target": "request engine: seconds for ~1M requests",
                                  "value": best["engine_seconds"], "at_most": 1.0, "met": met})
        if args.scale:
            print("\nscale checks (minutes):")
            for what, extra in (
                ("kimi 100,000 paths, hourly grid", ["--paths", "100000"]),
                ("kimi 90 days at 60 s, 2,000 paths",
                 ["--paths", "2000", "--set", "/horizon_days=90", "--set", "/step_s=60"]),
            ):
                r = run_once(args.infercap, KIMI, extra, 2, tmp)
                print(
                    f"  {what}: {r['path_steps']:.3g} path-steps in {r['engine_s']:.0f} s "
                    f"({r['rate'] / 1e6:.1f} M/s), peak {r['peak_bytes'] / 2**20:.0f} MiB "
                    f"(estimated {r['estimate_bytes'] / 2**20:.0f}), write {r['write_s']:.2f} s, "
                    f"file {r['file_bytes'] / 2**20:.1f} MiB"
                )
                report["cases"].append(dict(r, name=what, threads=2))
                met = r["peak_bytes"] < MEMORY_TARGET
                ok &= met
                report["targets"].append({"target": f"{what}: peak bytes",
                                          "value": r["peak_bytes"], "at_most": MEMORY_TARGET,
                                          "met": met})
    print("\ntargets:")
    for t in report["targets"]:
        bound = f">= {t['at_least']:g}" if "at_least" in t else f"< {t['at_most']:g}"
        print(f"  {'met ' if t['met'] else 'MISS'}  {t['target']}: {t['value']:.4g} ({bound})")
    os.makedirs(os.path.dirname(os.path.abspath(args.json_out)), exist_ok=True)
    with open(args.json_out, "w") as f:
        json.dump(report, f, indent=2)
    print(f"\nwrote {args.json_out}")
    return 1 if (args.strict and not ok) else 0


if __name__ == "__main__":
    sys.exit(main())
