#!/usr/bin/env python3
"""Stored answers: every ready scenario and test scenario, run small, pinned bit for bit.

Each case below is one infercap command (a run at a few paths, a sweep, a request-engine window,
a trace replay, a solve, a performance query).  Its answer is what the command computes, with
nothing that depends on the machine or the clock: the headline it prints with --json (less
file names, timings, memory and thread counts), and for a result file every dataset (shape,
type, SHA-256 of its bytes, sum and count of non-finite values, so that a change shows how far
it moved a dataset, not only that it did) and every numeric attribute.  Answers live in
tests/answers/<case>.json.

    tools/answers.py --check  [--infercap build/infercap] [CASE...]   compare (exit 1 on change)
    tools/answers.py --update [--infercap build/infercap] [CASE...]   regenerate (`make answers`)

A change that is meant to move numbers regenerates the answers in its own commit, whose
message says which numbers moved and why; any other change leaves them bit-identical.
"""

import argparse
import hashlib
import json
import math
import os
import pathlib
import subprocess
import sys
import tempfile

import h5py
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
ANSWERS = ROOT / "tests" / "answers"
DATA = ROOT / "tests" / "python" / "data"

# Fields of the --json headline that describe the machine or the clock, not the result.
VOLATILE_KEYS = {
    "file", "memory_estimate_bytes", "peak_memory_bytes", "engine_seconds", "write_seconds",
    "threads", "wall_seconds", "seconds", "elapsed_s", "created_utc", "command_line",
    "git_commit", "infercap_version", "version", "output", "reduce_seconds", "run_seconds",
}
# Attributes of the result file that are provenance, not results.
VOLATILE_ATTRS = {"created_utc", "command_line", "git_commit", "infercap_version"}

PATHS = "16"


def _cases():
    """name -> (argv after the binary, writes a result file?)."""
    cases = {}
    for s in sorted((ROOT / "scenarios").glob("*.json")):
        cases[f"scenario-{s.stem}"] = (["run", s, "--paths", PATHS], True)
    for s in sorted(DATA.glob("*.json")):
        cases[f"test-{s.stem}"] = (["run", s, "--paths", PATHS], True)
    cases["test-steady-request-engine"] = (
        ["run", DATA / "steady.json", "--set", "/engine=request",
         "--set", "/request_engine/duration_s=300"], True)
    cases["test-steady-replay"] = (
        ["replay", DATA / "steady.json", "--trace", ANSWERS / "inputs" / "trace.jsonl",
         "--format", "mooncake"], True)
    cases["test-small-solve"] = (
        ["solve", DATA / "small.json", "--for", "/fleet/accelerators", "--max-outage-prob",
         "0.1", "--paths", "40", "-q"], False)
    perf = [
        ("llama-3.1-70b", "nvidia_h100_sxm", ["--tp", "4"]),
        ("llama-3.1-8b", "nvidia_h20", ["--tp", "1"]),
        ("deepseek-v3", "nvidia_h800_sxm", ["--tp", "16", "--precision", "fp8"]),
        ("qwen2.5-72b", "huawei_ascend_910b", ["--tp", "8", "--precision", "int8"]),
    ]
    for model, acc, extra in perf:
        cases[f"perf-{model}-{acc}"] = (
            ["perf", "--model", model, "--accelerator", acc, *extra], False)
    return cases


def _strip(obj):
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if k not in VOLATILE_KEYS}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


def _jsonable(v):
    """A numeric attribute as JSON: NaN and infinities as strings, so the file stays JSON."""
    if isinstance(v, np.ndarray):
        return [_jsonable(x) for x in v.tolist()]
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, (np.floating, float)):
        f = float(v)
        return f if math.isfinite(f) else repr(f)
    if isinstance(v, (np.integer, int)):
        return int(v)
    return v


def _dataset(d):
    data = d[()]
    if d.dtype.kind in "OSU" or h5py.check_string_dtype(d.dtype) is not None:
        flat = np.asarray(data, dtype=object).ravel()
        raw = b"\0".join(x if isinstance(x, bytes) else str(x).encode() for x in flat)
        return {"shape": list(d.shape), "dtype": "string",
                "sha256": hashlib.sha256(raw).hexdigest()}
    arr = np.asarray(data)
    le = arr.astype(arr.dtype.newbyteorder("<"), copy=False)
    out = {"shape": list(d.shape), "dtype": arr.dtype.str.lstrip("<>|="),
           "sha256": hashlib.sha256(np.ascontiguousarray(le).tobytes()).hexdigest()}
    if arr.dtype.kind in "fiub":
        a = arr.astype(np.float64)
        fin = np.isfinite(a)
        out["sum"] = _jsonable(float(a[fin].sum())) if fin.any() else 0.0
        out["nonfinite"] = int((~fin).sum())
    return out


