"""Sweeps, shards, merge and resume (issue #6).

data/sweep.json sweeps fleet size x accelerator (8 points) with two request classes, per-path
draws, failures, a surge and autoscaling, so every dataset group is written.  The checks:
the axes are leading, named dimensions; each point equals the same scenario run on its own
with --set; shards merged equal the single run; merge refuses parts that do not belong
together; a killed sweep resumed equals an uninterrupted one; common random numbers make the
per-path outcome monotone in fleet size.
"""
import json
import os
import pathlib
import signal
import subprocess
import time

import h5py
import numpy as np
import pytest

DATA = pathlib.Path(__file__).resolve().parent / "data"
SWEEP = DATA / "sweep.json"
ACCELS = [4, 6, 9, 14]
CHIPS = ["nvidia_h100_sxm", "nvidia_h20"]

from h5compare import assert_same_results


@pytest.fixture(scope="module")
def swept(run_infercap, tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep") / "sweep.h5"
    run_infercap(["run", SWEEP, "-o", out, "-q"])
    return out


def test_axes_are_leading_named_dimensions(swept):
    with h5py.File(swept, "r") as f:
        assert f.attrs["sweep_axes"] == "accelerators accelerator"
        assert int(f.attrs["sweep_points"]) == 8
        np.testing.assert_array_equal(f["accelerators"][()], ACCELS)
        assert [s.decode() for s in f["accelerator"][()]] == CHIPS
        assert f["accelerators"].attrs["pointer"] == "/fleet/accelerators"
        assert f["summary/outage"].shape == (4, 2, 30)
        assert f["bands/offered_load"].shape == (4, 2, 5, 48)
        assert f["series/offered_load"].shape == (4, 2, 3, 48)
        assert f["series/arrivals_per_s_by_class"].shape == (4, 2, 2, 3, 48)
        assert f["headline/outage_probability"].shape == (4, 2)
        assert f["headline/outage_probability_ci95"].shape == (4, 2, 2)
        assert np.all(f["point_done"][()] == 1)
        # the dimension scales attached to a dataset, in order
        dims = [d.keys()[0] if len(d.keys()) else None for d in f["bands/offered_load"].dims]
        assert dims == ["accelerators", "accelerator", "quantile", "time"]


def test_xarray_sees_the_sweep(swept):
    xr = pytest.importorskip("xarray")
    pytest.importorskip("h5netcdf")
    root = xr.open_dataset(swept, engine="h5netcdf")
    summary = xr.open_dataset(swept, group="summary", engine="h5netcdf")
    p = summary["outage"].mean("path")
    assert p.dims == ("accelerators", "accelerator")
    assert list(root["accelerators"].values) == ACCELS
    head = xr.open_dataset(swept, group="headline", engine="h5netcdf")
    np.testing.assert_allclose(head["outage_probability"].values, p.values, rtol=0, atol=1e-15)


@pytest.mark.parametrize("i,j", [(0, 0), (2, 1), (3, 0)])
def test_each_point_equals_its_own_run(run_infercap, swept, tmp_path, i, j):
    """Point (i, j) of the sweep holds exactly what a run of the same scenario with
    --set /fleet/accelerators=A --set /accelerator=C writes."""
    scenario = json.loads(SWEEP.read_text())
    del scenario["sweep"]
    base = tmp_path / "base.json"
    base.write_text(json.dumps(scenario))
    one = tmp_path / "one.h5"
    run_infercap(["run", base, "-o", one, "-q", "--set", f"/fleet/accelerators={ACCELS[i]}",
                  "--set", f"/accelerator={CHIPS[j]}"])
    with h5py.File(swept, "r") as s, h5py.File(one, "r") as o:
        for group in ("summary", "bands", "series", "inputs", "autoscale"):
            for name in o[group]:
                np.testing.assert_array_equal(s[group][name][i, j], o[group][name][()],
                                              err_msg=f"{group}/{name}")
        for key in ("outage_probability", "outage_probability_ci95", "cost_usd_mean",
                    "lost_requests_p50_ci95"):
            np.testing.assert_array_equal(s["headline"][key][i, j], o["summary"].attrs[key])
        assert s["headline/accelerator_key"][i, j].decode() == CHIPS[j]


def test_common_random_numbers_make_fleet_curves_monotone(swept, run_infercap, tmp_path):
    """Every point draws the same paths: a path's per-path inputs are identical across the
    sweep; and without failures or autoscaling (whose histories differ with the fleet), a path
    that has no outage with N accelerators has none with more."""
    with h5py.File(swept, "r") as f:
        for name in f["inputs"]:
            x = f["inputs"][name][()]
            assert np.all(x == x[:1, :1, :]), name
    out = tmp_path / "crn.h5"
    run_infercap(["run", SWEEP, "-o", out, "-q", "--set", "/fleet/failure_rate_per_hour=0",
                  "--set", "/fleet/autoscale/enabled=no", "--sweep",
                  "/fleet/accelerators=2:16:15"])
    with h5py.File(out, "r") as f:
        outage = f["summary/outage"][:, 0, :]
        peak = f["summary/peak_offered_load"][:, 0, :]
    assert outage.shape == (15, 30)
    assert np.all(np.diff(outage, axis=0) <= 0), outage
    assert np.all(np.diff(peak, axis=0) <= 1e-12)
    assert outage[0].sum() > outage[-1].sum()


def test_shards_merged_equal_the_single_run(run_infercap, swept, tmp_path):
    parts = []
    for i in range(3):
        part = tmp_path / f"part{i}.h5"
        run_infercap(["run", SWEEP, "--shard", f"{i}/3", "-o", part, "-q"])
        with h5py.File(part, "r") as f:
            done = f["point_done"][()].ravel()
            assert list(np.flatnonzero(done)) == [k for k in range(8) if k % 3 == i]
            assert int(f.attrs["shard_count"]) == 3
            # the points a shard does not hold are NaN
            assert np.all(np.isnan(f["summary/outage"][()].reshape(8, -1)[done == 0]))
        parts.append(part)
    merged = tmp_path / "merged.h5"
    run_infercap(["merge", *parts, "-o", merged, "-q"])
    assert_same_results(merged, swept)


def test_slurm_job_array_script(infercap_bin, run_infercap, swept, tmp_path):
    """scenarios/slurm/array.sh as three array tasks (Slurm's variables set by hand), then the
    merge that submit.sh schedules: the same file as the single run."""
    script = pathlib.Path(__file__).resolve().parents[2] / "scenarios" / "slurm" / "array.sh"
    prefix = tmp_path / "wanka"
    for i in range(3):
        env = dict(os.environ, SLURM_ARRAY_TASK_ID=str(10 + i), SLURM_ARRAY_TASK_MIN="10",
                   SLURM_ARRAY_TASK_COUNT="3", SLURM_CPUS_PER_TASK="2", INFERCAP=infercap_bin)
        p = subprocess.run(["bash", str(script), str(SWEEP), str(prefix)], env=env,
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr
    parts = [f"{prefix}.part-{i}-of-3.h5" for i in range(3)]
    run_infercap(["merge", *parts, "-o", f"{prefix}.h5", "-q"])
    assert_same_results(f"{prefix}.h5", swept)


def test_merge_refuses_parts_that_do_not_belong(run_infercap, tmp_path):
    a, b, other = tmp_path / "a.h5", tmp_path / "b.h5", tmp_path / "other.h5"
    run_infercap(["run", SWEEP, "--shard", "0/2", "-o", a, "-q"])
    run_infercap(["run", SWEEP, "--shard", "1/2", "-o", b, "-q"])
    run_infercap(["run", SWEEP, "--shard", "1/2", "--seed", "7", "-o", other, "-q"])
    out = tmp_path / "m.h5"
    p = run_infercap(["merge", a, other, "-o", out], check=False)
    assert p.returncode == 2 and "different scenarios" in p.stderr, p.stderr
    p = run_infercap(["merge", a, "-o", out], check=False)
    assert p.returncode == 2 and "4 missing" in p.stderr and "is in no part" in p.stderr
    p = run_infercap(["merge", a, b, b, "-o", out], check=False)
    assert p.returncode == 2 and "in more than one part" in p.stderr
    assert not out.exists()
    run_infercap(["merge", a, b, "-o", out, "-q"])
    assert out.exists()


def test_resume_after_a_kill_equals_an_uninterrupted_run(infercap_bin, run_infercap, swept,
                                                         tmp_path):
    """Kill the sweep (SIGKILL) once some points are done, then finish it with --resume."""
    out = tmp_path / "r.h5"
    work = pathlib.Path(str(out) + ".points")
    # Longer points (more paths and days) so that the kill lands mid-sweep.
    common = ["-q", "--threads", "1", "--set", "/paths=400"]
    args = ["run", SWEEP, "-o", out, *common]
    full = tmp_path / "full.h5"
    run_infercap(["run", SWEEP, "-o", full, *common], timeout=300)
    proc = subprocess.Popen([infercap_bin, *map(str, args)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if len(list(work.glob("point-*.h5"))) >= 2:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the sweep finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = sorted(work.glob("point-*.h5"))
    assert 2 <= len(finished) < 8 and not out.exists()
    # Without --resume the run refuses to start over the finished points.
    p = run_infercap(args, check=False)
    assert p.returncode == 2 and "--resume" in p.stderr
    p = run_infercap([*args, "--resume"], timeout=300)
    assert out.exists() and not work.exists()
    assert_same_results(out, full)


def test_bad_sweeps_are_refused(run_infercap, tmp_path):
    cases = [
        (["--sweep", "/horizon_days=1,2"], "changes the output grid"),
        (["--sweep", "/fleet/accelerators=1:9"], "got \"1:9\", expected a number"),
        (["--sweep", "/fleet/acelerators=4,8"], "unknown key \"acelerators\""),
        (["--sweep", "/fleet/accelerators=geom:0:9:3"], "lo > 0"),
        (["--sweep", "/fleet/accelerators=4,4"], "appears twice"),
        (["--shard", "3/3"], "--shard"),
    ]
    for extra, message in cases:
        p = run_infercap(["run", SWEEP, "-o", tmp_path / "x.h5", *extra], check=False)
        assert p.returncode == 2, (extra, p.stderr)
        assert message in p.stderr, (extra, p.stderr)
