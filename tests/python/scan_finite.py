"""No NaN or infinity where a result file promises a number (issue 13).

Every dataset and every numeric attribute of the result of each ready scenario
(scenarios/*.json, a few paths over a short horizon) and of an extreme-value corpus (huge
exponential growth, a growth fit with a huge mean, stacked 10^4x events, zero requests per user,
a full capacity outage, a fleet that fails away, an autoscale floor above the fleet) is scanned.
Inputs that leave no serving capacity at all (a fleet of 0, one accelerator when a replica needs
more, a 32-accelerator replica on 8, DeepSeek-V3 on 8 L20s) must be refused by `validate` and
`run`, naming the field.

Where NaN or infinity is a meaning rather than a failure, this file is where it is written down
(ALLOWED below), each with the condition under which it may appear:

  NaN  summary/first_outage_s              the path has no outage
  NaN  summary/first_action_s              the path's autoscaler never acted
  NaN  summary/gross_margin                the path earned no revenue (0 / 0)
  NaN  autoscale/*                         the slots after a path's last action
  NaN  series|bands/ttft_s, offered_load   no serving capacity through the whole output
                                           interval (checked: replicas up is 0 there)
  NaN  /summary attributes first_outage_*  no path has an outage
  NaN  /summary attributes gross_margin*   no revenue
  NaN  /summary attributes good_fraction_mean*  no path served a request (0 / 0)
  NaN  service_curve/saturated_requests_per_s, slo_utilization, and the /summary attributes
       (a sweep's /headline datasets) service_curve_saturated_requests_per_s and _slo_utilization
                                           the curve is the closed form: nothing was measured
                                           (checked: mode / service_curve_mode is closed_form)
  inf  summary/peak_offered_load           demand met no capacity in some step of the path
       (and its /summary quantile attributes)
  inf  summary/sustainable_demand          zero requests per user: any demand is sustainable
       (and its /summary quantile attributes)

Anything else that is not finite fails the test with the dataset's name.  Demand that would
overflow saturates: it is an overload (P(outage) 1), never "no risk".

Registered on its own in CMakeLists.txt (python_finite); its name keeps it out of the default
collection of the other Python checks.
"""
import copy
import fnmatch
import json
import os

import h5py
import numpy as np
import pytest

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
READY = sorted(f for f in os.listdir(os.path.join(SRC, "scenarios")) if f.endswith(".json"))

NAN_OK = {
    "summary/first_outage_s": "no outage",
    "summary/first_action_s": "no autoscale action",
    "summary/gross_margin": "no revenue",
    "autoscale/*": "after the last action",
}
NAN_WITHOUT_CAPACITY = ("*/ttft_s", "*/offered_load")
INF_OK = ("summary/peak_offered_load", "summary/sustainable_demand")
ATTR_NAN_OK = ("first_outage_*", "gross_margin*", "good_fraction_mean*")
ATTR_INF_OK = ("peak_offered_load_*", "sustainable_demand_*")
CURVE_NAN_ATTRS = ("service_curve_saturated_requests_per_s", "service_curve_slo_utilization")
CURVE_NAN_DATASETS = {  # dataset: the dataset of its mode
    "service_curve/saturated_requests_per_s": "service_curve/mode",
    "service_curve/slo_utilization": "service_curve/mode",
    "headline/service_curve_saturated_requests_per_s": "headline/service_curve_mode",
    "headline/service_curve_slo_utilization": "headline/service_curve_mode",
}


