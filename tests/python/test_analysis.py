"""The analysis/ package (issue #8): the loader analysis/infercap_h5.py against h5py, and every
plot command run headless, as a user runs it, on small result files made here.

Results (a few seconds in all): data/small.json as it is (aggregate), swept over
/fleet/accelerators x /accelerator (two axes), swept over /accelerator alone (one axis, no fleet
axis), and its request engine on a 2-minute window (two request classes), and data/steady.json
through the request engine (one class).  The commands run as subprocesses of /usr/bin/python3
(the project's interpreter for Python tools), all of them at once on the machine's cores, and
each test checks one of them: exit status, message, and the image (signature and size).
"""

import concurrent.futures
import datetime
import importlib.util
import os
import pathlib
import shutil
import struct
import subprocess
import sys

import h5py
import numpy as np
import pytest

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
ANALYSIS = ROOT / "analysis"
DATA = HERE / "data"
PYTHON = "/usr/bin/python3"
SCRIPTS = ["fan_chart", "fleet_curve", "heatmap", "cost_power", "latency_cdf", "report"]
TIMEOUT_S = 120

# The loader, from its file (without putting analysis/ on sys.path for the other tests).
_spec = importlib.util.spec_from_file_location("infercap_h5", ANALYSIS / "infercap_h5.py")
infercap_h5 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(infercap_h5)


# ------------------------------------------------------------------------------ result files
@pytest.fixture(scope="module")
def results(run_infercap, tmp_path_factory):
    """name -> path of each small result file the plots are drawn from."""
    d = tmp_path_factory.mktemp("analysis")
    small, steady = DATA / "small.json", DATA / "steady.json"
    runs = {
        "aggregate": [small, "--paths", "30"],
        "sweep": [small, "--paths", "20", "--sweep", "/fleet/accelerators=120,240,480",
                  "--sweep", "/accelerator=nvidia_h100_sxm,nvidia_h20"],
        "sweep1": [small, "--paths", "10", "--sweep", "/accelerator=nvidia_h100_sxm,nvidia_h20"],
        "request": [steady, "--set", "/engine=request", "--set", "/request_engine/duration_s=120"],
        "request2": [small, "--set", "/engine=request", "--set", "/request_engine/duration_s=120",
                     "--set", "/request_engine/window_start=2024-03-02T12:00:00+08:00"],
    }
    out = {}
    for name, args in runs.items():
        path = d / f"{name}.h5"
        run_infercap(["run", args[0], "-o", path, "-q", *args[1:]])
        assert path.is_file(), f"infercap wrote no {path}"
        out[name] = path
    out.update(_partial_copies(out, d))
    return out


def _partial_copies(out, d):
    """Copies of the results marked as a stopped run marks them (issue #13): the aggregate
    stopped at 40% of its horizon (root attributes partial = 1 and completed_until_s; the bands
    NaN from there on), the sweep with two of its six points finished (partial = 1, the others
    NaN and not done in /point_done), and a request-engine file marked partial."""
    made = {}
    src = out["aggregate"]
    dst = d / "partial.h5"
    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as f:
        until = 0.4 * float(f.attrs["horizon_days"]) * 86400
        until -= until % float(f["time"][1] - f["time"][0])
        f.attrs["partial"] = np.int64(1)
        f.attrs["completed_until_s"] = np.float64(until)
        t = f["time"][()]
        for name in f["bands"]:
            b = f["bands"][name]
            if b.shape and b.shape[-1] == t.size:
                v = b[()]
                v[..., t >= until] = np.nan
                b[...] = v
    made["partial"] = dst
    dst = d / "sweep_partial.h5"
    shutil.copy(out["sweep"], dst)
    with h5py.File(dst, "r+") as f:
        f.attrs["partial"] = np.int64(1)
        done = f["point_done"][()]
        done[...] = 0
        done[0, 0] = done[1, 0] = 1
        f["point_done"][...] = done
        for name in f["headline"]:
            h = f["headline"][name]
            if h.dtype.kind == "f":
                v = h[()]
                v[done == 0] = np.nan
                h[...] = v
    made["sweep_partial"] = dst
    dst = d / "request_partial.h5"
    shutil.copy(out["request2"], dst)
    with h5py.File(dst, "r+") as f:
        f.attrs["partial"] = np.int64(1)
    made["request_partial"] = dst
    return made


