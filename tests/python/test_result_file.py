"""Checks of the HDF5 result file written by `infercap run` (layout: sim/io/output.h).

Every test reads the file of the small scenario (conftest.py, data/small.json); a few run
infercap again (rerun from the stored scenario, other thread counts, overrides).
"""

import datetime
import json
import math
import re

import h5py
import numpy as np
import pytest

Z95 = 1.959963984540054  # the 97.5% normal quantile, as sim/engine/engine.c passes to ic_wilson
GROUPS = ("series", "bands", "summary", "inputs")
SCALES = ("time", "quantile", "path", "stored_path")
# Attributes HDF5's dimension-scale API (H5DS) keeps on scales and on the datasets they are
# attached to: bookkeeping, not data.
H5DS_ATTRS = {"CLASS", "NAME", "REFERENCE_LIST", "DIMENSION_LIST"}
ROOT_ATTRS = (
    "infercap_version",
    "git_commit",
    "scenario_name",
    "seed",
    "paths",
    "created_utc",
    "command_line",
    "start",
)


# ---- helpers --------------------------------------------------------------------------------


def text(v):
    """An HDF5 string attribute or scalar dataset value as str."""
    if isinstance(v, np.ndarray) and v.shape == ():
        v = v[()]
    if isinstance(v, bytes):
        return v.decode("utf-8")
    return str(v)


def resolve_pointer(doc, pointer):
    """The value at a JSON Pointer (RFC 6901) in doc; KeyError/IndexError when absent."""
    if pointer == "":
        return doc
    assert pointer.startswith("/"), pointer
    node = doc
    for tok in pointer[1:].split("/"):
        tok = tok.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            if not re.fullmatch(r"0|[1-9][0-9]*", tok):
                raise KeyError(pointer)
            node = node[int(tok)]
        elif isinstance(node, dict):
            node = node[tok]
        else:
            raise KeyError(pointer)
    return node


def random_fields(doc, pointer=""):
    """JSON Pointers of every distribution object (other than "fixed") in a scenario."""
    out = {}
    if isinstance(doc, dict):
        if "dist" in doc and doc["dist"] != "fixed":
            out[pointer] = doc
            return out
        for k, v in doc.items():
            out.update(random_fields(v, pointer + "/" + k.replace("~", "~0").replace("/", "~1")))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out.update(random_fields(v, f"{pointer}/{i}"))
    return out


def wilson(k, n, z):
    """Wilson score interval (Wilson 1927), with the exact ends at k == 0 and k == n."""
    if n <= 0:
        return 0.0, 1.0
    p = k / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return (0.0 if k == 0 else centre - half), (1.0 if k == n else centre + half)


def summary_arrays(f):
    return {k: f["summary"][k][()] for k in f["summary"]}


def dataset_names(f, group):
    return sorted(k for k, v in f[group].items() if isinstance(v, h5py.Dataset))


def by_class(name):
    """Series split by request class have a leading `class` axis."""
    return name.endswith("_by_class")


def per_class(ds):
    """A dataset's blocks: one per class for *_by_class, else the dataset itself."""
    a = ds[()]
    return list(a) if by_class(ds.name) else [a]


def snapshot(path, skip_root_attrs=()):
    """Everything in a result file as {name: (kind, value, attrs, dims)} for comparisons.

    Dimension-scale bookkeeping attributes hold object references, which differ between
    files; they are replaced by the names of the attached scales (dims)."""
    out = {}
    with h5py.File(path, "r") as f:

        def attrs_of(obj, skip=()):
            a = {}
            for k in obj.attrs:
                if k in H5DS_ATTRS or k in skip:
                    continue
                v = obj.attrs[k]
                a[k] = text(v) if isinstance(v, (bytes, str)) else np.asarray(v)
            return a

        out["/"] = ("group", None, attrs_of(f, skip_root_attrs), None)

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                v = obj[()]
                if obj.dtype.kind == "O" or isinstance(v, (bytes, str)):
                    v = text(v) if np.ndim(v) == 0 else np.array([text(x) for x in v.flat])
                dims = tuple(tuple(s.name for s in d.values()) for d in obj.dims)
                out[name] = ("dataset", v, attrs_of(obj), dims)
            else:
                out[name] = ("group", None, attrs_of(obj), None)

        f.visititems(visit)
    return out


