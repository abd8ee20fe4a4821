#!/usr/bin/env python3
"""infercap_h5: read an infercap result file (HDF5) into plain numpy arrays.

    import infercap_h5
    r = infercap_h5.load("out/kimi-2024-03.h5")
    r.kind                      # "aggregate", "sweep" or "request"
    r.time                      # datetime64[ns] (UTC) of each output interval; r.time_s: seconds
    r.bands["offered_load"]     # [axes..., quantile, time]; r.quantile holds the levels
    r.summary["outage"]         # [axes..., path]
    r.headline["outage_probability"]   # a float, or an array over the sweep's axes
    r.units["bands/offered_load"], r.long_name["offered_load"]
    p = r.point(accelerators=4000, accelerator="nvidia_h20")   # one point of a sweep

Three kinds of file (sim/io/output.h describes the layout):

- aggregate, no sweep: time, quantile, bands[name] (quantile x time; *_by_class: class x
  quantile x time), series[name] (stored_path x time), summary[name] (path), inputs[name] (path),
  autoscale[name] (stored_path x action); headline = the attributes of /summary.
- aggregate with a sweep (root attribute sweep_axes not empty): every array has the sweep's
  axes first; axes = [Axis(name, pointer, values)] from the dimension scales at the root;
  headline[name] = the /headline datasets (arrays over the axes; intervals `*_ci95` have a
  trailing dimension of 2, first_outage_s_p10_p50_p90 one of 3; accelerator_key and model_key
  are strings); point_done says which points the file holds (a shard's file holds only some).
- request engine (root attribute engine == "request"): requests[name] [request] columns,
  replicas[name] [replica x time], headline = the attributes of /requests (headline_json is
  also parsed into headline_detail).

Datasets are read when first used (the mappings are lazy) and kept; everything returned is a
numpy array or a plain Python value; strings are str.  units[...] and long_name[...] are keyed
by "group/name" and, where the bare name is not ambiguous in that respect, by "name" too.

`to_xarray(path, group)` opens a group with xarray (engine h5netcdf, else netcdf4).

Only h5py and numpy are needed (Debian: python3-h5py, python3-numpy).
"""

import collections
import collections.abc
import json
import re
import warnings

import numpy as np

try:
    import h5py
except ImportError as e:  # pragma: no cover - depends on the machine
    raise ImportError(
        "infercap_h5 needs h5py (Debian/Ubuntu: apt-get install python3-h5py; "
        "or pip install h5py)"
    ) from e

__all__ = ["Axis", "Result", "FileError", "load", "to_xarray", "parse_point"]

Axis = collections.namedtuple("Axis", "name pointer values")
Axis.__doc__ = "A sweep axis: its dimension name, the JSON Pointer it sets, its values (array)."

# The groups whose datasets carry the sweep's axes first (and, for a point, are sliced).
_SWEPT_GROUPS = ("bands", "series", "summary", "inputs", "autoscale", "headline")
_DATA_GROUPS = _SWEPT_GROUPS + ("requests", "replicas")


class FileError(ValueError):
    """The file is not an infercap result file, or lacks what was asked of it."""


def _plain(v):
    """An attribute or scalar dataset value as plain Python (str, int, float, list) or array."""
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, np.ndarray):
        if v.dtype.kind in "SO":
            return np.array([_plain(x) for x in v.ravel()], dtype=object).reshape(v.shape)
        return v
    if isinstance(v, np.generic):
        return v.item()
    return v


def _read(ds, index=()):
    """A dataset (or a slice of it) as a numpy array; strings as an object array of str."""
    if h5py.check_string_dtype(ds.dtype) is not None:
        a = ds.asstr()[index] if index else ds.asstr()[()]
        a = np.asarray(a, dtype=object)
        return a.item() if a.ndim == 0 else a
    a = ds[index] if index else ds[()]
    return a


def _dims(ds):
    """The names of a dataset's dimensions from its attached dimension scales (None if unset)."""
    names = []
    try:
        for d in ds.dims:
            scales = list(d.values())
            if scales:
                names.append(scales[0].name.rsplit("/", 1)[-1])
            else:
                names.append(d.label or None)
    except Exception:  # a file written without dimension scales
        return (None,) * ds.ndim
    return tuple(names)


def _time_origin(units):
    """numpy datetime64 of a CF "seconds since YYYY-MM-DD hh:mm:ss" string (None if other)."""
    m = re.match(r"\s*seconds\s+since\s+(\d{4}-\d{2}-\d{2})"
                 r"(?:[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?", units or "")
    if not m:
        return None
    text = m.group(1) + "T" + (m.group(2) or "00:00:00")
    return np.datetime64(text, "ns")