def _stop_date(path):
    """completed_until_s of a file as the readers print it: "YYYY-MM-DD HH:MM" local."""
    with h5py.File(path, "r") as f:
        t = float(f.attrs["start_unix_s"]) + float(f.attrs["completed_until_s"]) + \
            float(f.attrs.get("utc_offset_s", 0))
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")


# ------------------------------------------------------------------------------ the commands
# name: (script, input file, options, output file name or None, expected exit status,
#        text expected in stderr (exit 2) or None)
JOBS = {
    # images
    "fan_png": ("fan_chart", "aggregate", [], "fan.png", 0, None),
    "fan_svg": ("fan_chart", "aggregate", ["--show-paths", "2", "--days", "0.5", "2"], "fan.svg",
                0, None),
    "fan_pdf": ("fan_chart", "aggregate", ["--series", "arrivals_per_s_by_class", "--class",
                                           "long-document", "--log-y"], "fan.pdf", 0, None),
    "fan_point": ("fan_chart", "sweep", ["--point", "accelerators=240",
                                         "--point", "/accelerator=nvidia_h20",
                                         "--series", "arrivals_per_s",
                                         "--capacity", "capacity_tokens_per_s"],
                  "fanp.png", 0, None),
    "fleet_png": ("fleet_curve", "sweep", ["--target", "0.1", "--log-x"], "fleet.png", 0, None),
    "fleet_svg": ("fleet_curve", "sweep", ["--point", "accelerator=nvidia_h100_sxm", "--log-y"],
                  "fleet.svg", 0, None),
    "heat_png": ("heatmap", "sweep", [], "heat.png", 0, None),
    "heat_pdf": ("heatmap", "sweep", ["--figure", "first_outage_s_p10_p50_p90",
                                      "--component", "1", "--x", "accelerator"],
                 "heat.pdf", 0, None),
    "cost_png": ("cost_power", "sweep", ["--log-x"], "cost.png", 0, None),
    "latency_classes_svg": ("latency_cdf", "request2", [], "latency2.svg", 0, None),
    "latency_pdf": ("latency_cdf", "request", ["--no-classes", "--linear"], "latency.pdf", 0,
                    None),
    # what a plot needs and the file lacks: exit 2 with a clear message
    "fleet_unswept": ("fleet_curve", "aggregate", [], "x.png", 2,
                      "fleet_curve needs a sweep over /fleet/accelerators"),
    "fleet_no_fleet_axis": ("fleet_curve", "sweep1", [], "x.png", 2,
                            "fleet_curve needs a sweep over /fleet/accelerators"),
    "cost_unswept": ("cost_power", "aggregate", [], "x.png", 2,
                     "cost_power needs a sweep over /fleet/accelerators"),
    "heat_unswept": ("heatmap", "aggregate", [], "x.png", 2, "heatmap needs a sweep over two axes"),
    "heat_one_axis": ("heatmap", "sweep1", [], "x.png", 2, "heatmap needs a sweep over two axes"),
    "heat_text_figure": ("heatmap", "sweep", ["--figure", "accelerator_key"], "x.png", 2,
                         "holds text"),
    "heat_needs_component": ("heatmap", "sweep", ["--figure", "outage_probability_ci95"], "x.png",
                             2, "--component"),
    "latency_aggregate": ("latency_cdf", "aggregate", [], "x.png", 2,
                          "latency_cdf needs a request-engine file"),
    "fan_request": ("fan_chart", "request", [], "x.png", 2, "fan_chart needs an aggregate-engine"),
    "fan_sweep_no_point": ("fan_chart", "sweep", [], "x.png", 2, "choose a point with --point"),
    "fan_bad_point": ("fan_chart", "sweep", ["--point", "accelerators=7",
                                             "--point", "accelerator=nvidia_h20"], "x.png", 2,
                      "axis accelerators has no value '7'"),
    "fan_bad_series": ("fan_chart", "aggregate", ["--series", "no_such_series"], "x.png", 2,
                       "has no /bands/no_such_series"),
    "fan_bad_format": ("fan_chart", "aggregate", [], "x.jpg", 2, "unsupported image format"),
    "fan_missing_file": ("fan_chart", None, [], "x.png", 2, "no such file"),
    # stopped runs: every plot says PARTIAL (and how far the run got)
    "partial_fan_svg": ("fan_chart", "partial", [], "fan.svg", 0, None),
    "partial_fan_point_svg": ("fan_chart", "sweep_partial", ["--point", "accelerators=120",
                                                             "--point", "accelerator=nvidia_h20"],
                              "fanp.svg", 0, None),
    "partial_fleet_svg": ("fleet_curve", "sweep_partial", [], "fleet.svg", 0, None),
    "partial_heat_svg": ("heatmap", "sweep_partial", [], "heat.svg", 0, None),
    "partial_cost_svg": ("cost_power", "sweep_partial", [], "cost.svg", 0, None),
    "partial_latency_svg": ("latency_cdf", "request_partial", [], "latency.svg", 0, None),
    # reports
    "report_partial": ("report", "partial", [], "rep_partial", 0, None),
    "report_sweep_partial": ("report", "sweep_partial", ["--max-points", "1"],
                             "rep_sweep_partial", 0, None),
    "report_aggregate": ("report", "aggregate", [], "rep_aggregate", 0, None),
    "report_sweep": ("report", "sweep", ["--target", "0.1", "--max-points", "2"], "rep_sweep", 0,
                     None),
    "report_request": ("report", "request2", [], "rep_request", 0, None),
}
for _s in SCRIPTS:
    JOBS[f"help_{_s}"] = (_s, "help", ["--help"], None, 0, None)