def same_value(a, b, bitwise):
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if bitwise:
        return a.tobytes() == b.tobytes()
    if a.dtype.kind in "fc":
        return np.array_equal(a, b, equal_nan=True)
    return np.array_equal(a, b)


def assert_same_files(path_a, path_b, skip_root_attrs=(), only=None, bitwise=False):
    """Every object, value and attribute equal (NaN-aware, or bit for bit)."""
    a = snapshot(path_a, skip_root_attrs)
    b = snapshot(path_b, skip_root_attrs)
    if only is not None:
        a = {k: v for k, v in a.items() if k.split("/")[0] in only}
        b = {k: v for k, v in b.items() if k.split("/")[0] in only}
    assert sorted(a) == sorted(b), "the files hold different objects"
    diffs = []
    for name in sorted(a):
        ka, va, aa, da = a[name]
        kb, vb, ab, db = b[name]
        if ka != kb:
            diffs.append(f"{name}: {ka} vs {kb}")
            continue
        if ka == "dataset":
            if not same_value(va, vb, bitwise):
                diffs.append(f"{name}: values differ")
            if da != db:
                diffs.append(f"{name}: dimension scales {da} vs {db}")
        if sorted(aa) != sorted(ab):
            diffs.append(f"{name}: attributes {sorted(aa)} vs {sorted(ab)}")
            continue
        for k in aa:
            if not same_value(aa[k], ab[k], bitwise):
                diffs.append(f"{name}@{k}: {aa[k]!r} vs {ab[k]!r}")
    assert not diffs, "files differ:\n  " + "\n  ".join(diffs[:40])


@pytest.fixture(scope="module")
def h5(result_path):
    with h5py.File(result_path, "r") as f:
        yield f


@pytest.fixture(scope="module")
def resolved(h5):
    return json.loads(text(h5["scenario"][()]))


# ---- root attributes and provenance ---------------------------------------------------------


def test_root_attributes(h5, small_scenario, small_run, run_infercap):
    attrs = h5.attrs
    missing = [a for a in ROOT_ATTRS if a not in attrs]
    assert not missing, f"root attributes missing: {missing}"

    assert text(attrs["scenario_name"]) == small_scenario["name"]
    assert int(attrs["seed"]) == small_scenario["seed"]
    assert int(attrs["paths"]) == small_scenario["paths"]
    assert text(attrs["start"]) == small_scenario["start"]
    assert float(attrs["horizon_days"]) == small_scenario["horizon_days"]
    assert float(attrs["step_s"]) == small_scenario["step_s"]

    # Version and commit are those the binary reports.
    ver = run_infercap(["--version"]).stdout.strip()
    m = re.fullmatch(r"infercap (\S+) \(git (\S+)\)", ver)
    assert m, f"unexpected --version output {ver!r}"
    assert text(attrs["infercap_version"]) == m.group(1)
    assert text(attrs["git_commit"]) == m.group(2)
    assert text(attrs["git_commit"]).strip()

    # created_utc: ISO 8601 UTC, within the run (HDF5 times have a 1 s resolution).
    created = text(attrs["created_utc"])
    t = datetime.datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc
    )
    assert small_run.started_unix_s - 2 <= t.timestamp() <= small_run.finished_unix_s + 2, (
        f"created_utc {created} is not the time of the run"
    )

    # command_line: the words of the invocation (order: see test_command_line_verbatim).
    words = text(attrs["command_line"]).split(" ")
    assert words[0] == small_run.argv[0]
    assert words[1] == "run"
    assert sorted(words) == sorted(small_run.argv)


def test_command_line_verbatim(h5, small_run):
    assert text(h5.attrs["command_line"]) == " ".join(small_run.argv)


# ---- the resolved scenario ------------------------------------------------------------------


def rerun_and_compare(h5, scenario_text, run_infercap, tmp_path):
    """Run infercap on scenario_text; its numbers must equal h5's bit for bit."""
    again = tmp_path / "resolved.json"
    again.write_text(scenario_text, encoding="utf-8")
    out = tmp_path / "rerun.h5"
    run_infercap(["run", again, "-o", out, "-q"])
    assert_same_files(
        h5.filename,
        out,
        only={"summary", "series", "bands", "inputs", "time", "quantile", "path", "stored_path"},
        bitwise=True,
    )
    with h5py.File(out, "r") as g:
        assert int(g.attrs["seed"]) == int(h5.attrs["seed"])
        return text(g["scenario"][()])


