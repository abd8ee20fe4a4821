"""Inputs and system files are never destroyed, and the smaller safety items (issue #13).

- An output (-o) that is, or resolves to, an input of the command (the scenario, a trace, a
  merge part; by the same name, ./name, a symbolic or a hard link), or that is not a regular
  file (a device node, a FIFO, a directory, an empty name) is refused before any work: exit
  status 2, a message naming the path and why, the input unchanged (checksum).  The names a
  run derives from its output (OUT.ckpt, OUT.points/) are checked the same way.
- A checkpoint's temporary file is OUT.h5.ckpt.tmp-PID; a killed writer's is removed by the
  next run of the same output.
- SIGINT stops `replay`, `info`, `merge` and `fit` at once (status 3), leaving no output.
- `replay` estimates its memory and honours --max-memory.
- Out of memory in `merge` is reported as such, not as a disk error.
- `--paths 0` (and `--seed`) are named as such in validation messages.
- A trace with CR-only line endings is refused with a hint about line endings.
"""
import hashlib
import os
import pathlib
import resource
import shutil
import signal
import stat
import subprocess
import time

import pytest

HERE = pathlib.Path(__file__).resolve().parent
DATA = HERE / "data"
SMALL = DATA / "small.json"
STEADY = DATA / "steady.json"
ROOT = HERE.parent.parent
OBS = ROOT / "tests" / "fit" / "kimi-visits.json"
SANITIZED = os.environ.get("INFERCAP_SANITIZED") == "1"