@pytest.fixture(scope="module")
def jobs(results, tmp_path_factory):
    """Run every command of JOBS at once (a thread per core); name -> (argv, process, output)."""
    d = tmp_path_factory.mktemp("plots")

    def argv_of(name):
        script, inp, opts, out, _, _ = JOBS[name]
        argv = [PYTHON, str(ANALYSIS / f"{script}.py")]
        if inp == "help":
            return argv + opts, None
        src = str(results[inp]) if inp else str(d / "no-such-file.h5")
        outp = d / name / out
        return argv + [src, "-o", str(outp)] + opts, outp

    def run(name):
        argv, outp = argv_of(name)
        try:
            p = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT_S,
                               cwd=str(ROOT))
        except subprocess.TimeoutExpired:
            p = subprocess.CompletedProcess(argv, -999, "", f"ran longer than {TIMEOUT_S} s")
        return name, (argv, p, outp)

    workers = max(2, (os.cpu_count() or 2) + 1)
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as ex:
        return dict(ex.map(run, JOBS))


def _explain(argv, p):
    return (f"{' '.join(argv)} exited {p.returncode}\n--- stdout\n{p.stdout}\n"
            f"--- stderr\n{p.stderr}")


def _check_image(path):
    assert path.is_file(), f"no image {path}"
    data = path.read_bytes()
    ext = path.suffix.lower()
    if ext == ".png":
        assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
        w, h = struct.unpack(">II", data[16:24])
        assert w >= 400 and h >= 250, f"{path}: {w} x {h} pixels is too small for a plot"
        assert len(data) > 20_000, f"{path}: {len(data)} bytes is too small for a plot"
    elif ext == ".pdf":
        assert data[:5] == b"%PDF-", f"{path} is not a PDF"
        assert len(data) > 5_000, f"{path}: {len(data)} bytes"
    elif ext == ".svg":
        text = data.decode("utf-8")
        assert "<svg" in text and text.rstrip().endswith("</svg>"), f"{path} is not an SVG"
        assert len(data) > 8_000, f"{path}: {len(data)} bytes"
    return data


