"""Interruption and faults (issue #9): SIGINT/SIGTERM stop at the next block and write what is
complete, marked partial (exit status 3); a second signal exits at once leaving no file that
looks complete (status 130); SIGKILL leaves only the temporary file, which the next run of the
same output removes; a full disk (a file-size limit) ends the run with a clear error and no
output.
"""
import os
import resource
import signal
import subprocess
import time

import h5py
import pytest

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KIMI = os.path.join(SRC, "scenarios", "kimi-2024-03.json")
# Long enough to be interrupted: several engine windows of a few seconds each.
LONG = ["--paths", "4000", "--threads", "2"]


def start(infercap_bin, out, extra=(), **kw):
    return subprocess.Popen([infercap_bin, "run", KIMI, "-o", str(out), "-q", *LONG, *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def leftovers(out):
    d, base = os.path.split(str(out))
    return sorted(f for f in os.listdir(d) if f.startswith(base))


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_writes_a_partial_file(infercap_bin, tmp_path, sig):
    out = tmp_path / "p.h5"
    p = start(infercap_bin, out)
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
    time.sleep(1.0)
    p.send_signal(signal.SIGINT)
    time.sleep(0.2)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert leftovers(out) == []  # nothing, not even the temporary


def test_sigkill_leaves_only_a_temporary_that_the_next_run_removes(infercap_bin, run_infercap,
                                                                     tmp_path):
    out = tmp_path / "k.h5"
    p = start(infercap_bin, out)
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
