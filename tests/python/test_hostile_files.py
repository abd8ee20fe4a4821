"""Result files from elsewhere, and results that say what they are (issue #13).

Every reader of a result file (info, merge, the point files of --resume) checks an object
before it trusts it; a crafted file is refused with "FILE: /object: expected ..., found ..."
and exit status 2, never a crash, a huge allocation or a headline of NaN.  Interrupted runs and
partial files say PARTIAL and how far they got; point files are bound to their point; the
points folder is locked.
"""
import fcntl
import json
import os
import pathlib
import shutil
import signal
import subprocess
import time

import h5py
import numpy as np
import pytest

from conftest import RUN_TIMEOUT_S
from h5compare import assert_same_results

DATA = pathlib.Path(__file__).resolve().parent / "data"
SMALL = DATA / "small.json"
SWEEP = DATA / "sweep.json"
STEADY = DATA / "steady.json"
TINY = ["--set", "/paths=6", "--set", "/horizon_days=0.25", "--set", "/step_s=300",
        "--set", "/output/interval_s=1800"]


@pytest.fixture(scope="module")
def single(run_infercap, tmp_path_factory):
    out = tmp_path_factory.mktemp("hostile") / "single.h5"
    run_infercap(["run", SMALL, "-o", out, "-q", *TINY])
    return out


@pytest.fixture(scope="module")
def sweep(run_infercap, tmp_path_factory):
    out = tmp_path_factory.mktemp("hostile") / "sweep.h5"
    run_infercap(["run", SWEEP, "-o", out, "-q", *TINY])
    return out


@pytest.fixture(scope="module")
def requests(run_infercap, tmp_path_factory):
    out = tmp_path_factory.mktemp("hostile") / "req.h5"
    run_infercap(["run", STEADY, "-o", out, "-q", "--set", "/engine=request",
                  "--set", "/request_engine/duration_s=20"])
    return out


def copy(src, tmp_path, name="x.h5"):
    dst = tmp_path / name
    shutil.copy(src, dst)
    return dst


def refused(run_infercap, args, *needles):
    p = run_infercap(args, check=False)
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    for n in needles:
        assert n in p.stderr, (n, p.stderr)
    return p


def set_attr(path, obj, name, value, dtype=None):
    with h5py.File(path, "r+") as f:
        o = f[obj]
        if name in o.attrs:
            del o.attrs[name]
        if dtype is None:
            o.attrs[name] = value
        else:
            o.attrs.create(name, value, dtype=dtype)


STR = h5py.string_dtype()


@pytest.mark.parametrize("attr", ["created_utc", "scenario_name", "git_commit", "command_line",
                                  "start"])
def test_a_string_attribute_with_two_strings_is_refused(run_infercap, single, tmp_path, attr):
    x = copy(single, tmp_path)
    set_attr(x, "/", attr, np.array(["a" * 300, "b" * 300], dtype=object), dtype=STR)
    for extra in ([], ["--json"]):
        refused(run_infercap, ["info", x, *extra], f"{x}: /@{attr}: expected one string, "
                "found more than one string")


def test_sweep_axes_with_two_strings_is_refused(run_infercap, sweep, tmp_path):
    x = copy(sweep, tmp_path)
    set_attr(x, "/", "sweep_axes", np.array(["accelerators", "accelerator"], dtype=object),
             dtype=STR)
    refused(run_infercap, ["info", x], "/@sweep_axes: expected one string")


def test_request_headline_with_two_strings_is_refused(run_infercap, requests, tmp_path):
    x = copy(requests, tmp_path)
    set_attr(x, "/requests", "headline_text", np.array(["a" * 70000, "b"], dtype=object),
             dtype=STR)
    refused(run_infercap, ["info", x], "/requests/@headline_text: expected one string")
    # a single string longer than the reader takes is refused, not cut
    set_attr(x, "/requests", "headline_text", "c" * 70000, dtype=STR)
    refused(run_infercap, ["info", x], "/requests/@headline_text", "found more than")


def test_a_fixed_length_string_is_read(run_infercap, single, tmp_path):
    x = copy(single, tmp_path)
    set_attr(x, "/", "scenario_name", np.bytes_("fixed-name"), dtype="S32")
    p = run_infercap(["info", x])
    assert "fixed-name:" in p.stdout