def test_scenario_is_resolved_json(h5, resolved, small_scenario):
    assert resolved["name"] == small_scenario["name"]
    assert resolved["seed"] == small_scenario["seed"] == int(h5.attrs["seed"])
    assert resolved["paths"] == small_scenario["paths"]
    # Defaults are filled in: the resolved scenario states the quantiles it used.
    assert resolved["output"]["quantiles"] == [0.05, 0.25, 0.5, 0.75, 0.95]
    # Every field the file gave is there with the same value.
    given = (
        "/fleet/accelerators",
        "/output/store_paths",
        "/traffic/events/0/start",
        "/workload/classes/1/share",
        "/serving/decode_mbu",
    )
    for ptr in given:
        assert resolve_pointer(resolved, ptr) == resolve_pointer(small_scenario, ptr), ptr


def test_scenario_json_reruns_identically(h5, run_infercap, tmp_path):
    original = text(h5["scenario"][()])
    again = rerun_and_compare(h5, original, run_infercap, tmp_path)
    # Resolving a resolved scenario changes nothing.
    assert again == original


# ---- shapes, units, dimension scales --------------------------------------------------------


def test_shapes(h5, small_scenario, resolved):
    paths = small_scenario["paths"]
    store = small_scenario["output"]["store_paths"]
    nout = round(small_scenario["horizon_days"] * 86400 / small_scenario["output"]["interval_s"])
    nq = len(resolved["output"]["quantiles"])
    assert (paths, store, nout, nq) == (40, 5, 96, 5)

    assert h5["time"].shape == (nout,)
    assert h5["quantile"].shape == (nq,)
    assert h5["path"].shape == (paths,)
    assert h5["stored_path"].shape == (store,)
    for g in GROUPS:
        assert dataset_names(h5, g), f"/{g} is empty"
    assert dataset_names(h5, "series") == dataset_names(h5, "bands")
    ncls = len(resolved["workload"]["classes"])
    assert h5["class"].shape == (ncls,)
    assert [text(c) for c in h5["class"][()]] == [c["name"] for c in resolved["workload"]["classes"]]
    for name in dataset_names(h5, "series"):
        lead = (ncls,) if by_class(name) else ()
        assert h5["series"][name].shape == lead + (store, nout), name
        assert h5["series"][name].dtype == np.float32, name
    for name in dataset_names(h5, "bands"):
        lead = (ncls,) if by_class(name) else ()
        assert h5["bands"][name].shape == lead + (nq, nout), name
        assert h5["bands"][name].dtype == np.float32, name
    for g in ("summary", "inputs"):
        for name in dataset_names(h5, g):
            assert h5[g][name].shape == (paths,), f"/{g}/{name}"
            assert h5[g][name].dtype == np.float64, f"/{g}/{name}"


@pytest.mark.parametrize(
    "group",
    [
        "/",
        "series",
        "bands",
        "summary",
        "inputs",
    ],
)
def test_units_and_long_name(h5, group):
    node = h5[group]
    names = [k for k, v in node.items() if isinstance(v, h5py.Dataset)]
    assert names
    bad = []
    for name in names:
        ds = node[name]
        for attr in ("units", "long_name"):
            if attr not in ds.attrs:
                bad.append(f"{ds.name}: no {attr}")
            elif not text(ds.attrs[attr]).strip():
                bad.append(f"{ds.name}: empty {attr}")
    assert not bad, "\n".join(bad)


def test_dimension_scales(h5, small_scenario, resolved):
    for s in SCALES:
        ds = h5[s]
        assert h5py.h5ds.is_scale(ds.id), f"/{s} is not a dimension scale"
        assert text(ds.attrs["NAME"]) == s
    interval = small_scenario["output"]["interval_s"]
    np.testing.assert_array_equal(h5["time"][()], np.arange(h5["time"].shape[0]) * interval)
    assert float(h5["time"].attrs["interval_s"]) == interval
    np.testing.assert_array_equal(h5["quantile"][()], resolved["output"]["quantiles"])
    np.testing.assert_array_equal(h5["path"][()], np.arange(small_scenario["paths"]))
    np.testing.assert_array_equal(
        h5["stored_path"][()], np.arange(small_scenario["output"]["store_paths"])
    )

    expected = {
        "series": ("/stored_path", "/time"),
        "bands": ("/quantile", "/time"),
        "summary": ("/path",),
        "inputs": ("/path",),
    }
    bad = []
    for g, axes in expected.items():
        for name in dataset_names(h5, g):
            ds = h5[g][name]
            want = (("/class",) if by_class(name) else ()) + axes
            got = tuple(ds.dims[i][0].name if len(ds.dims[i]) else None for i in range(ds.ndim))
            counts = tuple(len(ds.dims[i]) for i in range(ds.ndim))
            if got != want or counts != (1,) * len(want):
                bad.append(f"{ds.name}: scales {got} (counts {counts}), expected {want}")
    assert not bad, "\n".join(bad)