IMAGE_JOBS = [n for n, j in JOBS.items() if j[4] == 0 and j[3] and j[0] != "report"]
FAIL_JOBS = [n for n, j in JOBS.items() if j[4] == 2]


@pytest.mark.parametrize("name", IMAGE_JOBS)
def test_plot_writes_image(jobs, name):
    argv, p, out = jobs[name]
    assert p.returncode == 0, _explain(argv, p)
    _check_image(out)


@pytest.mark.parametrize("name", FAIL_JOBS)
def test_plot_refuses_with_message(jobs, name):
    argv, p, out = jobs[name]
    want = JOBS[name][5]
    assert p.returncode == 2, _explain(argv, p)
    assert want in p.stderr, f"expected {want!r} in the message\n" + _explain(argv, p)
    assert "Traceback" not in p.stderr, _explain(argv, p)
    assert len(p.stderr.strip().splitlines()) <= 2, "the message should be a line, not a dump"
    assert not out.exists(), f"{out} written despite the error"


@pytest.mark.parametrize("script", SCRIPTS)
def test_help(jobs, script):
    argv, p, _ = jobs[f"help_{script}"]
    assert p.returncode == 0, _explain(argv, p)
    assert p.stdout.startswith("usage:"), p.stdout
    assert "-o" in p.stdout and "FILE" in p.stdout


def test_svg_shows_scenario_and_event(jobs):
    """The fan chart's title names the scenario and its event is marked (text stays text)."""
    text = jobs["fan_svg"][2].read_text(encoding="utf-8")
    assert "pytest-small" in text
    assert "launch" in text, "the scenario's event 'launch' is not marked"
    assert "overload" in text


def test_latency_classes(jobs):
    text = jobs["latency_classes_svg"][2].read_text(encoding="utf-8")
    for cls in ("chat", "long-document", "objective 50 ms"):
        assert cls in text, f"{cls!r} missing from the latency plot"


@pytest.mark.parametrize("kind", ["aggregate", "sweep", "request"])
def test_report(jobs, results, kind):
    argv, p, out = jobs[f"report_{kind}"]
    assert p.returncode == 0, _explain(argv, p)
    index = out / "index.html"
    assert index.is_file() and (out / "report.md").is_file()
    html = index.read_text(encoding="utf-8")
    pngs = sorted(x.name for x in out.glob("*.png"))
    assert pngs, f"report wrote no images in {out}"
    for png in pngs:
        assert f'src="{png}"' in html, f"{png} is not in index.html"
        _check_image(out / png)
    r = infercap_h5.load(results[{"request": "request2"}.get(kind, kind)])
    assert r.name in html
    if kind == "aggregate":
        assert {"fan_offered_load.png", "fan_tokens.png"} <= set(pngs)
        assert "outage_probability" in html
        # the report's table shows 4 significant digits (report.headline_rows)
        assert f"{r.headline['outage_probability']:.4g}" in html
    elif kind == "sweep":
        assert {"fleet_curve.png", "cost_power.png", "heatmap_outage.png"} <= set(pngs)
        assert len([x for x in pngs if x.startswith("fan_")]) == 2  # --max-points 2
        # one row per point, with its outage probability
        for sel, idx in r.points():
            assert f"{r.headline['outage_probability'][idx]:.3g}" in html
    else:
        assert pngs == ["latency_cdf.png"]
        assert "goodput" in html and "ttft_s_p99" in html


PARTIAL_SVGS = [n for n in JOBS if n.startswith("partial_")]


