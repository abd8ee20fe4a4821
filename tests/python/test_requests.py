"""The request engine's result file and `infercap replay` (issue #7).

A short window of data/steady.json at 60% load through `engine: request`, and tiny traces of
each format replayed on the same fleet: the file's layout, its headline recomputed from the
per-request columns, prefix-cache hits from Mooncake hash_ids, --time-scale, and bad rows named
with their line.
"""
import json
import pathlib

import h5py
import numpy as np
import pytest

DATA = pathlib.Path(__file__).resolve().parent / "data"
STEADY = DATA / "steady.json"


@pytest.fixture(scope="module")
def window(run_infercap, tmp_path_factory):
    out = tmp_path_factory.mktemp("req") / "w.h5"
    p = run_infercap(["run", STEADY, "-o", out, "--json", "--set", "/engine=request",
                      "--set", "/traffic/growth/initial=1000000",
                      "--set", "/request_engine/duration_s=300"])
    return out, json.loads(p.stdout)


def test_layout_and_headline(window):
    path, head = window
    with h5py.File(path, "r") as f:
        assert f.attrs["engine"] == "request"
        r = f["requests"]
        n = r["arrival_s"].shape[0]
        assert n == head["requests"] == int(r.attrs["requests"])
        for name in ("ttft_s", "tpot_s", "e2e_s", "queue_s", "input_tokens", "output_tokens",
                     "status", "replica", "class", "preemptions"):
            assert r[name].shape == (n,), name
            assert r[name].dims[0].keys() == ["request"], name
        arrival = r["arrival_s"][()]
        assert np.all(np.diff(arrival) >= 0) and arrival[0] >= 0 and arrival[-1] < 300
        status = r["status"][()]
        served = status == 0
        assert served.sum() == head["served"] == int(r.attrs["served"])
        ttft, e2e, queue = r["ttft_s"][()], r["e2e_s"][()], r["queue_s"][()]
        assert np.all(np.isfinite(ttft[served])) and np.all(np.isnan(ttft[~served]))
        assert np.all(e2e[served] >= ttft[served]) and np.all(ttft[served] >= queue[served])
        # the headline's quantiles are those of the column (linear interpolation)
        for q, key in ((0.5, "p50"), (0.9, "p90"), (0.99, "p99")):
            want = np.quantile(ttft[served], q)
            assert r.attrs[f"ttft_s_{key}"] == pytest.approx(want, rel=1e-12)
            lo, hi = r.attrs[f"ttft_s_{key}_ci95"]
            assert lo <= want <= hi
        assert r.attrs["ttft_s_mean"] == pytest.approx(ttft[served].mean(), rel=1e-12)
        rep = f["replicas"]
        R = int(r.attrs["replicas"])
        assert rep["busy"].shape == (R, f["time"].shape[0])
        assert np.all((rep["busy"][()] >= 0) & (rep["busy"][()] <= 1 + 1e-6))
        assert np.all((rep["kv_occupancy"][()] >= 0) & (rep["kv_occupancy"][()] <= 1 + 1e-6))
        # routing spreads the requests over every replica
        assert len(np.unique(r["replica"][()])) == R


def test_info_prints_the_headline(run_infercap, window):
    path, head = window
    p = run_infercap(["info", path])
    assert "request engine" in p.stdout and "TTFT" in p.stdout
    j = json.loads(run_infercap(["info", path, "--json"]).stdout)
    assert j["requests"] == head["requests"] and j["engine"] == "request"


def write(path, text):
    path.write_text(text)
    return path


def test_replay_formats(run_infercap, tmp_path):
    csv = write(tmp_path / "t.csv", "arrival_s,input,output\n0,500,20\n0.5,800,40\n1.0,300,10\n")
    azure = write(tmp_path / "a.csv",
                  "TIMESTAMP,ContextTokens,GeneratedTokens\n"
                  "2023-11-16 18:15:46.6805900,500,20\n"
                  "2023-11-16 18:15:47.1805900,800,40\n"
                  "2023-11-16 18:15:47.6805900,300,10\n")
    results = []
    for trace in (csv, azure):
        out = tmp_path / (trace.stem + ".h5")
        p = run_infercap(["replay", STEADY, "--trace", trace, "-o", out, "--json",
                          "--set", "/request_engine/drain_s=600"])
        h = json.loads(p.stdout)
        assert h["requests"] == 3 and h["served"] == 3
        with h5py.File(out, "r") as f:
            np.testing.assert_allclose(f["requests/arrival_s"][()], [0, 0.5, 1.0], atol=1e-6)
            results.append(f["requests/ttft_s"][()])
    # the same requests, the same answers
    np.testing.assert_allclose(results[0], results[1], rtol=1e-9)


def test_replay_prefix_cache_and_time_scale(run_infercap, tmp_path):
    lines = []
    for i in range(40):
        # every request shares its first two 512-token blocks; the rest is its own
        lines.append(json.dumps({"timestamp": 250 * i, "input_length": 2048,
                                 "output_length": 8, "hash_ids": [1, 2, 1000 + 2 * i,
                                                                  1001 + 2 * i]}))
    trace = write(tmp_path / "m.jsonl", "\n".join(lines) + "\n")
    out = tmp_path / "m.h5"
    run_infercap(["replay", STEADY, "--trace", trace, "-o", out, "-q",
                  "--set", "/fleet/accelerators=1"])
    with h5py.File(out, "r") as f:
        hit = f["requests/cache_hit_tokens"][()]
        arrival = f["requests/arrival_s"][()]
    assert hit[0] == 0 and np.all(hit[1:] == 1024)
    np.testing.assert_allclose(arrival[:3], [0, 0.25, 0.5])
    out2 = tmp_path / "m2.h5"
    run_infercap(["replay", STEADY, "--trace", trace, "-o", out2, "-q", "--time-scale", "0.5",
                  "--set", "/fleet/accelerators=1"])
    with h5py.File(out2, "r") as f:
        np.testing.assert_allclose(f["requests/arrival_s"][()], arrival * 0.5)


def test_replay_bad_rows_are_named(run_infercap, tmp_path):
    bad = write(tmp_path / "bad.csv", "0,500,20\n0.5,8x0,40\n")
    p = run_infercap(["replay", STEADY, "--trace", bad, "-o", tmp_path / "x.h5"], check=False)
    assert p.returncode == 2
    assert "bad.csv:2:" in p.stderr and "8x0" in p.stderr
    assert not (tmp_path / "x.h5").exists()
    p = run_infercap(["replay", STEADY, "-o", tmp_path / "x.h5"], check=False)
    assert p.returncode == 2 and "--trace" in p.stderr
    p = run_infercap(["replay", STEADY, "--trace", bad, "--format", "parquet"], check=False)
    assert p.returncode == 2 and "mooncake, azure or csv" in p.stderr