# ---- the headline against the per-path data -------------------------------------------------


def test_headline_outage_probability(h5):
    s = summary_arrays(h5)
    a = h5["summary"].attrs
    n = s["outage"].size
    k = int(np.sum(s["outage"]))
    assert int(a["paths"]) == n == int(h5.attrs["paths"])
    assert int(a["outage_paths"]) == k
    assert float(a["outage_probability"]) == pytest.approx(np.mean(s["outage"]), abs=1e-15)
    # The scenario is sized so that the interval is not degenerate.
    assert 0 < k < n, f"data/small.json gives {k} outages in {n} paths: re-tune the fleet"

    ci = np.asarray(a["outage_probability_ci95"], dtype=float)
    assert ci.shape == (2,)
    lo, hi = wilson(k, n, Z95)
    assert abs(ci[0] - lo) <= 1e-12 and abs(ci[1] - hi) <= 1e-12, (ci, (lo, hi))
    assert ci[0] <= k / n <= ci[1]


def test_headline_first_outage_quantiles(h5):
    s = summary_arrays(h5)
    first = s["first_outage_s"]
    finite = first[np.isfinite(first)]
    assert finite.size == int(h5["summary"].attrs["outage_paths"])
    got = np.asarray(h5["summary"].attrs["first_outage_s_p10_p50_p90"], dtype=float)
    want = np.quantile(finite, [0.1, 0.5, 0.9], method="linear")
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)


def test_headline_means_and_quantiles(h5):
    s = summary_arrays(h5)
    a = h5["summary"].attrs
    lost, arrived = s["requests_lost"], s["requests_arrived"]
    want = {
        "lost_requests_mean": np.mean(lost),
        "lost_requests_p50": np.quantile(lost, 0.5),
        "lost_requests_p95": np.quantile(lost, 0.95),
        "lost_fraction_mean": np.mean(lost / arrived),
        "peak_offered_load_p50": np.quantile(s["peak_offered_load"], 0.5),
        "peak_offered_load_p95": np.quantile(s["peak_offered_load"], 0.95),
        "degraded_minutes_mean": np.mean(s["degraded_minutes"]),
        "cost_usd_mean": np.mean(s["cost_usd"]),
        "accelerator_hours_mean": np.mean(s["accelerator_hours"]),
        "energy_mwh_mean": np.mean(s["energy_mwh"]),
    }
    for k, v in want.items():
        assert float(a[k]) == pytest.approx(v, rel=1e-12, abs=1e-12), k


def test_headline_intervals(h5):
    """Every mean in the headline has mean +- 1.96 standard errors, every median the 95%
    order-statistic interval (ranks n/2 -+ 1.96 sqrt(n)/2 of the sorted paths), and each
    interval holds its estimate."""
    s = summary_arrays(h5)
    a = h5["summary"].attrs
    means = {
        "lost_requests_mean": s["requests_lost"],
        "degraded_minutes_mean": s["degraded_minutes"],
        "cost_usd_mean": s["cost_usd"],
        "energy_mwh_mean": s["energy_mwh"],
    }
    for key, x in means.items():
        hw = Z95 * np.std(x, ddof=1) / np.sqrt(x.size)
        ci = np.asarray(a[key + "_ci95"], dtype=float)
        np.testing.assert_allclose(ci, [x.mean() - hw, x.mean() + hw], rtol=1e-9, atol=1e-9)
    medians = {
        "lost_requests_p50": s["requests_lost"],
        "peak_offered_load_p50": s["peak_offered_load"],
        "cost_usd_p50": s["cost_usd"],
        "first_outage_s_p50": s["first_outage_s"],
    }
    for key, x in medians.items():
        x = np.sort(x[np.isfinite(x)])
        n = x.size
        half = Z95 * np.sqrt(n * 0.25)
        lo = max(int(np.floor(n * 0.5 - half)), 1)
        hi = min(int(np.ceil(n * 0.5 + half)), n)
        ci = np.asarray(a[key + "_ci95"], dtype=float)
        np.testing.assert_array_equal(ci, [x[lo - 1], x[hi - 1]], err_msg=key)
        assert ci[0] <= np.median(x) <= ci[1], key
    for key in a:
        if key.endswith("_ci95") and (key[:-5] in a):
            ci = np.asarray(a[key], dtype=float)
            v = float(a[key[:-5]])
            if np.all(np.isfinite(ci)) and np.isfinite(v):
                assert ci[0] <= v <= ci[1], key