def test_a_file_from_before_the_goodput_figure_is_read(run_infercap, single, sweep, tmp_path):
    """Files written before good_fraction_mean existed (a run's /summary attributes, a sweep's
    /headline datasets) are read: the figure is absent, not an error, and not printed."""
    x = copy(single, tmp_path)
    p = run_infercap(["info", x])
    assert "goodput" in p.stdout
    with h5py.File(x, "r+") as f:
        del f["summary"].attrs["good_fraction_mean"]
        del f["summary"].attrs["good_fraction_mean_ci95"]
    p = run_infercap(["info", x])
    assert "P(outage)" in p.stdout and "goodput" not in p.stdout
    y = copy(sweep, tmp_path, "sweep.h5")
    with h5py.File(y, "r+") as f:
        del f["headline/good_fraction_mean"]
        del f["headline/good_fraction_mean_ci95"]
    assert "point" in run_infercap(["info", y]).stdout
    # Only the figures added later are optional: an older one missing is still refused.
    with h5py.File(x, "r+") as f:
        del f["summary"].attrs["lost_fraction_mean"]
    refused(run_infercap, ["info", x], "/summary/@lost_fraction_mean: expected one number")


def test_missing_utc_offset_is_refused(run_infercap, single, tmp_path):
    x = copy(single, tmp_path)
    with h5py.File(x, "r+") as f:
        del f.attrs["utc_offset_s"]
    refused(run_infercap, ["info", x], "/@utc_offset_s: expected one integer", "found nothing")


@pytest.mark.parametrize("obj,name,value,dtype,message", [
    ("/summary", "paths", "many", STR, "/summary/@paths: expected one integer"),
    ("/summary", "paths", np.float64(np.nan), None, "found a float"),
    ("/summary", "outage_paths", np.int64(-9223372036854775808), None, "found -9223372036854775808"),
    ("/summary", "outage_probability", np.array([0.1, 0.2, 0.3]), None,
     "/summary/@outage_probability: expected one number, found 3 elements"),
    ("/summary", "outage_probability_ci95", np.float64(0.1), None, "expected 2 numbers"),
    ("/", "horizon_days", np.float64(np.nan), None, "/@horizon_days: expected a positive"),
    ("/summary", "outage_probability", np.float64(np.nan), None,
     "expected an outage probability in [0, 1], found nan"),
    ("/summary", "outage_paths", np.int64(10**6), None, "at most that many outage paths"),
    ("/", "seed", "x", STR, "/@seed: expected one integer"),
])
def test_wrong_datatypes_and_counts_are_refused(run_infercap, single, tmp_path, obj, name,
                                                value, dtype, message):
    x = copy(single, tmp_path)
    set_attr(x, obj, name, value, dtype=dtype)
    for extra in ([], ["--json"]):
        refused(run_infercap, ["info", x, *extra], message)


def test_a_dataset_of_the_wrong_rank_is_refused(run_infercap, sweep, tmp_path):
    x = copy(sweep, tmp_path)
    with h5py.File(x, "r+") as f:
        del f["headline/outage_probability"]
        f["headline/outage_probability"] = np.zeros(3)
    refused(run_infercap, ["info", x], "/headline/outage_probability: expected numbers of shape",
            "3 elements")


def test_a_huge_sweep_axis_is_refused_before_allocating(run_infercap, sweep, tmp_path):
    x = copy(sweep, tmp_path)
    with h5py.File(x, "r+") as f:
        del f["accelerators"]
        d = f.create_dataset("accelerators", shape=(10**9,), dtype="f8", chunks=(65536,))
        d.attrs["pointer"] = "/fleet/accelerators"
    assert os.path.getsize(x) < 5 << 20
    t0 = time.time()
    refused(run_infercap, ["info", x], "/accelerators: expected", "at most")
    assert time.time() - t0 < 20


def test_axes_that_disagree_with_the_datasets_are_refused(run_infercap, sweep, tmp_path):
    x = copy(sweep, tmp_path)
    with h5py.File(x, "r+") as f:
        del f["accelerators"]
        d = f.create_dataset("accelerators", data=np.arange(5.0))
        d.attrs["pointer"] = "/fleet/accelerators"
        f.attrs["sweep_points"] = np.int64(10)
    refused(run_infercap, ["info", x], "/point_done: expected integers of shape [5, 2]")


