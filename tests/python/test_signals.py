"""Interruption and faults (issue #9): SIGINT/SIGTERM stop at the next block and write what is
complete, marked partial (exit status 3); a second signal exits at once leaving no file that
looks complete (status 130); SIGKILL leaves only the temporary file, which the next run of the
same output removes; a full disk (a file-size limit) ends the run with a clear error and no
output.
"""
import os
import re
import resource
import signal
import subprocess
import time

import h5py
import pytest

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KIMI = os.path.join(SRC, "scenarios", "kimi-2024-03.json")
# Long enough to be interrupted: 25 engine windows of about a second each (ten under the
# sanitizers), so a stop comes soon after it is asked for.
LONG = ["--paths", "4000", "--threads", "2", "--window-outputs", "100"]


def start(infercap_bin, out, extra=(), **kw):
    return subprocess.Popen([infercap_bin, "run", KIMI, "-o", str(out), "-q", *LONG, *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def leftovers(out):
    d, base = os.path.split(str(out))
    return sorted(f for f in os.listdir(d) if f.startswith(base))


def wait_running(p, out, timeout=120):
    """Until the run has compiled its plan and opened its temporary output: the plan's service
    curve is measured by the request engine first (a fraction of a second, ten times that under
    the sanitizers), so a fixed sleep from the start may land before the engine runs."""
    t0 = time.monotonic()
    while not any(".tmp-" in f for f in leftovers(out)):
        assert p.poll() is None, "the run ended before it opened its output"
        assert time.monotonic() - t0 < timeout, "no temporary output after %g s" % timeout
        time.sleep(0.02)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_writes_a_partial_file(infercap_bin, tmp_path, sig):
    out = tmp_path / "p.h5"
    p = start(infercap_bin, out)
    wait_running(p, out)
    time.sleep(1.0)
    p.send_signal(sig)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 3, err
    assert "marked partial" in err
    assert leftovers(out) == ["p.h5"]  # no temporary left
    with h5py.File(out, "r") as f:
        assert int(f.attrs["partial"]) == 1
        until = float(f.attrs["completed_until_s"])
        assert 0 < until < float(f.attrs["horizon_days"]) * 86400
        t = f["time"][()]
        band = f["bands/offered_load"][2]
        # reached intervals have numbers, the rest NaN
        assert (band[t < until] == band[t < until]).all()
        assert all(x != x for x in band[t >= until])


def test_second_signal_exits_at_once(infercap_bin, tmp_path):
    out = tmp_path / "q.h5"
    p = start(infercap_bin, out)
    wait_running(p, out)
    time.sleep(1.0)
    p.send_signal(signal.SIGINT)
    # The second comes while the first still waits for the window's end (about a second): with
    # 0.2 s between them a busy machine could finish the window and the write in between.
    time.sleep(0.02)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert leftovers(out) == []  # nothing, not even the temporary


def test_sigkill_leaves_only_a_temporary_that_the_next_run_removes(infercap_bin, run_infercap,
                                                                     tmp_path):
    out = tmp_path / "k.h5"
    p = start(infercap_bin, out)
    wait_running(p, out)
    time.sleep(1.0)
    p.kill()
    p.wait()
    left = leftovers(out)
    assert len(left) == 1 and left[0].startswith("k.h5.tmp-"), left
    run_infercap(["run", KIMI, "-o", out, "-q", "--paths", "4"])
    assert leftovers(out) == ["k.h5"]


def test_full_disk_is_a_clear_error(infercap_bin, tmp_path):
    out = tmp_path / "f.h5"

    def limit():
        # writes past 200 kB fail with EFBIG (the signal they would raise is ignored)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))

    p = subprocess.run([infercap_bin, "run", KIMI, "-o", str(out), "-q", "--paths", "200"],
                       capture_output=True, text=True, preexec_fn=limit, timeout=120)
    assert p.returncode == 1, p.stderr
    assert "f.h5" in p.stderr and ("disk full" in p.stderr or "write" in p.stderr), p.stderr
    assert leftovers(out) == []


# ---- checkpoints of a single run (--checkpoint-every, --resume) ----------------------------

# 720 output intervals in windows of 30: a checkpoint after each of 24 windows.  Fewer paths
# under the sanitizers (ten times slower), where each window still takes a tenth of a second.
SANITIZED = os.environ.get("INFERCAP_SANITIZED") == "1"
SHAPE = ["--paths", "150" if SANITIZED else "600", "--set", "/horizon_days=30"]
CKPT = SHAPE + ["--threads", "1", "--window-outputs", "30", "--checkpoint-every", "0"]
PROVENANCE = {"command_line", "created_utc"}


def same_results(a, b):
    """Every dataset and attribute equal, provenance aside (NaN equal to NaN)."""
    import numpy as np
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        names = []
        fa.visit(names.append)
        other = []
        fb.visit(other.append)
        assert names == other
        for obj_a, obj_b in [(fa, fb)] + [(fa[n], fb[n]) for n in names]:
            keys = set(obj_a.attrs) - PROVENANCE
            assert keys == set(obj_b.attrs) - PROVENANCE, obj_a.name
            for k in keys - {"REFERENCE_LIST", "DIMENSION_LIST"}:  # dimension-scale links
                x, y = np.asarray(obj_a.attrs[k]), np.asarray(obj_b.attrs[k])
                if x.dtype.kind == "f":
                    assert np.array_equal(x, y, equal_nan=True), (obj_a.name, k)
                else:
                    assert np.array_equal(x, y), (obj_a.name, k)
        for n in names:
            if isinstance(fa[n], h5py.Dataset):
                x, y = fa[n][()], fb[n][()]
                if getattr(x, "dtype", None) is not None and x.dtype.kind == "f":
                    assert np.array_equal(x, y, equal_nan=True), n
                else:
                    assert np.array_equal(x, y), n


def wait_for(path, proc, timeout=120):
    t0 = time.time()
    while not os.path.exists(path):
        assert proc.poll() is None, proc.communicate()
        assert time.time() - t0 < timeout
        time.sleep(0.02)


@pytest.fixture(scope="module")
def reference(infercap_bin, tmp_path_factory):
    out = tmp_path_factory.mktemp("ref") / "ref.h5"
    subprocess.run([infercap_bin, "run", KIMI, "-o", str(out), "-q", *SHAPE, "--threads", "2"],
                   check=True)
    return out


@pytest.mark.parametrize("how", ["sigint", "sigkill"])
def test_resumed_run_equals_an_uninterrupted_one(infercap_bin, tmp_path, reference, how):
    out = tmp_path / "c.h5"
    ckpt = str(out) + ".ckpt"
    p = start(infercap_bin, out, CKPT)
    wait_for(ckpt, p)
    if how == "sigint":
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=120)
        assert p.returncode == 3, err
        assert "--resume" in err
        with h5py.File(out, "r") as f:
            assert int(f.attrs["partial"]) == 1
    else:
        p.kill()
        p.wait()
    assert os.path.exists(ckpt)
    # Not replaced by a run that does not say --resume.
    r = subprocess.run([infercap_bin, "run", KIMI, "-o", str(out), "-q", *CKPT],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "--resume" in r.stderr and os.path.exists(ckpt), r.stderr
    # Resumed on two threads in other windows (the interrupted run had one): the same numbers.
    r = subprocess.run([infercap_bin, "run", KIMI, "-o", str(out), *SHAPE, "--threads", "2",
                        "--window-outputs", "70", "--resume"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert re.search(r"resumed at output [1-9][0-9]* of 720", r.stdout), r.stdout
    assert leftovers(out) == ["c.h5"]  # checkpoint removed, no temporaries
    with h5py.File(out, "r") as f:
        assert int(f.attrs["partial"]) == 0
    same_results(reference, out)


def test_a_checkpoint_of_another_run_or_a_damaged_one_is_refused(infercap_bin, tmp_path):
    out = tmp_path / "d.h5"
    ckpt = str(out) + ".ckpt"
    p = start(infercap_bin, out, CKPT)
    wait_for(ckpt, p)
    p.kill()
    p.wait()
    base = [infercap_bin, "run", KIMI, "-o", str(out), "-q", *CKPT, "--resume"]
    r = subprocess.run(base + ["--seed", "7"], capture_output=True, text=True)
    assert r.returncode == 2 and "different run" in r.stderr, r.stderr
    with open(ckpt, "r+b") as fh:
        fh.truncate(os.path.getsize(ckpt) // 2)
    r = subprocess.run(base, capture_output=True, text=True)
    assert r.returncode == 2 and "truncated or corrupt" in r.stderr, r.stderr
    assert os.path.exists(ckpt)  # kept: the user decides


def test_resume_without_a_checkpoint_starts_from_the_beginning(infercap_bin, tmp_path, reference):
    out = tmp_path / "e.h5"
    r = subprocess.run([infercap_bin, "run", KIMI, "-o", str(out), *CKPT, "--resume"],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "starting from the beginning" in r.stderr, r.stderr
    assert leftovers(out) == ["e.h5"]
    same_results(reference, out)


def test_checkpoints_are_refused_where_they_do_not_apply(run_infercap, infercap_bin, tmp_path):
    r = subprocess.run([infercap_bin, "run", KIMI, "-o", str(tmp_path / "s.h5"), "-q",
                        "--paths", "4", "--sweep", "/fleet/accelerators=600,700", "--checkpoint-every", "1"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "single run" in r.stderr, r.stderr