def test_summary_internal_consistency(h5, small_scenario):
    s = summary_arrays(h5)
    outage = s["outage"]
    assert set(np.unique(outage)) <= {0.0, 1.0}
    first = s["first_outage_s"]
    np.testing.assert_array_equal(np.isfinite(first), outage == 1)
    horizon_s = small_scenario["horizon_days"] * 86400
    assert np.all((first[outage == 1] >= 0) & (first[outage == 1] < horizon_s))
    np.testing.assert_allclose(
        s["requests_lost"], s["requests_rejected"] + s["requests_abandoned"], rtol=1e-12
    )
    min_outage_min = small_scenario["queue"]["outage_min_s"] / 60
    assert np.all(s["outage_minutes"][outage == 1] >= min_outage_min)
    assert np.all(s["outage_minutes"][outage == 0] == 0)
    assert np.all(s["outage_minutes"] <= s["degraded_minutes"])
    assert np.all(s["degraded_minutes"] <= horizon_s / 60)
    np.testing.assert_allclose(
        s["accelerator_hours"], small_scenario["fleet"]["accelerators"] * horizon_s / 3600
    )
    for k in ("requests_arrived", "requests_served", "requests_rejected", "requests_abandoned"):
        assert np.all(s[k] >= 0), k


# ---- bands and series -----------------------------------------------------------------------


def test_bands_monotone_in_quantile(h5):
    bad = []
    for name in dataset_names(h5, "bands"):
        for b in per_class(h5["bands"][name]):
            b = b.astype(np.float64)
            for i in range(b.shape[0] - 1):
                lo, hi = b[i], b[i + 1]
                ok = np.isnan(lo) | np.isnan(hi) | (hi >= lo)
                if not ok.all():
                    t = int(np.argmin(ok))
                    bad.append(f"/bands/{name}: quantile row {i + 1} < row {i} at time {t}")
    assert not bad, "\n".join(bad)


def test_bands_are_quantiles_over_all_paths(h5, small_scenario, run_infercap, tmp_path):
    """With every path stored, each band is numpy's type-7 quantile of the series over paths;
    storing more paths changes no number of the first ones."""
    sc = dict(small_scenario)
    sc["output"] = dict(sc["output"], store_paths=sc["paths"])
    src = tmp_path / "all-stored.json"
    src.write_text(json.dumps(sc), encoding="utf-8")
    out = tmp_path / "all-stored.h5"
    run_infercap(["run", src, "-o", out, "-q"])
    q = h5["quantile"][()]
    k = small_scenario["output"]["store_paths"]
    with h5py.File(out, "r") as g:
        for name in dataset_names(g, "series"):
            assert g["bands"][name][()].tobytes() == h5["bands"][name][()].tobytes(), name
            blocks = zip(per_class(g["series"][name]), per_class(h5["series"][name]),
                         per_class(g["bands"][name]))
            for full, first, band in blocks:
                assert full.shape[0] == small_scenario["paths"]
                assert full[:k].tobytes() == first.tobytes(), name
                x = full.astype(np.float64)
                cols = ~np.isnan(x).any(axis=0)
                want = np.quantile(x[:, cols], q, axis=0, method="linear").astype(np.float32)
                np.testing.assert_allclose(band[:, cols], want, rtol=2e-7, atol=0, err_msg=name)
        for name in dataset_names(g, "summary"):
            assert g["summary"][name][()].tobytes() == h5["summary"][name][()].tobytes(), name


