"""The ready scenarios reproduce the observations they were built from.

kimi-2024-03 (issue #3): SimilarWeb weekly web visits of Kimi Chat as quoted by seed 000
(Huajin Securities, 2024-03-26): about 100k in December 2023, 400k in late January 2024 and over
1.6M in mid-March 2024.  The median path's weekly visits at those dates must be within 15%.
"""
import json
import os

import h5py
import numpy as np
import pytest

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KIMI = os.path.join(SRC, "scenarios", "kimi-2024-03.json")

OBSERVED = [
    ("2023-12-15T00:00", 100_000),
    ("2024-01-25T00:00", 400_000),
    ("2024-03-15T00:00", 1_600_000),
]


@pytest.fixture(scope="module")
def kimi(run_infercap, tmp_path_factory):
    out = tmp_path_factory.mktemp("kimi") / "kimi.h5"
    run_infercap(["run", KIMI, "--paths", "100", "-o", out, "-q"])
    with h5py.File(out, "r") as f:
        yield f


def local_days(f, when):
    """Days since the scenario start of a local (scenario offset) date-time."""
    scenario = json.loads(f["scenario"][()])
    start = np.datetime64(scenario["start"][:19])
    return (np.datetime64(when) - start) / np.timedelta64(1, "D")


def test_kimi_weekly_visits_match_the_seed(kimi):
    days = kimi["time"][()] / 86400.0
    q = list(kimi["quantile"][()])
    median = kimi["bands/visits_per_week"][q.index(0.5)]
    for when, value in OBSERVED:
        j = int(np.argmin(abs(days - local_days(kimi, when))))
        assert abs(median[j] / value - 1) < 0.15, (when, median[j], value)


def test_kimi_launch_and_overload_dates(kimi):
    """The surge starts at the launch (2024-03-18 10:00 +08:00) and the overload follows it."""
    scenario = json.loads(kimi["scenario"][()])
    event = scenario["traffic"]["events"][0]
    assert event["start"] == "2024-03-18T10:00:00+08:00"
    first = kimi["summary/first_outage_s"][()] / 86400.0
    launch = local_days(kimi, "2024-03-18T10:00")
    overload = local_days(kimi, "2024-03-20T09:30")
    # Most outages begin after the launch, and the median one within two days of the reported
    # onset of the overload.
    finite = first[np.isfinite(first)]
    assert len(finite) > 50
    assert np.mean(finite >= launch) > 0.8
    assert abs(np.median(finite) - overload) < 2.0