def _attrs(obj):
    out = {}
    for k, v in obj.attrs.items():
        if k in VOLATILE_ATTRS or k in ("DIMENSION_LIST", "REFERENCE_LIST", "CLASS", "NAME"):
            continue
        if isinstance(v, (bytes, str)) or (isinstance(v, np.ndarray) and v.dtype.kind in "OSU"):
            continue
        out[k] = _jsonable(v)
    return out


def _file_answer(path):
    ds, attrs = {}, {}
    with h5py.File(path, "r") as f:
        attrs["/"] = _attrs(f)

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                ds["/" + name] = _dataset(obj)
            a = _attrs(obj)
            if a:
                attrs["/" + name] = a

        f.visititems(visit)
    return {"datasets": ds, "attributes": attrs}


def compute(exe, name, argv, writes, tmp):
    # inputs by their path in the checkout, run from its root: a headline that names an input
    # (a replay's trace) is then the same in any clone
    args = [os.path.abspath(exe), *[os.path.relpath(a, ROOT) if isinstance(a, pathlib.Path)
                                    else str(a) for a in argv]]
    out = pathlib.Path(tmp) / f"{name}.h5"
    if writes:
        args += ["-o", str(out)]
    args += ["--json"]
    p = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=600)
    if p.returncode != 0:
        raise RuntimeError(f"{name}: {' '.join(args)} exited {p.returncode}\n{p.stderr}")
    # only the Path arguments are files; "/engine=request" is a JSON pointer, not a path
    answer = {"command": ["infercap", *[os.path.relpath(a, ROOT) if isinstance(a, pathlib.Path)
                                       else str(a) for a in argv]],
              "headline": _strip(json.loads(p.stdout))}
    if writes:
        answer.update(_file_answer(out))
    return answer


def _diff(old, new, where=""):
    """Human-readable differences between two answers (the first few)."""
    out = []
    if isinstance(old, dict) and isinstance(new, dict):
        for k in sorted(set(old) | set(new)):
            if k not in new:
                out.append(f"{where}/{k}: gone")
            elif k not in old:
                out.append(f"{where}/{k}: new")
            else:
                out += _diff(old[k], new[k], f"{where}/{k}")
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new)):
            out += _diff(a, b, f"{where}[{i}]")
    elif old != new:
        out.append(f"{where}: {old!r} -> {new!r}")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--check", action="store_true", help="compare with the stored answers")
    g.add_argument("--update", action="store_true", help="regenerate the stored answers")
    ap.add_argument("--infercap", default=str(ROOT / "build" / "infercap"))
    ap.add_argument("cases", nargs="*", help="case names (default: all)")
    a = ap.parse_args()
    cases = _cases()
    names = a.cases or list(cases)
    unknown = [n for n in names if n not in cases]
    if unknown:
        ap.error(f"unknown case(s) {', '.join(unknown)}; known: {', '.join(cases)}")
    ANSWERS.mkdir(parents=True, exist_ok=True)
    changed, missing = [], []
    with tempfile.TemporaryDirectory(prefix="infercap-answers-") as tmp:
        for n in names:
            argv, writes = cases[n]
            new = compute(a.infercap, n, argv, writes, tmp)
            f = ANSWERS / f"{n}.json"
            if a.update:
                f.write_text(json.dumps(new, indent=1, sort_keys=True) + "\n")
                print(f"wrote {f.relative_to(ROOT)}")
                continue
            if not f.exists():
                missing.append(n)
                print(f"{n}: no stored answer ({f.relative_to(ROOT)}); run tools/answers.py --update")
                continue
            old = json.loads(f.read_text())
            new = json.loads(json.dumps(new, sort_keys=True))  # same float round trip
            d = _diff(old, new)
            if d:
                changed.append(n)
                print(f"{n}: CHANGED ({len(d)} differences)")
                for line in d[:12]:
                    print(f"    {line}")
                if len(d) > 12:
                    print(f"    ... {len(d) - 12} more")
            else:
                print(f"{n}: same")
    if a.check:
        stale = sorted(p.stem for p in ANSWERS.glob("*.json") if p.stem not in cases)
        for n in stale:
            print(f"{n}: stored answer without a case (remove tests/answers/{n}.json)")
        bad = len(changed) + len(missing) + len(stale)
        print(f"{len(names) - len(changed) - len(missing)} passed, {bad} failed")
        if bad:
            print("A change that is meant to move numbers regenerates the answers with "
                  "`make answers` in its own commit, saying which numbers moved and why.")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
