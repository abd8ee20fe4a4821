"""The result file read by xarray through netCDF-4 (engines netcdf4 and h5netcdf): the HDF5
dimension scales must appear as named dimensions and the time axis must decode (CF units
"seconds since <start in UTC>")."""

import datetime
import importlib
import json
import warnings

import numpy as np
import pytest

xr = pytest.importorskip("xarray")

ENGINES = [
    pytest.param("netcdf4", "netCDF4", id="netcdf4"),
    pytest.param("h5netcdf", "h5netcdf", id="h5netcdf"),
]
GROUP_DIMS = {
    "series": ("stored_path", "time"),
    "bands": ("quantile", "time"),
    "summary": ("path",),
    "inputs": ("path",),
}


def open_ds(path, engine, module, group=None):
    with warnings.catch_warnings():
        # Debian's netCDF4 warns about the numpy ABI on import; not our business here.
        warnings.simplefilter("ignore")
        try:
            importlib.import_module(module)
        except ImportError:
            pytest.skip(f"xarray engine {engine}: Python module {module} is not installed")
        return xr.open_dataset(path, engine=engine, group=group)


def start_utc_naive(start_text):
    """The scenario's ISO-8601 start (with its UTC offset) as a naive UTC datetime64."""
    t = datetime.datetime.fromisoformat(start_text.replace("Z", "+00:00"))
    t = t.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return np.datetime64(t, "ns")


@pytest.mark.parametrize("engine,module", ENGINES)
@pytest.mark.parametrize("group", sorted(GROUP_DIMS))
def test_group_dimensions(result_path, small_scenario, engine, module, group):
    paths = small_scenario["paths"]
    store = small_scenario["output"]["store_paths"]
    nout = round(small_scenario["horizon_days"] * 86400 / small_scenario["output"]["interval_s"])
    ncls = len(small_scenario["workload"]["classes"])
    sizes = {"path": paths, "stored_path": store, "time": nout, "quantile": 5, "class": ncls}
    want_dims = GROUP_DIMS[group]
    with open_ds(result_path, engine, module, group) as ds:
        assert len(ds.data_vars) > 0, f"xarray sees no variables in /{group}"

        def expected(name):  # series split by request class lead with a class axis
            return (("class",) if name.endswith("_by_class") else ()) + want_dims

        bad = {
            name: v.dims for name, v in ds.data_vars.items() if tuple(v.dims) != expected(name)
        }
        assert not bad, f"/{group}: variables with other dimensions than expected: {bad}"
        used = {d for v in ds.data_vars.values() for d in v.dims}
        assert dict(ds.sizes) == {d: sizes[d] for d in used}
        for name, v in ds.data_vars.items():
            assert v.attrs.get("long_name"), f"/{group}/{name}: no long_name through xarray"


@pytest.mark.parametrize("engine,module", ENGINES)
def test_root_coordinates_and_time(result_path, small_scenario, engine, module):
    paths = small_scenario["paths"]
    store = small_scenario["output"]["store_paths"]
    interval = small_scenario["output"]["interval_s"]
    nout = round(small_scenario["horizon_days"] * 86400 / interval)
    with open_ds(result_path, engine, module) as ds:
        ncls = len(small_scenario["workload"]["classes"])
        nact = small_scenario.get("fleet", {}).get("autoscale", {}).get("max_actions", 20)
        assert dict(ds.sizes) == {
            "time": nout, "quantile": 5, "path": paths, "stored_path": store, "class": ncls,
            "action": nact,
        }
        assert [str(c) for c in ds["class"].values] == [
            c["name"] for c in small_scenario["workload"]["classes"]
        ]
        for c in ("time", "quantile", "path", "stored_path", "class"):
            assert c in ds.coords, f"{c} is not a coordinate"
        time = ds["time"].values
        assert np.issubdtype(time.dtype, np.datetime64), f"time decoded as {time.dtype}"
        start = start_utc_naive(small_scenario["start"])
        assert time[0] == start, (time[0], small_scenario["start"])
        steps = np.diff(time).astype("timedelta64[s]").astype(np.int64)
        assert np.all(steps == interval)
        np.testing.assert_allclose(ds["quantile"].values, [0.05, 0.25, 0.5, 0.75, 0.95])
        np.testing.assert_array_equal(ds["path"].values, np.arange(paths))
        # The resolved scenario is a root variable too.
        assert json.loads(str(ds["scenario"].values))["name"] == small_scenario["name"]
