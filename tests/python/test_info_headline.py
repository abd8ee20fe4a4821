"""`infercap info` says what `infercap run` said (issue 16, "honest on every screen").

The headline a run prints is stored in its result file and read back by `info`, never
recomputed from the scenario: a prefill/decode fleet's roles and capacity-needed curve, the
service curve's mode (measured by the request engine or the closed form) and what was measured.
Files from before those figures were stored are still read.
"""
import json
import pathlib
import re
import shutil

import h5py
import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = pathlib.Path(__file__).resolve().parent / "data"
SMALL = DATA / "small.json"
PD = ROOT / "scenarios" / "deepseek-2025-02-27.json"
SHORT = ["--set", "/paths=6", "--set", "/horizon_days=0.25", "--set", "/step_s=300",
         "--set", "/output/interval_s=1800"]

# Lines of the run's headline that describe this process, not the result (not in the file).
RUN_ONLY = ("  engine ", "  memory ", "  wrote ")
# Lines of info that the run does not print: the file's name and provenance.
INFO_ONLY = ("  written ", "  command ")


# What the curve cache did in this process, on the run's service-curve line only (not stored in
# the file, sim/io/report.h): the session's runs share a curve cache (conftest.py), so a run
# may say that it read its curve from the cache or stored it there.
CACHE_NOTE = re.compile(r"; [^;()]*curve[ -]cache[^;()]*(?=\))")


def headline_lines(text, drop):
    return [ln for ln in text.splitlines() if ln.strip() and not ln.startswith(drop)]


def run_headline_lines(text):
    """The lines of a run's headline that info prints too (less the curve cache's note)."""
    return headline_lines(CACHE_NOTE.sub("", text), RUN_ONLY)


@pytest.fixture(scope="module")
def pd_run(run_infercap, tmp_path_factory):
    out = tmp_path_factory.mktemp("info") / "pd.h5"
    p = run_infercap(["run", PD, "-o", out, "--paths", "8"])
    return out, p.stdout


@pytest.fixture(scope="module")
def colocated_run(run_infercap, tmp_path_factory):
    out = tmp_path_factory.mktemp("info") / "small.h5"
    p = run_infercap(["run", SMALL, "-o", out, *SHORT])
    return out, p.stdout


def copy(src, tmp_path, name="x.h5"):
    dst = tmp_path / name
    shutil.copyfile(src, dst)
    return dst


@pytest.mark.parametrize("which", ["pd_run", "colocated_run"])
def test_info_prints_every_line_of_the_runs_headline(run_infercap, request, which):
    out, run_text = request.getfixturevalue(which)
    info_text = run_infercap(["info", out]).stdout
    lines = headline_lines(info_text, INFO_ONLY)
    assert lines[0] == str(out)
    assert run_headline_lines(run_text) == lines[1:]


@pytest.mark.parametrize("which", ["pd_run", "colocated_run"])
def test_info_json_is_the_runs_json(run_infercap, request, which, tmp_path):
    out, _ = request.getfixturevalue(which)
    # the same run again, its headline as JSON (same seed: same numbers)
    with h5py.File(out, "r") as f:
        argv = f.attrs["command_line"].split()[1:]
    again = tmp_path / "again.h5"
    argv[argv.index("-o") + 1] = str(again)
    run_json = json.loads(run_infercap([*argv, "--json"]).stdout)
    info_json = json.loads(run_infercap(["info", again, "--json"]).stdout)
    volatile = {"file", "memory_estimate_bytes", "peak_memory_bytes", "engine_seconds",
                "write_seconds", "path_steps", "threads", "created_utc", "command_line",
                "infercap_version", "git_commit"}
    strip = lambda d: {k: v for k, v in d.items() if k not in volatile}  # noqa: E731
    assert strip(run_json) == strip(info_json)


