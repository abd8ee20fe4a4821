"""The on-disk cache of measured service curves (sim/engine/svccurve.h).

A second run of the same scenario reads the curve the first measured and writes the same
numbers, bit for bit; a damaged cache file is ignored (the curve measured again, the file
replaced); a cache that cannot be written never fails a run; INFERCAP_CACHE_DIR=off and
--no-cache turn it off; without INFERCAP_CACHE_DIR the directory is $XDG_CACHE_HOME/infercap,
else $HOME/.cache/infercap.  Every run here has its own temporary directories (the suite's
other runs share a cache of the test session's, conftest.py: no test reads or writes the user's
cache).
"""

import os
import pathlib
import subprocess

from conftest import SMALL_SCENARIO
from h5compare import assert_same_results

STORED = "measured and stored in the curve cache"
READ = "read from the curve cache"
BAD = "a damaged or foreign curve-cache file was ignored and replaced"
UNWRITTEN = "the curve cache could not be written"


def run(exe, out, env_extra, *extra):
    """`infercap run` of the small scenario with the environment changed by env_extra (a value
    None removes the variable); returns its headline."""
    env = dict(os.environ)
    for k, v in env_extra.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = str(v)
    argv = [exe, "run", str(SMALL_SCENARIO), "-o", str(out), *extra]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, f"{argv}: {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    assert out.is_file()
    line = [s for s in proc.stdout.splitlines() if "service curve" in s]
    assert len(line) == 1, proc.stdout
    return line[0]


def curve_files(d):
    return sorted(pathlib.Path(d).glob("curve-*.txt"))


def test_second_run_reads_the_cache(infercap_bin, tmp_path):
    cache = tmp_path / "cache"
    env = {"INFERCAP_CACHE_DIR": cache}
    first = run(infercap_bin, tmp_path / "a.h5", env)
    assert STORED in first
    files = curve_files(cache)
    assert len(files) == 1
    text = files[0].read_text()
    assert text.startswith("infercap service curve 4\nkey ")
    assert text.endswith("\nend\n")
    assert not list(cache.glob(".curve-*"))  # no temporary file left
    second = run(infercap_bin, tmp_path / "b.h5", env)
    assert READ in second and STORED not in second
    assert curve_files(cache) == files and files[0].read_text() == text
    assert_same_results(tmp_path / "a.h5", tmp_path / "b.h5")
    # measured afresh without the cache: the same numbers again
    third = run(infercap_bin, tmp_path / "c.h5", env, "--no-cache")
    assert "curve cache" not in third
    assert_same_results(tmp_path / "a.h5", tmp_path / "c.h5")


def test_damaged_file_is_ignored(infercap_bin, tmp_path):
    cache = tmp_path / "cache"
    env = {"INFERCAP_CACHE_DIR": cache}
    run(infercap_bin, tmp_path / "a.h5", env)
    (path,) = curve_files(cache)
    good = path.read_text()
    lines = good.splitlines(keepends=True)
    rps = next(i for i, s in enumerate(lines) if s.startswith("rps "))
    damaged = {
        "foreign key": "".join(lines[:1] + ["key " + "0" * 32 + "\n"] + lines[2:]),
        # a well-formed number, not the one written: the file's check line catches it
        "changed number": "".join(lines[:rps] + ["rps 3ff0000000000000\n"] + lines[rps + 1 :]),
        "truncated": good[: len(good) // 2],
        "garbage number": "".join(lines[:rps] + ["rps zz\n"] + lines[rps + 1 :]),
        "old format": good.replace("infercap service curve 4", "infercap service curve 3"),
        "empty": "",
    }
    for what, text in damaged.items():
        path.write_text(text)
        out = tmp_path / f"{what.replace(' ', '_')}.h5"
        line = run(infercap_bin, out, env)
        assert BAD in line, what
        assert path.read_text() == good, what  # measured again and replaced
        assert_same_results(tmp_path / "a.h5", out)
    assert READ in run(infercap_bin, tmp_path / "again.h5", env)


def test_unwritable_cache_never_fails_a_run(infercap_bin, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cache directory would go\n")
    line = run(infercap_bin, tmp_path / "a.h5", {"INFERCAP_CACHE_DIR": blocker / "cache"})
    assert UNWRITTEN in line
    assert blocker.read_text().startswith("a file")


def test_off_and_default_directories(infercap_bin, tmp_path):
    home, xdg = tmp_path / "home", tmp_path / "xdg"
    home.mkdir()
    line = run(
        infercap_bin,
        tmp_path / "off.h5",
        {"INFERCAP_CACHE_DIR": "off", "XDG_CACHE_HOME": xdg, "HOME": home},
    )
    assert "curve cache" not in line
    assert not xdg.exists() and not list(home.iterdir())
    run(
        infercap_bin,
        tmp_path / "xdg.h5",
        {"INFERCAP_CACHE_DIR": None, "XDG_CACHE_HOME": xdg, "HOME": home},
    )
    assert len(curve_files(xdg / "infercap")) == 1
    run(
        infercap_bin,
        tmp_path / "home.h5",
        {"INFERCAP_CACHE_DIR": None, "XDG_CACHE_HOME": None, "HOME": home},
    )
    assert len(curve_files(home / ".cache" / "infercap")) == 1