def matches(name, patterns):
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def scan(path):
    """The names of what is not finite and not allowed to be, in the file at path."""
    bad = []
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            for key, val in obj.attrs.items():
                a = np.asarray(val)
                if a.dtype.kind != "f":
                    continue
                closed = key in CURVE_NAN_ATTRS and \
                    obj.attrs.get("service_curve_mode") == "closed_form"
                if np.isnan(a).any() and not matches(key, ATTR_NAN_OK) and not closed:
                    bad.append(f"{name}@{key}: NaN")
                if np.isinf(a).any() and not matches(key, ATTR_INF_OK):
                    bad.append(f"{name}@{key}: inf")
            if not isinstance(obj, h5py.Dataset) or obj.dtype.kind != "f":
                return
            x = obj[()]
            nan, inf = np.isnan(x), np.isinf(x)
            if inf.any() and name not in INF_OK:
                bad.append(f"{name}: {inf.sum()} inf")
            if not nan.any() or matches(name, NAN_OK):
                return
            if name in CURVE_NAN_DATASETS:
                # Only for pools (points of a sweep) whose curve is the closed form.
                mode = f[CURVE_NAN_DATASETS[name]][()].astype(str)
                if (mode[nan] == "closed_form").all():
                    return
            if matches(name, NAN_WITHOUT_CAPACITY):
                # Only where no replica served through the interval (every path, for bands).
                group = name.split("/")[0]
                up = f[f"{group}/replicas_up"][()]
                if group == "bands":
                    up = np.broadcast_to(up.max(axis=0), x.shape)
                if (up[nan] == 0).all():
                    return
            bad.append(f"{name}: {nan.sum()} NaN")

        f.visititems(visit)
        visit("/", f)
    return bad


def headline(path):
    with h5py.File(path, "r") as f:
        return dict(f["summary"].attrs)


def test_scan_knows_a_bad_file(tmp_path):
    """The scan itself: a NaN or an inf where a number is promised is reported."""
    p = tmp_path / "bad.h5"
    with h5py.File(p, "w") as f:
        f["series/arrivals_per_s"] = np.array([[1.0, np.nan]], dtype=np.float32)
        f["series/replicas_up"] = np.array([[1.0, 0.0]], dtype=np.float32)
        f["series/ttft_s"] = np.array([[np.nan, 2.0]], dtype=np.float32)  # capacity: not ok
        f["summary/first_outage_s"] = np.array([np.nan])
        f["summary/cost_usd"] = np.array([np.inf])
        f["summary"].attrs["cost_usd_p50"] = np.nan
    assert sorted(scan(p)) == [
        "series/arrivals_per_s: 1 NaN",
        "series/ttft_s: 1 NaN",
        "summary/cost_usd: 1 inf",
        "summary@cost_usd_p50: NaN",
    ]


@pytest.mark.parametrize("name", READY)
def test_ready_scenarios_are_finite(run_infercap, tmp_path, name):
    out = tmp_path / "s.h5"
    run_infercap(["run", os.path.join(SRC, "scenarios", name), "--paths", "6",
                  "--set", "/horizon_days=1.5", "-o", out, "-q"])
    assert scan(out) == []


BASE = {
    "name": "extreme",
    "seed": 2385,
    "paths": 6,
    "start": "2024-03-01T00:00:00Z",
    "horizon_days": 2,
    "step_s": 300,
    "output": {"interval_s": 3600, "store_paths": 3},
    "traffic": {"growth": {"model": "exponential", "initial": 200000, "rate_per_day": 0.05},
                "noise": {"sigma": 0.2, "corr_time_s": 3600}},
    "model": "llama-3.1-8b",
    "accelerator": "nvidia_h100_sxm",
    "fleet": {"accelerators": 16, "repair_hours": 3},
}


def scenario(tmp_path, name, **changes):
    """BASE with changes given as JSON-Pointer-like keys (a__b__c = value), written to a file."""
    sc = copy.deepcopy(BASE)
    for key, value in changes.items():
        node, parts = sc, key.split("__")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    p = tmp_path / f"{name}.json"
    p.write_text(json.dumps(sc))
    return p


EVENT = {"start": "2024-03-01T12:00:00Z", "peak_multiplier": 1e4, "rise_s": 600,
         "decay_s": 86400}