def test_roles_and_nodes_needed_come_from_the_file(run_infercap, pd_run):
    out, _ = pd_run
    with h5py.File(out, "r") as f:
        a = dict(f["summary"].attrs)
        med = {k: float(np.nanmedian(f["summary"][k][()]))
               for k in ("nodes_needed_mean", "nodes_needed_peak", "nodes_needed_min",
                         "cost_follow_curve_usd", "cost_flat_peak_usd")}
        scen = json.loads(f["scenario"][()])
        pre_rate = float(np.median(f["summary/prefill_unit_tokens_per_s"][()]))
    assert a["prefill_decode"] == 1
    # the stored medians are the medians of the per-path datasets
    for k, v in med.items():
        assert a[k + "_p50"] == pytest.approx(v, rel=1e-12), k
    roles = scen["fleet"]["roles"]
    assert a["prefill_units"] == roles["prefill"]["units"]
    assert a["decode_units"] == roles["decode"]["units"]
    assert a["prefill_unit_tokens_per_s"] == pytest.approx(pre_rate, rel=1e-12)
    assert a["prefill_units"] * a["prefill_unit_accelerators"] + \
        a["decode_units"] * a["decode_unit_accelerators"] == a["accelerators_mean"]

    j = json.loads(run_infercap(["info", out, "--json"]).stdout)
    for q in ("prefill", "decode"):
        r = j["roles"][q]
        assert r["units"] == a[f"{q}_units"]
        assert r["unit_accelerators"] == a[f"{q}_unit_accelerators"]
        assert r["unit_tokens_per_s"] == a[f"{q}_unit_tokens_per_s"]
        assert r["accelerator"] == a[f"{q}_accelerator"]
        assert r["unit_rate"] == ("measured" if a[f"{q}_unit_rate_measured"] else
                                  "performance_model")
    for k in ("nodes_needed_mean", "nodes_needed_peak", "nodes_needed_min",
              "cost_follow_curve_usd", "cost_flat_peak_usd"):
        assert j[k + "_p50"] == a[k + "_p50"], k

    text = run_infercap(["info", out]).stdout
    m = re.search(r"nodes needed  mean ([\d.]+), peak (\d+), minimum (\d+)", text)
    assert m, text
    assert float(m.group(1)) == pytest.approx(med["nodes_needed_mean"], abs=0.05)
    assert int(m.group(2)) == round(med["nodes_needed_peak"])
    assert int(m.group(3)) == round(med["nodes_needed_min"])
    assert f"prefill {a['prefill_units']:.4g} units of {a['prefill_unit_accelerators']:.0f}" in text
    assert f"decode {a['decode_units']:.4g} units of {a['decode_unit_accelerators']:.0f}" in text
    # demand in tokens a day: the sustainable figure says so on both screens
    assert a["demand_tokens_per_day"] == 1
    assert "times the tokens a day" in text
    assert j["sustainable_demand_units"] == "multiples of the tokens a day"


def test_service_curve_mode_is_recorded_and_printed(run_infercap, colocated_run, tmp_path):
    out, _ = colocated_run
    with h5py.File(out, "r") as f:
        a = dict(f["summary"].attrs)
        scen = json.loads(f["scenario"][()])
    assert a["service_curve_mode"] == "measured" == a["service_curve_requested_mode"]
    # the group: the base times the power of two nearest the fleet's replicas (log scale), to 64
    base = scen["service_curve"]["replicas"]
    replicas = a["accelerators_mean"] / a["accelerators_per_replica"]
    group = base
    while 2 * group <= 64 and replicas >= group * 2**0.5:
        group *= 2
    assert a["service_curve_replicas"] == group > base  # small.json: 30 replicas, on 32
    assert a["service_curve_requests"] > 0
    assert a["service_curve_saturated_requests_per_s"] == a["replica_requests_per_s"]
    assert 0 < a["service_curve_slo_utilization"] <= 1
    text = run_infercap(["info", out]).stdout
    assert "service curve  measured by the request engine" in text
    assert f"closed-form batch {a['replica_batch']:.0f} not used" in text
    assert "(batch" not in text
    j = json.loads(run_infercap(["info", out, "--json"]).stdout)["service_curve"]
    assert j["mode"] == "measured" and j["requests"] == a["service_curve_requests"]
    assert j["replicas"] == a["service_curve_replicas"]
    assert j["saturated_requests_per_s"] == a["service_curve_saturated_requests_per_s"]

    # the closed form: its batch is the operating point, nothing was measured
    cf = tmp_path / "cf.h5"
    run_infercap(["run", SMALL, "-o", cf, "-q", *SHORT, "--set", "/service_curve/mode=closed_form"])
    with h5py.File(cf, "r") as f:
        b = dict(f["summary"].attrs)
    assert b["service_curve_mode"] == "closed_form" == b["service_curve_requested_mode"]
    assert b["service_curve_requests"] == 0 and b["service_curve_replicas"] == 0
    assert np.isnan(b["service_curve_saturated_requests_per_s"])
    text = run_infercap(["info", cf]).stdout
    assert f"closed form of the performance model: batch {b['replica_batch']:.0f} per replica" \
        in text
    assert "measured" not in text
    j = json.loads(run_infercap(["info", cf, "--json"]).stdout)["service_curve"]
    assert j["mode"] == "closed_form" and j["saturated_requests_per_s"] is None