def test_series_totals_match_summary(h5, small_scenario):
    """Per-second series are interval means: their integral is the per-path total."""
    s = summary_arrays(h5)
    k = small_scenario["output"]["store_paths"]
    dt = small_scenario["output"]["interval_s"]
    pairs = {
        "arrivals_per_s": "requests_arrived",
        "served_per_s": "requests_served",
        "rejected_per_s": "requests_rejected",
        "abandoned_per_s": "requests_abandoned",
    }
    for series, total in pairs.items():
        integral = h5["series"][series][()].astype(np.float64).sum(axis=1) * dt
        np.testing.assert_allclose(
            integral, s[total][:k], rtol=1e-5, atol=1e-3, err_msg=f"{series} vs {total}"
        )


def test_request_conservation(h5):
    """arrived = served + rejected + abandoned + final backlog, and the backlog is small
    (admission control bounds it by max_wait_s of service)."""
    s = summary_arrays(h5)
    arrived = s["requests_arrived"]
    rest = arrived - s["requests_served"] - s["requests_rejected"] - s["requests_abandoned"]
    assert np.all(arrived > 0)
    assert np.all(rest >= -1e-6 * arrived), rest / arrived
    assert np.all(rest < 0.01 * arrived), rest / arrived


# ---- inputs ---------------------------------------------------------------------------------


def test_inputs_pointers_and_draws(h5, resolved, small_scenario):
    fields = random_fields(resolved)
    assert fields == random_fields(small_scenario)
    kinds = {d["dist"] for d in fields.values()}
    assert {"lognormal", "uniform", "choice"} <= kinds
    seen = set()
    for name in dataset_names(h5, "inputs"):
        ds = h5["inputs"][name]
        assert "pointer" in ds.attrs, f"{ds.name} has no pointer"
        ptr = text(ds.attrs["pointer"])
        spec = resolve_pointer(resolved, ptr)  # KeyError: not in the resolved scenario
        assert name == ptr[1:].replace("/", "."), (name, ptr)
        assert isinstance(spec, dict) and "dist" in spec, f"{ptr} is not a distribution"
        seen.add(ptr)
        x = ds[()]
        assert np.all(np.isfinite(x)), ptr
        assert np.unique(x).size > 1, f"{ptr}: every path drew the same value"
        if spec["dist"] == "uniform":
            assert np.all((x >= spec["min"]) & (x <= spec["max"])), ptr
        elif spec["dist"] == "choice":
            assert set(np.unique(x)) <= set(spec["values"]), ptr
        elif spec["dist"] == "lognormal":
            assert np.all(x > 0), ptr
    assert seen == set(fields), "inputs are not exactly the distribution fields"


# ---- determinism and overrides --------------------------------------------------------------


def test_threads_do_not_change_results(run_infercap, small_run, tmp_path):
    outs = []
    for t in (1, 3):
        out = tmp_path / f"threads{t}.h5"
        # each measures its own service curve, not the session's cached one (conftest.py)
        run_infercap(["run", small_run.scenario, "-o", out, "-q", "--threads", t, "--no-cache"])
        outs.append(out)
    assert_same_files(outs[0], outs[1], skip_root_attrs=("created_utc", "command_line"))
    assert_same_files(outs[0], small_run.path, skip_root_attrs=("created_utc", "command_line"))


def test_set_adds_a_field(run_infercap, small_run, tmp_path):
    out = tmp_path / "quantiles.h5"
    run_infercap(
        ["run", small_run.scenario, "-o", out, "-q", "--set", "/output/quantiles=[0.1,0.9]"]
    )
    with h5py.File(out, "r") as g:
        np.testing.assert_array_equal(g["quantile"][()], [0.1, 0.9])
        assert g["bands/served_per_s"].shape == (2, 96)
        assert json.loads(text(g["scenario"][()]))["output"]["quantiles"] == [0.1, 0.9]


def test_options_override_existing_fields(run_infercap, small_run, tmp_path):
    """--paths, --seed and --set replace fields the scenario file already has."""
    out = tmp_path / "override.h5"
    run_infercap(
        ["run", small_run.scenario, "-o", out, "-q", "--paths", "7", "--seed", "11",
         "--set", "/fleet/accelerators=300"]
    )
    with h5py.File(out, "r") as g:
        assert int(g.attrs["paths"]) == 7
        assert int(g.attrs["seed"]) == 11
        assert g["summary/outage"].shape == (7,)
        assert float(g["summary"].attrs["accelerators_mean"]) == 300
        sc = json.loads(text(g["scenario"][()]))
        assert (sc["paths"], sc["seed"], sc["fleet"]["accelerators"]) == (7, 11, 300)