@pytest.mark.parametrize("name", PARTIAL_SVGS)
def test_partial_plots_say_so(jobs, results, name):
    """A stopped run's plot states PARTIAL in its title and how far the run got (its headline
    would otherwise read as complete: "P(outage) 0 (0 of N paths)" reads as safe)."""
    argv, p, out = jobs[name]
    assert p.returncode == 0, _explain(argv, p)
    text = out.read_text(encoding="utf-8")
    assert "PARTIAL" in text, f"{out} does not say PARTIAL"
    inp = JOBS[name][1]
    if inp == "partial":
        assert _stop_date(results[inp]) in text, "the stop's date is not shown"
        assert "every figure covers the run only to then" in text
    elif name == "partial_fan_point_svg":
        assert "this point of the sweep is not in the file" in text
    elif inp == "sweep_partial":
        assert "2 of 6 sweep points finished" in text


def test_complete_plots_do_not_say_partial(jobs):
    for name in ("fan_svg", "fleet_svg", "latency_classes_svg"):
        assert "PARTIAL" not in jobs[name][2].read_text(encoding="utf-8"), name


@pytest.mark.parametrize("kind", ["partial", "sweep_partial"])
def test_partial_report(jobs, results, kind):
    argv, p, out = jobs[f"report_{kind}"]
    assert p.returncode == 0, _explain(argv, p)
    assert "PARTIAL" in p.stderr
    html = (out / "index.html").read_text(encoding="utf-8")
    md = (out / "report.md").read_text(encoding="utf-8")
    for text in (html, md):
        assert "PARTIAL" in text
        assert "Headline (PARTIAL: the run was stopped)" in text
        if kind == "partial":
            assert _stop_date(results[kind]) in text
        else:
            assert "2 of 6 sweep points finished" in text
            assert "not in this file" in text
    assert 'class="partial"' in html
    if kind == "partial":
        # the headline table's first row says so
        rows = html.split("<tbody>", 1)[1]
        assert rows.index("PARTIAL") < rows.index("outage_probability")
    for png in out.glob("*.png"):
        _check_image(png)


def test_loader_partial(results):
    r = infercap_h5.load(results["partial"])
    assert r.partial is True
    until = r.completed_until_s
    assert 0 < until < float(r.attrs["horizon_days"]) * 86400
    note = r.partial_note()
    assert note.startswith("PARTIAL: the run was stopped at ") and _stop_date(
        results["partial"]) in note
    assert r.completed_until_text().startswith(_stop_date(results["partial"]))
    assert "PARTIAL" in r.describe()
    full = infercap_h5.load(results["aggregate"])
    assert full.partial is False
    assert full.completed_until_s == float(full.attrs["horizon_days"]) * 86400
    assert full.partial_note() is None and "PARTIAL" not in full.describe()
    s = infercap_h5.load(results["sweep_partial"])
    assert s.partial
    assert "2 of 6 sweep points finished" in s.partial_note()
    assert s.point_at((0, 0)).partial_note() is None  # a finished point is complete
    assert "not in the file" in s.point_at((0, 1)).partial_note()
    assert infercap_h5.load(results["sweep"]).point_at((0, 1)).partial_note() is None


# ------------------------------------------------------------------------------ the loader
def _attrs_equal(a, b):
    if isinstance(b, bytes):
        b = b.decode()
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    elif isinstance(b, float) and np.isnan(b):
        assert np.isnan(a)
    else:
        assert a == b


