"""The two engines against each other (issue #7): the same steady load through the aggregate
(fluid) engine and the request-level engine at utilisations from 30% to 130% of the aggregate
model's replica capacity.  Below saturation they must agree on throughput within 5% and on mean
TTFT within 20%; above it both queues must grow.  (The request engine saturates a little
first, at about 97% of the aggregate capacity; README, "Two engines".)
"""
import json
import pathlib

import h5py
import numpy as np
import pytest

STEADY = pathlib.Path(__file__).resolve().parent / "data" / "steady.json"
REQ_PER_USER_DAY = 10  # data/steady.json


@pytest.fixture(scope="module")
def capacity(run_infercap, tmp_path_factory):
    """Requests/s of the whole fleet at the aggregate model's capacity."""
    out = tmp_path_factory.mktemp("cap") / "c.h5"
    p = run_infercap(["run", STEADY, "-o", out, "-q", "--json", "--paths", "1"])
    h = json.loads(p.stdout)
    replicas = h["accelerators_mean"] // h["accelerators_per_replica"]
    return replicas * h["replica_requests_per_s"]


def both(run_infercap, tmp_path, users):
    a, r = tmp_path / "a.h5", tmp_path / "r.h5"
    run_infercap(["run", STEADY, "-o", a, "-q", "--set", f"/traffic/growth/initial={users}"])
    p = run_infercap(["run", STEADY, "-o", r, "--json", "--set", "/engine=request",
                      "--set", f"/traffic/growth/initial={users}"])
    req = json.loads(p.stdout)
    with h5py.File(a, "r") as f:
        t = f["time"][()]
        w = (t >= 3600) & (t < 3600 + 1200)  # the request engine's window
        agg = {
            "served": float(f["series/served_per_s"][0][w].mean()),
            "ttft": float(f["series/ttft_s"][0][w].mean()),
            "backlog": f["series/backlog_requests"][0][w],
        }
    with h5py.File(r, "r") as f:
        waiting = f["replicas/waiting"][()].sum(axis=0)
    return agg, req, waiting


@pytest.mark.parametrize("rho", [0.3, 0.5, 0.7])
def test_agree_below_saturation(run_infercap, tmp_path, capacity, rho):
    users = rho * capacity * 86400 / REQ_PER_USER_DAY
    agg, req, waiting = both(run_infercap, tmp_path, users)
    print(f"rho {rho}: served {agg['served']:.1f} vs {req['throughput_rps']:.1f}/s, "
          f"TTFT {agg['ttft']:.4f} vs {req['ttft_s']['mean']:.4f} s")
    assert abs(agg["served"] / req["throughput_rps"] - 1) < 0.05
    assert abs(agg["ttft"] / req["ttft_s"]["mean"] - 1) < 0.20
    # neither queue grows
    assert np.all(agg["backlog"] < 1)
    assert waiting[-1] < 10 * max(waiting[0], 1)


def test_both_queues_grow_above_saturation(run_infercap, tmp_path, capacity):
    users = 1.3 * capacity * 86400 / REQ_PER_USER_DAY
    agg, req, waiting = both(run_infercap, tmp_path, users)
    assert agg["backlog"][-1] > agg["backlog"][0] + 0.1 * capacity * 1200
    assert waiting[-1] > waiting[1] + 0.1 * capacity * 1000
    assert req["throughput_rps"] < 1.3 * capacity * 0.95