def digest(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


def leftovers(d, prefix):
    return sorted(f for f in os.listdir(d) if f.startswith(prefix))


@pytest.fixture
def work(tmp_path):
    """A scenario and a trace of one's own in an empty directory."""
    scen = tmp_path / "s.json"
    shutil.copy(SMALL, scen)
    trace = tmp_path / "t.csv"
    trace.write_text("arrival_s,input,output\n0,100,50\n1.5,200,20\n3,150,40\n")
    return tmp_path, scen, trace


def refused(run_infercap, args, inputs, *fragments):
    """Run args; expect status 2 with every fragment in stderr, inputs unchanged, quickly."""
    before = {p: digest(p) for p in inputs}
    t0 = time.time()
    p = run_infercap(args, check=False)
    assert p.returncode == 2, (args, p.returncode, p.stderr)
    for f in fragments:
        assert f in p.stderr, (args, f, p.stderr)
    for path, h in before.items():
        assert digest(path) == h, f"{path} changed"
    assert time.time() - t0 < 20  # refused before the run, not after it
    return p


# ---- -o never destroys an input or a system file ------------------------------------------

def test_run_refuses_its_own_scenario(run_infercap, work, monkeypatch):
    d, scen, _ = work
    monkeypatch.chdir(d)
    refused(run_infercap, ["run", scen, "-o", scen, "-q"], [scen], f"-o {scen}",
            "is an input of this command")
    refused(run_infercap, ["run", "s.json", "-o", "./s.json", "-q"], [scen], "-o ./s.json",
            "is the same file as the input s.json")
    os.symlink(scen, d / "link.h5")
    refused(run_infercap, ["run", scen, "-o", d / "link.h5", "-q"], [scen], "link.h5",
            "symbolic link")
    os.link(scen, d / "hard.h5")
    refused(run_infercap, ["run", scen, "-o", d / "hard.h5", "-q"], [scen], "hard.h5",
            "hard link")
    assert leftovers(d, "link.h5") == ["link.h5"] and os.path.islink(d / "link.h5")
    assert leftovers(d, "s.json") == ["s.json"]  # no temporary, no checkpoint, no points


@pytest.mark.parametrize("kind", ["fifo", "devnull", "directory", "empty", "slash"])
def test_run_refuses_what_is_not_a_regular_file(run_infercap, work, kind):
    d, scen, _ = work
    if kind == "fifo":
        out = d / "pipe"
        os.mkfifo(out)
        why = "is a FIFO (named pipe), not a regular file"
    elif kind == "devnull":
        out = "/dev/null"
        why = "is a character device, not a regular file"
    elif kind == "directory":
        out = d / "dir"
        out.mkdir()
        why = "is a directory, not a regular file"
    elif kind == "empty":
        out = ""
        why = "the output file name is empty"
    else:
        out = f"{d}/sub/"
        why = "names a directory"
    p = refused(run_infercap, ["run", scen, "-o", out, "-q", "--paths", "4"], [scen], why)
    if out:
        assert str(out) in p.stderr
    if kind == "fifo":
        assert stat.S_ISFIFO(os.lstat(out).st_mode)
    if kind == "devnull":
        assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    if kind == "directory":
        assert os.listdir(out) == []
    assert not [f for f in os.listdir(d) if ".tmp-" in f]


def test_sweep_shard_and_request_engine_refuse_their_scenario(run_infercap, work):
    d, scen, _ = work
    refused(run_infercap, ["run", scen, "-o", scen, "-q", "--sweep",
                           "/fleet/accelerators=120,240"], [scen], "is an input of this command")
    refused(run_infercap, ["run", scen, "-o", scen, "-q", "--sweep",
                           "/fleet/accelerators=120,240", "--shard", "0/2"], [scen],
            "is an input of this command")
    refused(run_infercap, ["run", scen, "-o", scen, "-q", "--set", "/engine=request"], [scen],
            "is an input of this command")
    assert not (d / "s.json.points").exists()


def test_derived_names_do_not_clobber_inputs(run_infercap, work):
    d, scen, _ = work
    # The checkpoint of -o x.h5 is x.h5.ckpt: here that is the scenario.
    ck_scen = d / "x.h5.ckpt"
    shutil.copy(scen, ck_scen)
    refused(run_infercap, ["run", ck_scen, "-o", d / "x.h5", "-q", "--checkpoint-every", "0"],
            [ck_scen], "the checkpoint", "x.h5.ckpt", "is an input of this command")
    # A sweep's work directory OUT.h5.points is deleted when the run completes: a scenario
    # inside it is refused.
    pts = d / "y.h5.points"
    pts.mkdir()
    inside = pts / "s.json"
    shutil.copy(scen, inside)
    refused(run_infercap, ["run", inside, "-o", d / "y.h5", "-q", "--resume", "--sweep",
                           "/fleet/accelerators=120,240"], [inside],
            "is inside this work directory")
    assert inside.is_file()


def test_replay_and_merge_refuse_their_inputs(run_infercap, work):
    d, scen, trace = work
    refused(run_infercap, ["replay", STEADY, "--trace", trace, "-o", trace, "-q"], [trace],
            f"-o {trace}", "is an input of this command")
    steady = d / "steady.json"
    shutil.copy(STEADY, steady)
    refused(run_infercap, ["replay", steady, "--trace", trace, "-o", steady, "-q"], [steady],
            "is an input of this command")
    p0, p1 = d / "p0.h5", d / "p1.h5"
    for i, p in enumerate((p0, p1)):
        run_infercap(["run", scen, "-o", p, "-q", "--paths", "4", "--sweep",
                      "/fleet/accelerators=120,240", "--shard", f"{i}/2"])
    refused(run_infercap, ["merge", p0, p1, "-o", p1, "-q"], [p0, p1], f"-o {p1}",
            "is an input of this command")
    os.symlink(p0, d / "m.h5")
    refused(run_infercap, ["merge", p0, p1, "-o", d / "m.h5", "-q"], [p0, p1],
            "is the same file as the input", "symbolic link")
    refused(run_infercap, ["merge", p0, p1, "-o", d, "-q"], [p0, p1], "is a directory")
    # and an ordinary output still works
    run_infercap(["merge", p0, p1, "-o", d / "merged.h5", "-q"])
    assert (d / "merged.h5").is_file()


# ---- checkpoint temporaries ---------------------------------------------------------------

def dead_pid():
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def test_a_killed_checkpoint_writers_temporary_is_removed(run_infercap, tmp_path):
    out = tmp_path / "c.h5"
    dead = tmp_path / f"c.h5.ckpt.tmp-{dead_pid()}"
    live = tmp_path / f"c.h5.ckpt.tmp-{os.getpid()}"  # a live process's: kept
    dead.write_bytes(b"half a checkpoint")
    live.write_bytes(b"being written")
    run_infercap(["run", SMALL, "-o", out, "-q", "--paths", "4", "--checkpoint-every", "0"])
    assert not dead.exists()
    assert live.exists()
    assert leftovers(tmp_path, "c.h5") == ["c.h5", live.name]


def test_checkpoint_temporaries_carry_the_writers_pid(infercap_bin, tmp_path):
    """Killed while it saves checkpoints, a run leaves only PID-named temporaries (and the last
    checkpoint), never a bare OUT.h5.ckpt.tmp that no later run could tell from a live one."""
    out = tmp_path / "k.h5"
    kimi = ROOT / "scenarios" / "kimi-2024-03.json"
    p = subprocess.Popen([infercap_bin, "run", kimi, "-o", out, "-q", "--paths", "2000",
                          "--threads", "2", "--window-outputs", "10", "--checkpoint-every", "0"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    t0 = time.time()
    while not (tmp_path / "k.h5.ckpt").exists() and time.time() - t0 < 60 and p.poll() is None:
        time.sleep(0.02)
    time.sleep(0.3)
    p.kill()
    p.wait()
    left = leftovers(tmp_path, "k.h5")
    assert "k.h5.ckpt.tmp" not in left, left
    for f in left:
        assert f == "k.h5.ckpt" or f.startswith(("k.h5.tmp-", "k.h5.ckpt.tmp-")), left


# ---- the first SIGINT stops replay, info, merge and fit ----------------------------------

def interrupt(infercap_bin, args, out=None):
    """Start args (blocked reading a FIFO input that no one writes), send SIGINT, expect exit 3
    and the interruption message, and no output file or temporary left."""
    p = subprocess.Popen([infercap_bin, *[str(a) for a in args]], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    time.sleep(0.7)
    assert p.poll() is None, p.communicate()
    p.send_signal(signal.SIGINT)
    try:
        _, err = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        pytest.fail(f"{args[0]} ignored SIGINT")
    assert p.returncode == 3, (args, p.returncode, err)
    assert "interrupted" in err, err
    if out is not None:
        d, base = os.path.split(str(out))
        assert leftovers(d, base) == [], leftovers(d, base)


def test_sigint_stops_replay(infercap_bin, tmp_path):
    fifo = tmp_path / "t.csv"
    os.mkfifo(fifo)
    interrupt(infercap_bin, ["replay", STEADY, "--trace", fifo, "-o", tmp_path / "r.h5"],
              tmp_path / "r.h5")


def test_sigint_stops_info(infercap_bin, tmp_path):
    fifo = tmp_path / "r.h5"
    os.mkfifo(fifo)
    interrupt(infercap_bin, ["info", fifo])


def test_sigint_stops_merge(infercap_bin, run_infercap, tmp_path):
    part = tmp_path / "p0.h5"
    run_infercap(["run", SMALL, "-o", part, "-q", "--paths", "4", "--sweep",
                  "/fleet/accelerators=120,240", "--shard", "0/2"])
    fifo = tmp_path / "p1.h5"
    os.mkfifo(fifo)
    interrupt(infercap_bin, ["merge", part, fifo, "-o", tmp_path / "m.h5"], tmp_path / "m.h5")


def test_sigint_stops_fit(infercap_bin, tmp_path):
    fifo = tmp_path / "obs.json"
    os.mkfifo(fifo)
    interrupt(infercap_bin, ["fit", fifo, "--curve", "logistic"])


# ---- replay's memory ----------------------------------------------------------------------

def test_replay_estimates_memory_and_honours_max_memory(run_infercap, tmp_path):
    # Two requests a year apart: the replicas' series span a year of minutes.
    trace = tmp_path / "year.csv"
    trace.write_text("arrival_s,input,output\n0,100,50\n31536000,100,50\n")
    out = tmp_path / "y.h5"
    p = run_infercap(["replay", STEADY, "--trace", trace, "-o", out, "-q", "--max-memory",
                      "100M"], check=False)
    assert p.returncode == 2, p.stderr
    for f in ("the request engine needs about", "more than the limit of 0.10 GiB (--max-memory)",
              "525600 output intervals of 60 s", "raise /request_engine/interval_s",
              "lower /fleet/accelerators", "--time-scale", "raise --max-memory"):
        assert f in p.stderr, (f, p.stderr)
    assert not out.exists()
    # Coarser series fit.
    run_infercap(["replay", STEADY, "--trace", trace, "-o", out, "-q", "--max-memory", "100M",
                  "--set", "/request_engine/interval_s=3600"])
    assert out.is_file()
    p = run_infercap(["replay", STEADY, "--trace", trace, "-o", out, "--max-memory", "2X"],
                     check=False)
    assert p.returncode == 2 and "--max-memory" in p.stderr
    # The request engine under `run` checks the same way.
    p = run_infercap(["run", STEADY, "-o", tmp_path / "w.h5", "-q", "--set", "/engine=request",
                      "--set", "/request_engine/duration_s=3600", "--set",
                      "/request_engine/interval_s=0.001", "--max-memory", "64M"], check=False)
    assert p.returncode == 2 and "--max-memory" in p.stderr, p.stderr
    assert "/request_engine/duration_s" in p.stderr, p.stderr


def test_help_of_replay_names_max_memory(run_infercap):
    p = run_infercap(["replay", "--help"])
    assert "--max-memory SIZE" in p.stdout


# ---- merge out of memory ------------------------------------------------------------------

@pytest.mark.skipif(SANITIZED, reason="address-space limits mean nothing under the sanitizers")
def test_merge_out_of_memory_is_not_a_disk_error(infercap_bin, run_infercap, tmp_path):
    parts = []
    for i in range(2):
        p = tmp_path / f"p{i}.h5"
        run_infercap(["run", SMALL, "-o", p, "-q", "--sweep", "/fleet/accelerators=64,128",
                      "--shard", f"{i}/2"])
        parts.append(p)
    seen_oom = False
    for kb in range(30_000, 80_001, 2_000):
        def limit(kb=kb):
            resource.setrlimit(resource.RLIMIT_AS, (kb * 1024, kb * 1024))

        out = tmp_path / "m.h5"
        p = subprocess.run([infercap_bin, "merge", *parts, "-o", out, "-q"],
                           capture_output=True, text=True, preexec_fn=limit, timeout=60)
        assert "disk full" not in p.stderr, (kb, p.stderr)
        if "out of memory" in p.stderr:
            assert p.returncode == 1, p.stderr
            seen_oom = True
        if p.returncode != 0:
            assert leftovers(tmp_path, "m.h5") == [], (kb, p.stderr)
        else:
            break
    assert seen_oom, "no address-space limit made merge run out of memory"


# ---- provenance of --paths and --seed -----------------------------------------------------

def test_paths_and_seed_are_named_by_their_option(run_infercap, tmp_path):
    out = tmp_path / "x.h5"
    p = run_infercap(["run", SMALL, "-o", out, "--paths", "0"], check=False)
    assert p.returncode == 2 and "/paths: got 0" in p.stderr and "(from --paths)" in p.stderr
    assert "(from --set)" not in p.stderr, p.stderr
    p = run_infercap(["run", SMALL, "-o", out, "--seed", "-1", "--set", "/paths=0"],
                     check=False)
    assert p.returncode == 2
    assert "/seed: got -1" in p.stderr and "(from --seed)" in p.stderr, p.stderr
    assert "/paths: got 0" in p.stderr and "(from --set)" in p.stderr, p.stderr
    p = run_infercap(["run", SMALL, "-o", out, "--paths", "0", "--sweep",
                      "/fleet/accelerators=120,240"], check=False)
    assert p.returncode == 2 and "(from --paths)" in p.stderr, p.stderr
    p = run_infercap(["solve", SMALL, "--for", "/fleet/accelerators", "--max-outage-prob",
                      "0.05", "--paths", "0"], check=False)
    assert p.returncode == 2 and "(from --paths)" in p.stderr, p.stderr
    assert not out.exists()


# ---- line endings of traces ---------------------------------------------------------------

def test_cr_only_trace_gets_a_hint(run_infercap, tmp_path):
    cr = tmp_path / "mac.csv"
    cr.write_bytes(b"arrival_s,input,output\r0,100,50\r1,100,50\r")
    p = run_infercap(["replay", STEADY, "--trace", cr, "-o", tmp_path / "r.h5"], check=False)
    assert p.returncode == 2, p.stderr
    assert f"{cr}: lines end in a carriage return alone (CR, old Mac line endings" in p.stderr
    assert "tr '\\r' '\\n'" in p.stderr, p.stderr
    mixed = tmp_path / "mixed.csv"
    mixed.write_bytes(b"arrival_s,input,output\n0,100,50\r1,100,50\n")
    p = run_infercap(["replay", STEADY, "--trace", mixed, "-o", tmp_path / "r.h5"],
                     check=False)
    assert p.returncode == 2 and f"{mixed}:2: a carriage return (CR) not followed by a line " \
        "feed" in p.stderr, p.stderr
    # CRLF stays fine
    crlf = tmp_path / "dos.csv"
    crlf.write_bytes(b"arrival_s,input,output\r\n0,100,50\r\n1,100,50\r\n")
    run_infercap(["replay", STEADY, "--trace", crlf, "-o", tmp_path / "r.h5", "-q"])
    mooncake = tmp_path / "mac.jsonl"
    mooncake.write_bytes(b'{"timestamp": 0, "input_length": 5, "output_length": 2}\r'
                         b'{"timestamp": 5, "input_length": 5, "output_length": 2}\r')
    p = run_infercap(["replay", STEADY, "--trace", mooncake, "-o", tmp_path / "r.h5"],
                     check=False)
    assert p.returncode == 2 and "old Mac line endings" in p.stderr, p.stderr