# name -> (changes, what the headline must say)
EXTREME = {
    # e^(2 x 365) overflows a double: demand saturates and every path is overloaded.
    "growth_2_per_day": (dict(horizon_days=365, step_s=3600, output__interval_s=86400,
                              traffic__growth__initial=1e11, traffic__growth__rate_per_day=2),
                         "overload"),
    # 0.25/day for a year: 10^39 users x 10 requests a day is past float32 in the series.
    "growth_year": (dict(horizon_days=365, step_s=3600, output__interval_s=86400,
                         traffic__growth__rate_per_day=0.25), "overload"),
    # A fit whose mean ln(initial) is 1000: e^1000 is infinite.
    "growth_fit_huge": (dict(traffic__growth__fit={"mean": [1000, 0.3],
                                                   "covariance": [1e4, 0, 0, 1]}),
                        "overload"),
    # Logistic and Bass fits whose ln(capacity) or ln(market size) is 800: inf / inf.
    "logistic_fit_huge": (dict(traffic__growth={"model": "logistic", "fit": {
        "mean": [12, 0.3, 800], "covariance": [1, 0, 0, 0, 0.01, 0, 0, 0, 1]}}), "overload"),
    "bass_fit_huge": (dict(traffic__growth={"model": "bass", "fit": {
        "mean": [-3, -1, 800], "covariance": [0.1, 0, 0, 0, 0.1, 0, 0, 0, 1]}}), "overload"),
    # Twelve 10^4x events at once: 10^48.
    "stacked_events": (dict(traffic__events=[dict(EVENT, name=f"e{i}") for i in range(12)]),
                       "overload"),
    # No requests: users are defined, nothing arrives, nothing fails.
    "zero_requests_per_user": (dict(traffic__requests_per_user_per_day=0), "safe"),
    # Every replica down for a day: infinite load, an outage on every path.
    "full_outage": (dict(fleet__outages=[{"start": "2024-03-01T06:00:00Z", "duration_s": 86400,
                                          "fraction": 1}]), "overload"),
    # Failures far faster than repairs: the fleet fails away.
    "fleet_fails_away": (dict(fleet__failure_rate_per_hour=0.9, fleet__repair_hours=1e4,
                              fleet__node_failure_rate_per_hour=0.5), "overload"),
    # An autoscale floor above the fleet: it applies from the start.
    "floor_above_fleet": (dict(fleet__autoscale={"enabled": "yes", "floor": 40,
                                                 "step_accelerators": 8}), None),
}


@pytest.mark.parametrize("name", sorted(EXTREME))
def test_extreme_values_are_finite_or_overloads(run_infercap, tmp_path, name):
    changes, verdict = EXTREME[name]
    path = scenario(tmp_path, name, **changes)
    out = tmp_path / "x.h5"
    run_infercap(["run", path, "-o", out, "-q"])
    assert scan(out) == []
    head = headline(out)
    if verdict == "overload":
        assert head["outage_probability"] == 1.0
    elif verdict == "safe":
        assert head["outage_probability"] == 0.0
    with h5py.File(out, "r") as f:
        if name == "zero_requests_per_user":
            users = f["series/active_users"][()]
            assert np.all(users > 1e5)
            assert np.all(f["series/arrivals_per_s"][()] == 0)
            assert np.all(f["summary/requests_new"][()] == 0)
        if name == "floor_above_fleet":
            assert np.all(f["series/accelerators_provisioned"][:, 0] == 40)


# name -> (changes, what the message must hold)
REFUSED = {
    "fleet_0": (dict(fleet__accelerators=0), ["/fleet/accelerators", "got 0", "needs 1"]),
    "fleet_1_replica_2": (dict(model="llama-3.1-70b", serving={"weight_precision": "bf16"},
                               fleet__accelerators=1), ["/fleet/accelerators", "got 1", "needs 4"]),
    "tp_32_on_8": (dict(serving={"tensor_parallel": 32}, fleet__accelerators=8),
                   ["/fleet/accelerators", "got 8", "needs 32", "/serving/tensor_parallel"]),
    "deepseek_v3_on_8_l20": (dict(model="deepseek-v3", accelerator="nvidia_l20",
                                  fleet__accelerators=8),
                             ["/fleet/accelerators", "got 8", "deepseek-v3 on nvidia_l20 needs 64"]),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_no_capacity_is_refused(run_infercap, tmp_path, name):
    changes, needles = REFUSED[name]
    path = scenario(tmp_path, name, **changes)
    for cmd in (["validate", path], ["run", path, "-o", tmp_path / "x.h5", "-q"]):
        p = run_infercap(cmd, check=False)
        assert p.returncode == 2, (cmd, p.stdout, p.stderr)
        for needle in needles:
            assert needle in p.stderr, (needle, p.stderr)
    assert not (tmp_path / "x.h5").exists()