def test_loader_aggregate(results):
    path = results["aggregate"]
    r = infercap_h5.load(path)
    assert r.kind == "aggregate" and not r.is_sweep and r.axes == []
    with h5py.File(path, "r") as f:
        assert r.name == f.attrs["scenario_name"] == r.scenario["name"]
        np.testing.assert_array_equal(r.time_s, f["time"][()])
        np.testing.assert_array_equal(r.quantile, f["quantile"][()])
        assert r.classes == [c.decode() for c in f["class"][()]]
        for g, n in [("bands", "offered_load"), ("bands", "arrivals_per_s_by_class"),
                     ("series", "arrivals_per_s"), ("summary", "outage"),
                     ("summary", "first_outage_s"), ("autoscale", "action_time_s")]:
            got = getattr(r, g)[n]
            assert isinstance(got, np.ndarray)
            np.testing.assert_array_equal(got, f[g][n][()], err_msg=f"{g}/{n}")
            assert r.units[f"{g}/{n}"] == f[g][n].attrs["units"]
            assert r.long_name[f"{g}/{n}"] == f[g][n].attrs["long_name"]
        assert r.dims["bands/offered_load"] == ("quantile", "time")
        assert r.dims["series/arrivals_per_s_by_class"] == ("class", "stored_path", "time")
        assert set(r.inputs) == set(f["inputs"])
        for n in r.inputs:
            np.testing.assert_array_equal(r.inputs[n], f["inputs"][n][()])
            assert r.inputs_pointer[n] == f["inputs"][n].attrs["pointer"]
        assert set(r.headline) == set(f["summary"].attrs)
        for k, v in f["summary"].attrs.items():
            _attrs_equal(r.headline[k], v)
        assert r.units["offered_load"] == "1" and r.units["power_kw"] == "kW"
        # Dates: seconds since the start (UTC) from start_unix_s and the CF units agree.
        start = np.datetime64(int(f.attrs["start_unix_s"]), "s")
        assert r.time[0] == start
        assert r.time[-1] - r.time[0] == np.timedelta64(int(r.time_s[-1]), "s")
        assert str(r.time[0]).startswith(
            f["time"].attrs["units"].split("since ")[1].replace(" ", "T"))
        assert r.time_local[0] == start + np.timedelta64(int(f.attrs["utc_offset_s"]), "s")
    with pytest.raises(KeyError, match="no dataset /bands/nope"):
        r.bands["nope"]


def test_loader_sweep(results):
    path = results["sweep"]
    r = infercap_h5.load(path)
    assert r.kind == "sweep" and r.shape == (3, 2)
    with h5py.File(path, "r") as f:
        names = f.attrs["sweep_axes"].split()
        assert r.axis_names == names == ["accelerators", "accelerator"]
        for a in r.axes:
            assert a.pointer == f[a.name].attrs["pointer"]
        np.testing.assert_array_equal(r.axes[0].values, f["accelerators"][()])
        assert list(r.axes[1].values) == ["nvidia_h100_sxm", "nvidia_h20"]
        assert r.bands["offered_load"].shape == (3, 2, len(r.quantile), len(r.time_s))
        np.testing.assert_array_equal(r.bands["offered_load"], f["bands/offered_load"][()])
        np.testing.assert_array_equal(r.summary["outage"], f["summary/outage"][()])
        assert r.dims["bands/offered_load"] == ("accelerators", "accelerator", "quantile", "time")
        assert set(r.headline) == set(f["headline"])
        np.testing.assert_array_equal(r.headline["outage_probability"],
                                      f["headline/outage_probability"][()])
        assert r.headline["outage_probability_ci95"].shape == (3, 2, 2)
        assert r.headline["accelerator_key"][1, 1] == "nvidia_h20"
        np.testing.assert_array_equal(r.point_done, f["point_done"][()])

        # One point: the arrays are its slice, the headline its scalars.
        p = r.point(accelerators="240", accelerator="nvidia_h20")
        assert p.selection == {"accelerators": 240.0, "accelerator": "nvidia_h20"}
        assert p.axes == [] and p.kind == "aggregate"
        np.testing.assert_array_equal(p.bands["offered_load"], f["bands/offered_load"][1, 1])
        np.testing.assert_array_equal(p.series["arrivals_per_s"], f["series/arrivals_per_s"][1, 1])
        assert p.headline["outage_probability"] == f["headline/outage_probability"][1, 1]
        assert p.headline["accelerator_key"] == "nvidia_h20"
        assert p.dims["bands/offered_load"] == ("quantile", "time")
        q = r.point({"/fleet/accelerators": 120, "/accelerator": "nvidia_h100_sxm"})
        np.testing.assert_array_equal(q.summary["outage"], f["summary/outage"][0, 0])
    with pytest.raises(infercap_h5.FileError, match="has no value"):
        r.point(accelerators=7, accelerator="nvidia_h20")
    with pytest.raises(infercap_h5.FileError, match="missing: accelerator"):
        r.point(accelerators=120)
    assert len(list(r.points())) == 6


