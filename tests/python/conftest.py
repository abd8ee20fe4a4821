"""Fixtures of the Python checks of infercap's HDF5 result file.

The binary comes from the environment variable INFERCAP (CTest sets it to the built target);
without it every test is skipped.  One small scenario (data/small.json: two request classes,
one event, lognormal, uniform and choice parameters, 40 paths over 2 days) is run once per
session and the tests read the file it writes.

Run by hand:  INFERCAP=/path/to/infercap /usr/bin/python3 -m pytest -q tests/python
"""

import atexit
import dataclasses
import json
import os
import pathlib
import shutil
import subprocess
import tempfile
import time

import pytest

# Hermetic: no run here reads or writes the user's cache of measured service curves.  The runs
# of a test session share a cache of their own, so that each distinct curve is measured once a
# session, not once a run (DeepSeek's day measures a whole replica of 176 attention ranks, a
# million requests and more): CTest gives every test of its session one directory
# (INFERCAP_TEST_CACHE_DIR, emptied before the first test and removed after the last:
# tests/CMakeLists.txt); run by hand, the session makes a temporary one and removes it at exit.
# A curve read from the cache is the measured one bit for bit (test_curve_cache.py, whose runs
# have directories of their own); a run that must measure its own curve passes --no-cache.
# INFERCAP_TEST_CACHE_DIR=off: no cache, every run measures its curves.
SESSION_CURVE_CACHE = os.environ.get("INFERCAP_TEST_CACHE_DIR", "")
if not SESSION_CURVE_CACHE:
    SESSION_CURVE_CACHE = tempfile.mkdtemp(prefix="infercap-test-curves-")
    atexit.register(shutil.rmtree, SESSION_CURVE_CACHE, ignore_errors=True)
os.environ["INFERCAP_CACHE_DIR"] = SESSION_CURVE_CACHE

DATA_DIR = pathlib.Path(__file__).resolve().parent / "data"
SMALL_SCENARIO = DATA_DIR / "small.json"

# No single run of the small scenario should take more than a fraction of this.  Sanitizer
# builds run several times slower (`make asan` sets INFERCAP_TEST_TIMEOUT_SCALE: DeepSeek's day,
# its curve measured on a whole replica of 176 attention ranks, took over 60 s under ASan on 2
# busy cores, 4.6 s in the release build).
RUN_TIMEOUT_S = 60 * float(os.environ.get("INFERCAP_TEST_TIMEOUT_SCALE", "1"))


@dataclasses.dataclass(frozen=True)
class Run:
    """One finished `infercap run`: the file it wrote and how it was invoked."""

    path: pathlib.Path
    argv: tuple
    scenario: pathlib.Path
    started_unix_s: float
    finished_unix_s: float
    stdout: str
    stderr: str


@pytest.fixture(scope="session")
def infercap_bin():
    """Path of the infercap binary (from $INFERCAP); skips the tests when it is not set."""
    exe = os.environ.get("INFERCAP")
    if not exe:
        pytest.skip(
            "INFERCAP is not set: point it at the infercap binary "
            "(CTest does this; by hand: INFERCAP=build/infercap /usr/bin/python3 -m pytest)"
        )
    if not (os.path.isfile(exe) and os.access(exe, os.X_OK)):
        pytest.fail(f"INFERCAP={exe!r} is not an executable file")
    return exe


@pytest.fixture(scope="session")
def run_infercap(infercap_bin):
    """A function that runs `infercap ARGS...` and returns the CompletedProcess.

    With check=True (the default) a non-zero exit status fails the calling test with the
    program's output, so a crash is reported as such rather than as a missing file."""

    def run(args, check=True, timeout=RUN_TIMEOUT_S):
        argv = [infercap_bin, *[str(a) for a in args]]
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{' '.join(argv)} ran longer than {timeout} s")
        if check and proc.returncode != 0:
            pytest.fail(
                f"{' '.join(argv)} exited with status {proc.returncode}"
                f"{' (killed by signal %d)' % -proc.returncode if proc.returncode < 0 else ''}\n"
                f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
            )
        return proc

    return run


@pytest.fixture(scope="session")
def small_scenario():
    """The small scenario as a dict (its file is data/small.json)."""
    with open(SMALL_SCENARIO, encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="session")
def small_run(infercap_bin, run_infercap, tmp_path_factory):
    """Run the small scenario once for the session (default thread count)."""
    out = tmp_path_factory.mktemp("result") / "small.h5"
    args = ["run", str(SMALL_SCENARIO), "-o", str(out), "-q"]
    started = time.time()
    proc = run_infercap(args)
    finished = time.time()
    assert out.is_file(), f"infercap exited 0 but wrote no {out}"
    return Run(
        path=out,
        argv=(infercap_bin, *args),
        scenario=SMALL_SCENARIO,
        started_unix_s=started,
        finished_unix_s=finished,
        stdout=proc.stdout,
        stderr=proc.stderr,
    )


@pytest.fixture(scope="session")
def result_path(small_run):
    """Path of the HDF5 result file of the small scenario."""
    return small_run.path