def test_scenario_as_an_array_is_refused_by_merge(run_infercap, single, tmp_path):
    x = copy(single, tmp_path)
    with h5py.File(x, "r+") as f:
        text = f["scenario"][()]
        del f["scenario"]
        f.create_dataset("scenario", data=[text, text], dtype=STR)
    refused(run_infercap, ["merge", x, "-o", tmp_path / "m.h5"],
            f"{x}: /scenario: expected strings (a scalar), found 2 elements")
    assert not (tmp_path / "m.h5").exists()


def test_garbage_and_truncated_files_are_refused(run_infercap, single, tmp_path):
    x = tmp_path / "g.h5"
    x.write_bytes(b"\x89HDF\r\n\x1a\n" + os.urandom(4000))
    for cmd in (["info", x], ["merge", x, "-o", tmp_path / "m.h5"]):
        p = run_infercap(cmd, check=False)
        assert p.returncode == 2 and "HDF5" in p.stderr, p.stderr
    t = copy(single, tmp_path, "t.h5")
    with open(t, "r+b") as fh:
        fh.truncate(os.path.getsize(t) // 2)
    p = run_infercap(["info", t], check=False)
    assert p.returncode in (1, 2) and p.returncode > 0 and "nan" not in p.stdout.lower()


def mark_partial(path, until_s):
    with h5py.File(path, "r+") as f:
        f.attrs["partial"] = np.int64(1)
        f.attrs["completed_until_s"] = np.float64(until_s)


def test_info_of_a_partial_run_says_so(run_infercap, single, tmp_path):
    x = copy(single, tmp_path)
    mark_partial(x, 10800.0)
    p = run_infercap(["info", x])
    assert "PARTIAL" in p.stdout and "2024-03-01 03:00" in p.stdout, p.stdout
    j = json.loads(run_infercap(["info", x, "--json"]).stdout)
    assert j["partial"] is True and j["completed_until_s"] == 10800
    assert j["completed_until"].startswith("2024-03-01T03:00")
    j = json.loads(run_infercap(["info", single, "--json"]).stdout)
    assert j["partial"] is False


def test_merge_keeps_a_partial_run_partial(run_infercap, single, tmp_path):
    x = copy(single, tmp_path)
    mark_partial(x, 10800.0)
    out = tmp_path / "m.h5"
    run_infercap(["merge", x, "-o", out, "-q"])
    with h5py.File(out, "r") as f:
        assert int(f.attrs["partial"]) == 1
        assert float(f.attrs["completed_until_s"]) == 10800.0
    assert "PARTIAL" in run_infercap(["info", out]).stdout


def test_shard_without_a_sweep_is_refused(run_infercap, tmp_path):
    out = tmp_path / "s.h5"
    refused(run_infercap, ["run", SMALL, "--shard", "1/2", "-o", out, *TINY],
            "--shard 1/2", "no sweep")
    assert not out.exists()


def test_sweep_info_json_has_no_headline_of_its_own(run_infercap, sweep):
    j = json.loads(run_infercap(["info", sweep, "--json"]).stdout)
    for key in ("outage_probability", "paths", "cost_usd_mean", "accelerators_mean"):
        assert key not in j, key
    assert j["sweep_points"] == 8 and j["points_done"] == 8 and j["partial"] is False
    assert len(j["points"]) == 8 and all(p["done"] for p in j["points"])
    assert all("outage_probability" in p for p in j["points"])


def test_a_shard_says_it_is_partial(run_infercap, tmp_path):
    out = tmp_path / "shard.h5"
    run_infercap(["run", SWEEP, "-o", out, "-q", "--shard", "0/2", *TINY])
    j = json.loads(run_infercap(["info", out, "--json"]).stdout)
    assert j["partial"] is True and j["points_done"] == 4
    assert "PARTIAL" in run_infercap(["info", out]).stdout


def test_sweep_headline_datasets_have_units(sweep):
    with h5py.File(sweep, "r") as f:
        g = f["headline"]
        assert g["cost_usd_mean"].attrs["units"] == "USD"
        assert g["degraded_minutes_mean"].attrs["units"] == "min"
        assert g["paths"].attrs["units"] == "paths"
        for name in g:
            assert "headline figure of each point" not in g[name].attrs["long_name"], name


def killed_sweep(infercap_bin, tmp_path):
    """A sweep killed once two points are done: its output path, args and points folder."""
    out = tmp_path / "r.h5"
    work = pathlib.Path(str(out) + ".points")
    args = ["run", str(SWEEP), "-o", str(out), "-q", "--threads", "1", "--set", "/paths=400"]
    proc = subprocess.Popen([infercap_bin, *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 2 * RUN_TIMEOUT_S
    while time.time() < deadline and proc.poll() is None:
        if len(list(work.glob("point-*.h5"))) >= 3:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the sweep finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return out, args, work


def test_resume_reruns_swapped_damaged_and_foreign_points_by_name(infercap_bin, run_infercap,
                                                                  tmp_path):
    full = tmp_path / "full.h5"
    run_infercap(["run", SWEEP, "-o", full, "-q", "--threads", "1", "--set", "/paths=400"],
                 timeout=300)
    out, args, work = killed_sweep(infercap_bin, tmp_path)
    p0, p1, p2 = (work / f"point-{k:07d}.h5" for k in range(3))
    # swap points 0 and 1 (renamed files), damage point 2's point_of (two strings)
    tmp = work / "swap"
    os.rename(p0, tmp)
    os.rename(p1, p0)
    os.rename(tmp, p1)
    set_attr(p2, "/", "point_of", np.array(["a", "b"], dtype=object), dtype=STR)
    p = subprocess.run([infercap_bin, *[a for a in args if a != "-q"], "--resume"], capture_output=True, text=True,
                       timeout=300)
    # not quiet: the reruns are named
    assert p.returncode == 0, p.stderr
    assert "point 0 (" in p.stderr and "holds point 1" in p.stderr, p.stderr
    assert "point 1 (" in p.stderr and "holds point 0" in p.stderr, p.stderr
    assert "point 2 (" in p.stderr and "/@point_of: expected one string" in p.stderr, p.stderr
    assert not work.exists()
    assert_same_results(out, full)


def test_resume_reruns_a_truncated_point(infercap_bin, tmp_path):
    out, args, work = killed_sweep(infercap_bin, tmp_path)
    p0 = work / "point-0000000.h5"
    with open(p0, "r+b") as fh:
        fh.truncate(os.path.getsize(p0) // 3)
    p = subprocess.run([infercap_bin, *[a for a in args if a != "-q"], "--resume"], capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stderr
    assert "point 0 (" in p.stderr and "damaged" in p.stderr, p.stderr
    with h5py.File(out, "r") as f:
        assert int(f.attrs["partial"]) == 0
        assert np.all(np.isfinite(f["headline/outage_probability"][()]))


def test_a_second_resume_is_refused_while_the_first_holds_the_folder(infercap_bin, tmp_path):
    out, args, work = killed_sweep(infercap_bin, tmp_path)
    before = sorted(os.listdir(tmp_path))
    with open(work / "lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        p = subprocess.run([infercap_bin, *args, "--resume"], capture_output=True, text=True,
                           timeout=2 * RUN_TIMEOUT_S)
        assert p.returncode == 2, p.stderr
        assert "in use by another infercap run" in p.stderr and str(work) in p.stderr, p.stderr
        assert sorted(os.listdir(tmp_path)) == before  # nothing stray
    p = subprocess.run([infercap_bin, *args, "--resume"], capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stderr
    assert out.exists() and not work.exists()


def break_reference(data, text):
    """Point the stored reference of the variable-length string `text` at heap object 30000."""
    import struct
    want = struct.pack("<I", len(text))
    patched = 0
    at = data.find(want)
    while at >= 0 and at + 16 <= len(data):
        addr = struct.unpack_from("<Q", data, at + 4)[0]
        idx = struct.unpack_from("<I", data, at + 12)[0]
        if 0 < addr < len(data) - 4 and data[addr:addr + 4] == b"GCOL" and 0 < idx < 1000:
            obj = data.find(text, addr)
            if 0 < obj < addr + len(text) + 65536:
                struct.pack_into("<I", data, at + 12, 30000)
                patched += 1
        at = data.find(want, at + 1)
    return patched


def test_a_damaged_string_reference_is_refused(run_infercap, single, tmp_path):
    """A variable-length string whose global-heap index names no object: libhdf5 1.10 would
    follow it through a wild pointer; the reader checks the reference first."""
    x = copy(single, tmp_path)
    with h5py.File(x, "r") as f:
        name = f.attrs["scenario_name"].encode()
        text = f["scenario"][()]
    data = bytearray(x.read_bytes())
    assert break_reference(data, name) >= 1 and break_reference(data, text) >= 1
    x.write_bytes(bytes(data))
    for cmd in (["info", x], ["info", x, "--json"], ["merge", x, "-o", tmp_path / "m.h5"]):
        p = run_infercap(cmd, check=False)
        assert p.returncode == 2, (cmd, p.returncode, p.stderr)
        assert "a reference to nothing there" in p.stderr, p.stderr


def test_a_garbage_checkpoint_is_refused(run_infercap, tmp_path):
    out = tmp_path / "c.h5"
    ckpt = pathlib.Path(str(out) + ".ckpt")
    ckpt.write_bytes(os.urandom(5000))
    p = run_infercap(["run", SMALL, "-o", out, "-q", *TINY, "--checkpoint-every", "0",
                      "--resume"], check=False)
    assert p.returncode == 2 and "not an infercap checkpoint" in p.stderr, p.stderr
    assert ckpt.exists() and not out.exists()


@pytest.mark.parametrize("json_out", [False, True])
def test_the_report_of_a_stopped_run_says_partial(infercap_bin, tmp_path, json_out):
    kimi = DATA.parent.parent.parent / "scenarios" / "kimi-2024-03.json"
    out = tmp_path / "p.h5"
    argv = [infercap_bin, "run", str(kimi), "-o", str(out), "--paths", "4000", "--threads", "2",
            "--window-outputs", "100", *(["--json"] if json_out else [])]
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    p.send_signal(signal.SIGINT)
    so, se = p.communicate(timeout=2 * RUN_TIMEOUT_S)
    assert p.returncode == 3, se
    if json_out:
        j = json.loads(so)
        assert j["partial"] is True and j["completed_until_s"] > 0 and j["completed_until"]
    else:
        assert "PARTIAL" in so and "covers only the time to" in so, so


def test_a_damaged_attribute_message_is_refused(run_infercap, single, tmp_path):
    """An attribute message whose name length runs past it: libhdf5 1.10 would copy past the
    object header; the reader checks the message first."""
    import struct
    x = copy(single, tmp_path)
    data = bytearray(x.read_bytes())
    at = data.find(b"scenario_name\x00")
    assert at > 8 and data[at - 8] == 1 and struct.unpack_from("<H", data, at - 6)[0] == 14
    struct.pack_into("<H", data, at - 6, 0xFFF0)
    x.write_bytes(bytes(data))
    p = run_infercap(["info", x], check=False)
    assert p.returncode == 2, p.stderr
    assert "attribute messages whose parts fit in them, found a damaged one" in p.stderr, p.stderr


def test_a_string_attribute_with_a_wrong_stored_size_is_refused(run_infercap, single, tmp_path):
    """A variable-length string attribute whose datatype says 2 bytes: libhdf5 1.10 sizes the
    buffer by that and copies 16; the reader checks the stored size first."""
    import struct
    x = copy(single, tmp_path)
    data = bytearray(x.read_bytes())
    at = data.find(b"git_commit\x00")
    m = at - 8
    assert data[m] == 1 and struct.unpack_from("<H", data, m + 2)[0] == 11
    dt = m + 8 + 16  # the name, padded to 8
    assert data[dt] & 15 == 9 and struct.unpack_from("<I", data, dt + 4)[0] == 16
    struct.pack_into("<I", data, dt + 4, 2)
    x.write_bytes(bytes(data))
    p = run_infercap(["info", x], check=False)
    assert p.returncode == 2 and "found a damaged one" in p.stderr, p.stderr