def test_loader_request(results):
    path = results["request2"]
    r = infercap_h5.load(path)
    assert r.kind == "request" and r.engine == "request"
    with h5py.File(path, "r") as f:
        for n in ("ttft_s", "tpot_s", "status", "class", "arrival_s"):
            np.testing.assert_array_equal(r.requests[n], f["requests"][n][()], err_msg=n)
            assert r.units[f"requests/{n}"] == f["requests"][n].attrs["units"]
        for n in ("busy", "kv_occupancy"):
            np.testing.assert_array_equal(r.replicas[n], f["replicas"][n][()])
        assert r.dims["replicas/busy"] == ("replica", "time")
        assert set(r.headline) == set(f["requests"].attrs)
        assert r.headline["served"] == f["requests"].attrs["served"]
        assert r.headline_detail["served"] == r.headline["served"]
        assert r.classes == ["chat", "long-document"]
        assert r.time[0] == np.datetime64(int(f.attrs["start_unix_s"]), "s")
    assert r.summary == {} or len(r.summary) == 0


def test_loader_rejects_other_files(tmp_path):
    bad = tmp_path / "other.h5"
    with h5py.File(bad, "w") as f:
        f["x"] = [1, 2, 3]
    with pytest.raises(infercap_h5.FileError, match="not an infercap result file"):
        infercap_h5.load(bad)
    text = tmp_path / "text.h5"
    text.write_text("not hdf5")
    with pytest.raises(infercap_h5.FileError, match="cannot open"):
        infercap_h5.load(text)


def test_to_xarray(results):
    pytest.importorskip("xarray")
    try:
        ds = infercap_h5.to_xarray(results["sweep"], "headline")
    except ImportError as e:  # neither h5netcdf nor netCDF4
        pytest.skip(str(e))
    with ds:
        v = ds["outage_probability"]
        assert v.dims == ("accelerators", "accelerator")
        np.testing.assert_array_equal(v.values, infercap_h5.load(results["sweep"])
                                      .headline["outage_probability"])
        assert list(ds["accelerator"].values) == ["nvidia_h100_sxm", "nvidia_h20"]
    with infercap_h5.to_xarray(results["aggregate"], "bands") as b:
        assert b["offered_load"].dims == ("quantile", "time")
        assert np.issubdtype(b["time"].dtype, np.datetime64)


def test_to_xarray_without_xarray(results, monkeypatch):
    monkeypatch.setitem(sys.modules, "xarray", None)  # import xarray now raises ImportError
    with pytest.raises(ImportError, match="python3-xarray"):
        infercap_h5.to_xarray(results["aggregate"], "bands")


def test_axis_values_print_short():
    """Sweep values as legend and tick text: whole numbers without a point, inline catalog
    entries by their base and what they change."""
    f = infercap_h5.format_value
    assert f(4000.0) == "4000" and f(0.25) == "0.25" and f(b"nvidia_h20") == "nvidia_h20"
    assert f('{"base": "huawei_ascend_910c", "tdp_w": 800}') == "huawei_ascend_910c (tdp_w=800)"
    assert f('{"name": "x", "a": 1, "b": 2, "c": 3, "d": 4}') == "x"
    assert f("{not json") == "{not json"