class _Lazy(collections.abc.Mapping):
    """name -> numpy array of the datasets of one group, read on first use (and kept).

    `index` slices the leading (sweep) dimensions: a point's view reads only its slice."""

    def __init__(self, path, group, names, index=()):
        self._path = path
        self._group = group
        self._names = list(names)
        self._index = tuple(index)
        self._cache = {}

    def __getitem__(self, name):
        if name not in self._cache:
            if name not in self._names:
                raise KeyError(f"{name!r}: no dataset /{self._group}/{name} "
                               f"(there are: {', '.join(self._names) or 'none'})")
            with h5py.File(self._path, "r") as f:
                self._cache[name] = _read(f[self._group][name], self._index)
        return self._cache[name]

    def __iter__(self):
        return iter(self._names)

    def __len__(self):
        return len(self._names)

    def __repr__(self):
        return f"<{self._group}: {', '.join(self._names)}>"

    def sliced(self, index):
        return _Lazy(self._path, self._group, self._names, self._index + tuple(index))


class Result:
    """The contents of one result file (see the module's docstring).  Attributes:

    path, kind ("aggregate" | "sweep" | "request"), engine, attrs (root attributes), name
    (scenario_name), scenario (the resolved scenario, parsed), axes [Axis], time_s, time
    (datetime64[ns], UTC), time_local (the same in the scenario's UTC offset, utc_offset_s),
    quantile, classes (list of str), stored_path, path_index, bands, series, summary, inputs,
    autoscale, requests, replicas (name -> array), headline (dict), units, long_name, dims
    ("group/name" -> tuple of dimension names), point_done (array over the axes, or None),
    selection (for a point of a sweep: {axis name: value}), partial (the run was stopped: root
    attribute partial = 1), completed_until_s (how far the run got, seconds from the start:
    the horizon when complete; a stopped sweep keeps the horizon and says which points it
    finished in point_done; None when not recorded) and partial_note() (the line every reader shows).
    """

    def __init__(self, path):
        self.path = str(path)
        try:
            f = h5py.File(self.path, "r")
        except (OSError, FileNotFoundError) as e:
            raise FileError(f"{self.path}: cannot open as HDF5 ({e})") from e
        with f:
            self.attrs = {k: _plain(v) for k, v in f.attrs.items()}
            if "scenario" not in f:
                raise FileError(f"{self.path}: not an infercap result file (no /scenario)")
            self.engine = self.attrs.get("engine", "aggregate")
            self.name = self.attrs.get("scenario_name", "")
            try:
                self.scenario = json.loads(_read(f["scenario"]))
            except (ValueError, TypeError):
                self.scenario = {}
            if not self.name:
                self.name = self.scenario.get("name", "")
            self.utc_offset_s = int(self.attrs.get("utc_offset_s", 0) or 0)

            axis_names = str(self.attrs.get("sweep_axes", "") or "").split()
            self.axes = []
            for a in axis_names:
                if a not in f:
                    raise FileError(f"{self.path}: sweep axis {a!r} has no dimension scale")
                ds = f[a]
                self.axes.append(Axis(a, _plain(ds.attrs.get("pointer", "")), _read(ds)))
            if self.engine == "request":
                self.kind = "request"
            elif self.axes:
                self.kind = "sweep"
            else:
                self.kind = "aggregate"

            # Dimension scales at the root.
            def scale(name, dtype=None):
                if name in f and isinstance(f[name], h5py.Dataset):
                    return _read(f[name])
                return np.zeros(0, dtype=dtype or float)

            self.time_s = np.asarray(scale("time"), dtype=float)
            self.time_units = _plain(f["time"].attrs.get("units", "")) if "time" in f else ""
            origin = None
            if "start_unix_s" in self.attrs:
                origin = np.datetime64(int(round(float(self.attrs["start_unix_s"]) * 1e3)), "ms")
                origin = origin.astype("datetime64[ns]")
            cf = _time_origin(self.time_units)
            if origin is None:
                origin = cf
            self.time_origin = origin  # the UTC instant time_s counts from
            if origin is not None:
                self.time = origin + (self.time_s * 1e9).astype("timedelta64[ns]")
                self.time_local = self.time + np.timedelta64(self.utc_offset_s, "s")
            else:
                self.time = self.time_local = None
            self.quantile = np.asarray(scale("quantile"), dtype=float)
            self.stored_path = np.asarray(scale("stored_path", int))
            self.path_index = np.asarray(scale("path", int))
            cls = scale("class", object)
            self.classes = [str(c) for c in np.atleast_1d(cls)] if np.size(cls) else []
            self.bound = np.asarray(scale("bound"), dtype=float)
            self.first_outage_quantile = np.asarray(scale("first_outage_quantile"), dtype=float)

            self.units, self.long_name, self.dims = {}, {}, {}
            groups = {}
            for g in _DATA_GROUPS:
                names = []
                if g in f and isinstance(f[g], h5py.Group):
                    for n, ds in f[g].items():
                        if not isinstance(ds, h5py.Dataset):
                            continue
                        names.append(n)
                        key = f"{g}/{n}"
                        self.units[key] = _plain(ds.attrs.get("units", ""))
                        self.long_name[key] = _plain(ds.attrs.get("long_name", ""))
                        self.dims[key] = _dims(ds)
                groups[g] = names
            for n in ("time", "quantile", "path", "stored_path", "class", "point_done",
                      "scenario", *axis_names):
                if n in f and isinstance(f[n], h5py.Dataset):
                    self.units[n] = _plain(f[n].attrs.get("units", ""))
                    self.long_name[n] = _plain(f[n].attrs.get("long_name", ""))
            # Bare names, where every group that has one agrees on its units.
            seen = {}
            for key, u in list(self.units.items()):
                if "/" in key:
                    seen.setdefault(key.split("/", 1)[1], set()).add((u, key))
            for n, us in seen.items():
                if n in self.units:
                    continue
                if len({u for u, _ in us}) == 1:
                    first = sorted(k for _, k in us)[0]
                    self.units[n] = self.units[first]
                    self.long_name[n] = self.long_name[first]

            self.bands = _Lazy(self.path, "bands", groups["bands"])
            self.series = _Lazy(self.path, "series", groups["series"])
            self.summary = _Lazy(self.path, "summary", groups["summary"])
            self.inputs = _Lazy(self.path, "inputs", groups["inputs"])
            self.autoscale = _Lazy(self.path, "autoscale", groups["autoscale"])
            self.requests = _Lazy(self.path, "requests", groups["requests"])
            self.replicas = _Lazy(self.path, "replicas", groups["replicas"])
            self.inputs_pointer = {
                n: _plain(f["inputs"][n].attrs.get("pointer", "")) for n in groups["inputs"]
            }

            self.headline_detail = None
            if self.kind == "request":
                self.headline = ({k: _plain(v) for k, v in f["requests"].attrs.items()}
                                 if "requests" in f else {})
                try:
                    self.headline_detail = json.loads(self.headline.get("headline_json", ""))
                except (ValueError, TypeError):
                    self.headline_detail = None
            elif self.kind == "sweep":
                self.headline = {n: _read(f["headline"][n]) for n in groups["headline"]}
            else:
                self.headline = ({k: _plain(v) for k, v in f["summary"].attrs.items()}
                                 if "summary" in f else {})
            self.point_done = _read(f["point_done"]) if "point_done" in f else None
        # A stopped run: its figures cover only what was complete (issue #13).
        try:
            self.partial = bool(int(self.attrs.get("partial", 0) or 0))
        except (TypeError, ValueError):
            self.partial = True  # unreadable: never let it pass for complete
        try:
            until = float(self.attrs["completed_until_s"])
        except (KeyError, TypeError, ValueError):
            until = float("nan")
        self.completed_until_s = until if np.isfinite(until) else None
        self.selection = {}

    # ---- sweeps -----------------------------------------------------------------------------
    @property
    def is_sweep(self):
        return bool(self.axes)

    @property
    def axis_names(self):
        return [a.name for a in self.axes]

    @property
    def shape(self):
        """The sizes of the sweep's axes (() without a sweep)."""
        return tuple(len(a.values) for a in self.axes)

    def axis(self, key):
        """The axis named `key` or setting the pointer `key` (None when there is none)."""
        for a in self.axes:
            if key in (a.name, a.pointer):
                return a
        return None

    def axis_position(self, key):
        for i, a in enumerate(self.axes):
            if key in (a.name, a.pointer):
                return i
        return None

    def value_index(self, key, value):
        """The index of `value` (a number or a string, e.g. from the command line) on an axis."""
        a = self.axis(key)
        if a is None:
            raise FileError(f"{self.path}: no sweep axis {key!r} "
                            f"(axes: {', '.join(self.axis_names) or 'none'})")
        vals = list(a.values)
        text = str(value)
        for i, v in enumerate(vals):
            if isinstance(v, str) or not isinstance(v, (int, float, np.number)):
                if str(v) == text:
                    return i
            else:
                try:
                    x = float(value)
                except (TypeError, ValueError):
                    continue
                if np.isclose(float(v), x, rtol=1e-9, atol=0):
                    return i
        raise FileError(f"{self.path}: axis {a.name} has no value {text!r} "
                        f"(its values: {', '.join(format_value(v) for v in vals)})")

    def points(self):
        """Every point of the sweep as (selection {axis: value}, index tuple)."""
        for idx in np.ndindex(*self.shape):
            yield {a.name: a.values[i] for a, i in zip(self.axes, idx)}, idx

    def point(self, selection=None, **kw):
        """One point of a sweep as a Result without sweep axes (the arrays hold its slice).

        selection: {axis name or pointer: value}; every axis must be given.  A file without a
        sweep is returned as it is (an empty selection)."""
        sel = dict(selection or {})
        sel.update(kw)
        if not self.axes:
            if sel:
                raise FileError(f"{self.path}: not a sweep; cannot select {sel}")
            return self
        idx = [None] * len(self.axes)
        for k, v in sel.items():
            pos = self.axis_position(k)
            if pos is None:
                raise FileError(f"{self.path}: no sweep axis {k!r} "
                                f"(axes: {', '.join(self.axis_names)})")
            idx[pos] = self.value_index(k, v)
        missing = [a.name for a, i in zip(self.axes, idx) if i is None]
        if missing:
            raise FileError(
                f"{self.path}: a point needs a value of every axis; missing: "
                + ", ".join(f"{a.name} (one of {', '.join(format_value(v) for v in a.values)})"
                            for a in self.axes if a.name in missing))
        return self.point_at(tuple(idx))

    def point_at(self, idx):
        """The point at index tuple `idx` (one index per axis) as a Result without sweep axes."""
        idx = tuple(int(i) for i in idx)
        if len(idx) != len(self.axes):
            raise FileError(f"point index {idx} does not match the axes {self.axis_names}")
        p = object.__new__(Result)
        p.__dict__.update(self.__dict__)
        p.selection = {a.name: a.values[i] for a, i in zip(self.axes, idx)}
        p.axes = []
        p.kind = "aggregate"
        for g in _SWEPT_GROUPS:
            if g != "headline":
                setattr(p, g, getattr(self, g).sliced(idx))
        p.headline = {}
        for n, v in self.headline.items():
            x = v[idx] if isinstance(v, np.ndarray) else v
            p.headline[n] = _plain(x) if np.ndim(x) == 0 else x
        p.dims = {k: (d[len(idx):] if k.split("/", 1)[0] in _SWEPT_GROUPS else d)
                  for k, d in self.dims.items()}
        p.point_done = None if self.point_done is None else int(self.point_done[idx])
        return p

    # ---- partial runs -----------------------------------------------------------------------
    def completed_until_text(self):
        """Where a stopped run got to, as a date in the scenario's UTC offset ("2024-03-25
        14:00 UTC+08:00"), or None when the file does not say."""
        if self.completed_until_s is None or self.time_origin is None:
            return None
        t = self.time_origin + np.timedelta64(int(round(self.completed_until_s)), "s") + \
            np.timedelta64(self.utc_offset_s, "s")
        off = self.utc_offset_s
        tz = "UTC" if not off else \
            f"UTC{'+' if off >= 0 else '-'}{abs(off) // 3600:02d}:{abs(off) // 60 % 60:02d}"
        return f"{str(t.astype('datetime64[m]')).replace('T', ' ')} {tz}"

    def partial_note(self):
        """None for a complete run; otherwise one line that says PARTIAL and how far it got,
        which every plot and the report show (a stopped run's headline reads as safe)."""
        if self.point_done is not None and np.ndim(self.point_done) == 0:
            # One point of a sweep: a sweep stops between points, so a finished point is
            # complete.
            if int(self.point_done):
                return None
            return ("PARTIAL: this point of the sweep is not in the file (the run was stopped "
                    "before it, or another shard holds it); its figures are missing")
        if not self.partial:
            return None
        if self.point_done is not None and np.ndim(self.point_done) > 0:
            # A sweep stops between points (its completed_until_s stays the horizon).
            done = int(np.count_nonzero(np.asarray(self.point_done)))
            return (f"PARTIAL: the run was stopped with {done} of {np.size(self.point_done)} "
                    "sweep points finished; the others are missing")
        if self.completed_until_s is not None:
            days = self.completed_until_s / 86400.0
            horizon = self.attrs.get("horizon_days")
            of = f" of {float(horizon):g}" if horizon not in (None, "") else ""
            when = self.completed_until_text()
            at = f"{when} (day {days:.3g}{of})" if when else f"day {days:.3g}{of}"
            return (f"PARTIAL: the run was stopped at {at}; every figure covers the run only "
                    "to then")
        return "PARTIAL: the run was stopped before it finished; its figures are incomplete"

    # ---- helpers ------------------------------------------------------------------------------
    def quantile_index(self, q):
        """The index of the band level nearest to q."""
        if not len(self.quantile):
            raise FileError(f"{self.path}: no /quantile (not an aggregate result?)")
        return int(np.argmin(np.abs(self.quantile - q)))

    def describe(self):
        """A one-line description: name, kind, paths, axes."""
        parts = [self.name or "(unnamed)", self.kind]
        if "paths" in self.attrs:
            parts.append(f"{self.attrs['paths']} paths")
        if self.axes:
            parts.append(" x ".join(f"{a.name}[{len(a.values)}]" for a in self.axes))
        if self.selection:
            parts.append(", ".join(f"{k}={format_value(v)}" for k, v in self.selection.items()))
        if self.partial:
            parts.append("PARTIAL")
        return ", ".join(parts)

    def __repr__(self):
        return f"<infercap result {self.path}: {self.describe()}>"


