"""MPI (issue #6): `mpirun -n R infercap run` gives the same datasets as one process.

Runs only when infercap was built with MPI (CTest sets INFERCAP_MPI=ON) and mpirun exists.
Open MPI refuses to run as root unless told, and this machine has two cores: the allow-root
variables and --oversubscribe are set here.
"""
import os
import pathlib
import shutil
import subprocess

import h5py
import numpy as np
import pytest

from h5compare import assert_same_results

DATA = pathlib.Path(__file__).resolve().parent / "data"
SWEEP = DATA / "sweep.json"

pytestmark = pytest.mark.skipif(
    os.environ.get("INFERCAP_MPI") != "ON" or shutil.which("mpirun") is None,
    reason="infercap built without MPI, or no mpirun",
)


def mpirun(infercap_bin, ranks, args, timeout=300):
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMP_NUM_THREADS="1")
    if os.environ.get("INFERCAP_SANITIZED") == "1":
        # LeakSanitizer cannot run under the MPI launcher (and Open MPI's own allocations are
        # not ours); the serial tests check infercap's leaks.
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
    # --no-cache: the ranks measure their service curves, not read the session's (conftest.py)
    argv = ["mpirun", "-n", str(ranks), "--oversubscribe", infercap_bin, *map(str, args),
            "--no-cache"]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env)
    assert p.returncode == 0, f"{' '.join(argv)}: {p.returncode}\n{p.stdout}\n{p.stderr}"
    return p


@pytest.fixture(scope="module")
def single(run_infercap, tmp_path_factory):
    out = tmp_path_factory.mktemp("mpi") / "one.h5"
    run_infercap(["run", SWEEP, "-o", out, "-q"])
    return out


@pytest.mark.parametrize("ranks", [2, 3])
def test_ranks_equal_one_process(infercap_bin, single, tmp_path, ranks):
    out = tmp_path / f"r{ranks}.h5"
    p = mpirun(infercap_bin, ranks, ["run", SWEEP, "-o", out])
    assert f"8 points run on {ranks} ranks" in p.stdout
    # every rank took points (dynamic: which ones depends on timing, the result does not)
    takers = {line.split("]")[0] for line in p.stderr.splitlines() if "[rank " in line}
    assert len(takers) >= 2, p.stderr
    assert not pathlib.Path(str(out) + ".points").exists()
    assert_same_results(out, single)


def test_a_run_without_a_sweep(infercap_bin, run_infercap, tmp_path):
    """Without a sweep the one point runs on one rank; the file is the serial run's."""
    small = DATA / "small.json"
    a, b = tmp_path / "a.h5", tmp_path / "b.h5"
    run_infercap(["run", small, "-o", a, "-q"])
    mpirun(infercap_bin, 2, ["run", small, "-o", b, "-q"])
    assert_same_results(a, b)
    with h5py.File(b, "r") as f:
        assert "headline" not in f and "outage_probability" in f["summary"].attrs