def test_a_pd_fleet_says_its_curve_is_not_measured(run_infercap, pd_run):
    out, _ = pd_run
    with h5py.File(out, "r") as f:
        a = dict(f["summary"].attrs)
    text = run_infercap(["info", out]).stdout
    line = next(ln for ln in text.splitlines() if "service curve" in ln)
    if a["service_curve_mode"] == "closed_form":
        assert "closed form" in line
        if a["service_curve_requested_mode"] == "measured":
            assert "measured was asked for but not possible" in line
            why = a["service_curve_closed_form_reason"]
            assert why and why in line
            j = json.loads(run_infercap(["info", out, "--json"]).stdout)["service_curve"]
            assert j["closed_form_reason"] == why
    else:
        assert "measured by the request engine" in line


NEW_SINGLE = ["service_curve_mode", "service_curve_requested_mode",
              "service_curve_closed_form_reason",
              "service_curve_saturated_requests_per_s", "service_curve_slo_utilization",
              "service_curve_replicas", "service_curve_requests", "demand_tokens_per_day",
              "prefill_decode", "prefill_units", "decode_units", "prefill_unit_accelerators",
              "decode_unit_accelerators", "prefill_unit_tokens_per_s", "decode_unit_tokens_per_s",
              "prefill_unit_rate_measured", "decode_unit_rate_measured", "prefill_accelerator",
              "decode_accelerator", "nodes_needed_mean_p50", "nodes_needed_peak_p50",
              "nodes_needed_min_p50", "cost_follow_curve_usd_p50", "cost_flat_peak_usd_p50"]


@pytest.mark.parametrize("which", ["pd_run", "colocated_run"])
def test_a_file_from_before_the_roles_and_curve_were_stored_is_read(run_infercap, request, which,
                                                                    tmp_path):
    out, _ = request.getfixturevalue(which)
    x = copy(out, tmp_path)
    with h5py.File(x, "r+") as f:
        for k in NEW_SINGLE:
            if k in f["summary"].attrs:
                del f["summary"].attrs[k]
    text = run_infercap(["info", x]).stdout
    assert "P(outage)" in text
    assert "roles" not in text and "nodes needed" not in text
    assert "service curve  not recorded in this file" in text
    j = json.loads(run_infercap(["info", x, "--json"]).stdout)
    assert "roles" not in j and j["service_curve"]["mode"] is None
    assert j["service_curve"]["requests"] is None and j["service_curve"]["replicas"] is None
    # an older figure missing is still refused
    with h5py.File(x, "r+") as f:
        del f["summary"].attrs["replica_batch"]
    p = run_infercap(["info", x], check=False)
    assert p.returncode == 2 and "/summary/@replica_batch" in p.stderr


def test_a_pd_sweep_and_its_merge_keep_the_roles(run_infercap, tmp_path):
    sweep = ["--paths", "6", "--sweep", "/fleet/roles/decode/units=9,10"]
    parts = []
    for i in range(2):
        part = tmp_path / f"part{i}.h5"
        run_infercap(["run", PD, "-o", part, "-q", *sweep, "--shard", f"{i}/2"])
        parts.append(part)
    merged = tmp_path / "merged.h5"
    run_infercap(["merge", *parts, "-o", merged, "-q"])
    whole = tmp_path / "whole.h5"
    run_infercap(["run", PD, "-o", whole, "-q", *sweep])
    for f_ in (merged, whole):
        j = json.loads(run_infercap(["info", f_, "--json"]).stdout)
        with h5py.File(f_, "r") as f:
            nn = f["headline/nodes_needed_peak_p50"][()]
            du = f["headline/decode_units"][()]
            mode = f["headline/service_curve_mode"][()]
        for k, p in enumerate(j["points"]):
            assert p["roles"]["decode"]["units"] == [9, 10][k] == du[k]
            assert p["nodes_needed_peak_p50"] == nn[k]
            assert p["service_curve"]["mode"] == mode[k].decode()
    text = run_infercap(["info", whole]).stdout
    assert "nodes needed p50 (mean, peak)" in text and "cost/path USD" in text
    with h5py.File(whole, "r") as f:
        mean = f["headline/nodes_needed_mean_p50"][()]
        peak = f["headline/nodes_needed_peak_p50"][()]
        mode = f["headline/service_curve_mode"][()]
    for k, units in enumerate([9, 10]):
        line = next(ln for ln in text.splitlines() if ln.strip().startswith(f"units={units} "))
        assert line.split()[-3:] == [mode[k].decode(), f"{mean[k]:.1f},", f"{peak[k]:.0f}"], line
    # a sweep from before: the datasets absent, the points still read
    y = copy(whole, tmp_path, "old.h5")
    with h5py.File(y, "r+") as f:
        for k in NEW_SINGLE:
            if k in f["headline"]:
                del f["headline"][k]
    j = json.loads(run_infercap(["info", y, "--json"]).stdout)
    assert all("roles" not in p and p["service_curve"]["mode"] is None for p in j["points"])