def format_value(v):
    """An axis value as text: integers without a decimal point."""
    if isinstance(v, (float, np.floating)) and np.isfinite(v) and float(v).is_integer():
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return f"{float(v):g}"
    if isinstance(v, bytes):
        v = v.decode("utf-8", "replace")
    text = str(v)
    if text.startswith("{"):
        # an inline catalog entry or override: its base (or name) and what it changes
        try:
            obj = json.loads(text)
        except ValueError:
            return text
        if isinstance(obj, dict):
            head = obj.get("base") or obj.get("name")
            rest = [f"{k}={format_value(x)}" for k, x in obj.items() if k not in ("base", "name")]
            if head:
                return f"{head} ({', '.join(rest)})" if rest and len(rest) <= 3 else str(head)
    return text


def parse_point(items):
    """Parse ["name=value", ...] (the --point options) into {name: value}."""
    out = {}
    for it in items or []:
        if "=" not in it:
            raise FileError(f"--point {it!r}: expected NAME=VALUE (e.g. accelerators=4000)")
        k, v = it.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def load(path):
    """Read a result file (see the module docstring); raises FileError when it is not one."""
    return Result(path)


def to_xarray(path, group=None):
    """The group (None: the root) of a result file as an xarray Dataset.

    Uses the h5netcdf engine when it is installed, else netcdf4.  Raises ImportError with what
    to install when xarray or both engines are missing."""
    try:
        import xarray as xr
    except ImportError as e:
        raise ImportError(
            "to_xarray needs xarray (Debian/Ubuntu: apt-get install python3-xarray; "
            "or pip install xarray) and h5netcdf or netCDF4; infercap_h5.load() needs only h5py"
        ) from e
    engine = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Debian's netCDF4 warns about numpy's ABI on import
        for eng, module in (("h5netcdf", "h5netcdf"), ("netcdf4", "netCDF4")):
            try:
                __import__(module)
            except ImportError:
                continue
            engine = eng
            break
        if engine is None:
            raise ImportError(
                "to_xarray needs h5netcdf or netCDF4 for xarray to read HDF5 "
                "(Debian/Ubuntu: apt-get install python3-h5netcdf or python3-netcdf4; "
                "or pip install h5netcdf)"
            )
        ds = xr.open_dataset(str(path), group=group, engine=engine)
        if group not in (None, "", "/"):
            # A group's variables name the root's dimension scales; give them their values
            # (the sweep's axes, time decoded to dates, quantile levels, class names).
            with xr.open_dataset(str(path), engine=engine) as root:
                coords = {d: root[d].values for d in ds.dims
                          if d in root.variables and root[d].dims == (d,)}
            ds = ds.assign_coords(coords)
        return ds


if __name__ == "__main__":
    import sys

    for p in sys.argv[1:] or ["--help"]:
        if p in ("-h", "--help"):
            print("usage: infercap_h5.py FILE.h5...   (prints what each result file holds)")
            sys.exit(0)
        try:
            r = load(p)
        except FileError as e:
            print(f"infercap_h5: {e}", file=sys.stderr)
            sys.exit(2)
        print(repr(r))
        for g in _DATA_GROUPS:
            m = getattr(r, g) if g != "headline" else r.headline
            if len(m):
                print(f"  {g}: {', '.join(m)}")