def test_every_pools_curve_is_in_the_file_and_on_both_screens(run_infercap, tmp_path):
    out = tmp_path / "pools.h5"
    p = run_infercap(["run", SMALL, "-o", out, *SHORT, "--set",
                      '/fleet/pools=[{"accelerator": "nvidia_h20", "accelerators": 64}]'])
    with h5py.File(out, "r") as f:
        g = f["service_curve"]
        assert g["mode"].dims[0][0].name == "/service_curve/pool"
        assert g["requests_per_s"].attrs["units"] == "1/s"
        sc = {k: g[k][()] for k in g if k != "pool"}
        a = dict(f["summary"].attrs)
    assert len(sc["mode"]) == 2
    assert [m.decode() for m in sc["accelerator"]] == ["nvidia_h100_sxm", "nvidia_h20"]
    assert sc["accelerators"][1] == 64
    # pool 0 is the headline's
    assert sc["mode"][0].decode() == a["service_curve_mode"]
    assert sc["requests_per_s"][0] == a["replica_requests_per_s"]
    assert sc["requests"][0] == a["service_curve_requests"]
    assert sc["closed_form_batch"][0] == a["replica_batch"]
    j = json.loads(run_infercap(["info", out, "--json"]).stdout)["service_curve"]["pools"]
    for k, q in enumerate(j):
        assert q["mode"] == sc["mode"][k].decode()
        assert q["requests_per_s"] == sc["requests_per_s"][k]
        assert q["requests"] == sc["requests"][k] and q["replicas"] == sc["replicas"][k]
    text = run_infercap(["info", out]).stdout
    line = next(ln for ln in text.splitlines() if ln.startswith("  pool 1 "))
    assert f"64 x nvidia_h20: {sc['requests_per_s'][1]:.4g} req/s per replica" in line
    assert sc["mode"][1].decode() in line
    assert line in p.stdout  # the run printed the same line
    # a file from before /service_curve: read, no pool lines
    x = copy(out, tmp_path, "old.h5")
    with h5py.File(x, "r+") as f:
        del f["service_curve"]
    text = run_infercap(["info", x]).stdout
    assert "P(outage)" in text and "  pool 1 " not in text
    assert "pools" not in json.loads(run_infercap(["info", x, "--json"]).stdout)["service_curve"]
    # a damaged one is refused, naming the object
    y = copy(out, tmp_path, "bad.h5")
    with h5py.File(y, "r+") as f:
        del f["service_curve/requests"]
        f["service_curve/requests"] = np.array([1.5, 2.5])
    p = run_infercap(["info", y], check=False)
    assert p.returncode == 2 and "/service_curve/requests" in p.stderr


def test_solve_says_a_refused_candidate_came_from_for(run_infercap):
    """A candidate the scenario refuses is the solver's --for value, not a --set."""
    p = run_infercap(["solve", PD, "--for", "/fleet/accelerators", "--max-outage-prob", "0.1",
                      "--paths", "4", "-q"], check=False)
    assert p.returncode == 2
    assert "/fleet/accelerators" in p.stderr and "(from --for)" in p.stderr, p.stderr
    assert "(from --set)" not in p.stderr


def test_roles_on_accelerators_of_their_own_are_named(run_infercap, tmp_path):
    out = tmp_path / "pd2.h5"
    p = run_infercap(["run", PD, "-o", out, "--paths", "4",
                      "--set", "/fleet/roles/decode/accelerator=nvidia_h200_sxm"])
    with h5py.File(out, "r") as f:
        a = dict(f["summary"].attrs)
    assert a["prefill_accelerator"] == "nvidia_h800_sxm"
    assert a["decode_accelerator"] == "nvidia_h200_sxm"
    text = run_infercap(["info", out]).stdout
    assert f"fleet      {a['accelerators_mean']:.0f} accelerators serving" in text
    assert "units of 32 x nvidia_h800_sxm" in text and "units of 144 x nvidia_h200_sxm" in text
    assert run_headline_lines(p.stdout) == headline_lines(text, INFO_ONLY)[1:]
