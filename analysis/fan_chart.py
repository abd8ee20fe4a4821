#!/usr/bin/env python3
"""fan_chart: demand against capacity over time, as quantile bands over the Monte Carlo paths.

Draws the 5-95% and 25-75% bands and the median of /bands/offered_load (arrivals / service
capacity; above 1 the fleet is overloaded) with the overload threshold at 1, the window in
which the first outage starts (p10-p90 of the first-outage time over the paths with one, and
its median), and the scenario's surge events.  --series draws another band (e.g.
demand_tokens_per_s, which is drawn against capacity_tokens_per_s; or arrivals_per_s, with
--capacity naming a series to set against it).  A sweep's file needs --point for each axis.

    analysis/fan_chart.py out/kimi-2024-03.h5 -o kimi_fan.png
    analysis/fan_chart.py out.h5 -o fan.svg --series demand_tokens_per_s --log-y
    analysis/fan_chart.py sweep.h5 -o fan.pdf --point accelerators=4000 \\
        --point accelerator=nvidia_h20
"""

import numpy as np

import _style
from _style import PlotError

PROG = "fan_chart"

# A demand series and the capacity it is drawn against by default.
PAIRS = {"demand_tokens_per_s": "capacity_tokens_per_s"}
# Series whose natural threshold is 1.
UNIT_THRESHOLD = {"offered_load": "overload (offered load = 1)",
                  "utilization": "fully busy (utilisation = 1)"}


def build_parser():
    p = _style.parser(
        "fan_chart.py",
        "Demand against capacity over time: quantile bands over the paths, the overload "
        "threshold, the first-outage window and the scenario's events.",
        epilog=__doc__.split("\n\n", 2)[2])
    p.add_argument("--series", default="offered_load", metavar="NAME",
                   help="the /bands series to draw (default offered_load; e.g. arrivals_per_s, "
                   "demand_tokens_per_s, utilization, ttft_s)")
    p.add_argument("--capacity", metavar="NAME",
                   help="a second /bands series to set against it (its median and 5-95%% band); "
                   "default: capacity_tokens_per_s for demand_tokens_per_s; 'none' for none")
    p.add_argument("--class", dest="cls", metavar="CLASS",
                   help="for a *_by_class series: the request class (default: the first)")
    p.add_argument("--threshold", type=float, metavar="Y",
                   help="a horizontal threshold line (default: 1 for offered_load and utilization)")
    p.add_argument("--no-threshold", action="store_true", help="draw no threshold")
    p.add_argument("--no-outage", action="store_true", help="do not shade the first-outage window")
    p.add_argument("--no-events", action="store_true", help="do not mark the scenario's events")
    p.add_argument("--show-paths", type=int, default=0, metavar="N",
                   help="also draw the first N stored paths (/series) as thin lines")
    p.add_argument("--log-y", action="store_true", help="logarithmic y axis")
    p.add_argument("--days", type=float, nargs=2, metavar=("FROM", "TO"),
                   help="only days FROM to TO since the start (e.g. --days 90 102)")
    _style.add_point_option(p)
    return p


def _levels(r):
    """Indices of (outer low, inner low, median, inner high, outer high) of the bands."""
    q = r.quantile
    if len(q) == 0:
        raise PlotError(f"{r.path}: no /quantile levels")
    med = r.quantile_index(0.5)
    lo_o, hi_o = 0, len(q) - 1
    lo_i, hi_i = (1, len(q) - 2) if len(q) >= 4 else (None, None)
    return lo_o, lo_i, med, hi_i, hi_o


def _pct(x):
    return f"{100 * x:g}"


def _band(r, name, cls):
    if name not in r.bands:
        raise PlotError(f"{PROG}: {r.path} has no /bands/{name}; "
                        f"there are: {', '.join(r.bands)}")
    a = np.asarray(r.bands[name], dtype=float)
    if name.endswith("_by_class"):
        if not r.classes:
            raise PlotError(f"{r.path}: /bands/{name} is by class but the file has no /class")
        c = r.classes.index(cls) if cls in r.classes else 0
        if cls and cls not in r.classes:
            raise PlotError(f"--class {cls}: no such class (classes: {', '.join(r.classes)})")
        a = a[c]
    if a.ndim != 2:
        raise PlotError(f"/bands/{name} has shape {a.shape}, expected [quantile, time]")
    return a


def _window(r, t, args):
    keep = np.ones(len(t), dtype=bool)
    if args.days:
        d = r.time_s / 86400
        keep = (d >= args.days[0]) & (d <= args.days[1])
        if not keep.any():
            raise PlotError(f"--days {args.days[0]:g} {args.days[1]:g}: no output interval in "
                            f"that range (the run covers days 0 to {d[-1]:.4g})")
    return keep


def draw(r, args):
    if r.kind == "request":
        raise PlotError(f"{PROG} needs an aggregate-engine result (bands over paths); {r.path} "
                        "is a request-engine file: use latency_cdf.py")
    if not len(r.time_s):
        raise PlotError(f"{r.path}: no /time axis")
    name = args.series
    band = _band(r, name, args.cls)
    if not np.isfinite(band).any():
        raise PlotError(f"{r.path}: this point has no results in the file (a shard's file?)")
    cap_name = args.capacity if args.capacity else PAIRS.get(name)
    if cap_name and cap_name.lower() == "none":
        cap_name = None
    cap = _band(r, cap_name, args.cls) if cap_name else None

    t = r.time_local
    keep = _window(r, t, args)
    t = t[keep]
    band = band[:, keep]
    lo_o, lo_i, med, hi_i, hi_o = _levels(r)
    q = r.quantile

    fig, ax = _style.figure(args, (11, 5.8))
    key = f"bands/{name}"
    ax.fill_between(t, band[lo_o], band[hi_o], color=_style.DEMAND, alpha=0.15, lw=0,
                    label=f"{_pct(q[lo_o])}–{_pct(q[hi_o])}% of paths")
    if lo_i is not None:
        ax.fill_between(t, band[lo_i], band[hi_i], color=_style.DEMAND, alpha=0.30, lw=0,
                        label=f"{_pct(q[lo_i])}–{_pct(q[hi_i])}%")
    demand_label = "median" if cap is None else f"{name.replace('_', ' ')}: median"
    ax.plot(t, band[med], color=_style.DEMAND, lw=1.6, label=demand_label)

    if args.show_paths > 0 and name in r.series:
        s = np.asarray(r.series[name], dtype=float)
        if name.endswith("_by_class"):
            s = s[r.classes.index(args.cls) if args.cls in r.classes else 0]
        for i in range(min(args.show_paths, s.shape[0])):
            ax.plot(t, s[i, keep], color=_style.NEUTRAL, lw=0.6, alpha=0.55,
                    label="stored paths" if i == 0 else None)

    cax = ax
    if cap is not None:
        cap = cap[:, keep]
        same = r.units.get(f"bands/{cap_name}") == r.units.get(key)
        if not same:
            cax = ax.twinx()
            cax.spines["right"].set_visible(True)
            cax.grid(False)
            cax.set_ylabel(_style.label(r, f"bands/{cap_name}"), color=_style.CAPACITY)
            ax.set_zorder(cax.get_zorder() + 1)  # demand in front of the capacity's band
            ax.patch.set_visible(False)
        cax.fill_between(t, cap[lo_o], cap[hi_o], color=_style.CAPACITY, alpha=0.10, lw=0)
        cax.plot(t, cap[med], color=_style.CAPACITY, lw=1.6,
                 label=f"{cap_name.replace('_', ' ')}: median "
                 f"({_pct(q[lo_o])}–{_pct(q[hi_o])}% shaded)")
        if args.log_y:
            cax.set_yscale("log")

    thr = None if args.no_threshold else (
        args.threshold if args.threshold is not None else (1.0 if name in UNIT_THRESHOLD else None))
    if thr is not None:
        ax.axhline(thr, color=_style.OUTAGE, lw=1.2, ls="--",
                   label=UNIT_THRESHOLD.get(name, f"threshold {thr:g}")
                   if args.threshold is None else f"threshold {thr:g}")

    # The first-outage window (p10-p90 over the paths with an outage) and its median.
    h = r.headline
    fo = np.asarray(h.get("first_outage_s_p10_p50_p90", [np.nan] * 3), dtype=float).ravel()
    if not args.no_outage and fo.size == 3 and np.isfinite(fo).all():
        origin = t[0] - np.timedelta64(int(r.time_s[keep][0]), "s")
        f10, f50, f90 = (origin + np.timedelta64(int(round(x)), "s") for x in fo)
        ax.axvspan(f10, f90, color=_style.OUTAGE, alpha=0.10, lw=0,
                   label="first outage, p10–p90 of paths with one")
        ax.axvline(f50, color=_style.OUTAGE, lw=1.0, ls=":",
                   label=f"first outage, median ({str(f50)[:16].replace('T', ' ')})")

    if not args.no_events:
        events = (r.scenario.get("traffic") or {}).get("events") or []
        ymax_text = 0.98
        for i, ev in enumerate(events):
            et = _style.iso_to_local(ev.get("start"), r.utc_offset_s)
            if et is None or et < t[0] or et > t[-1]:
                continue
            ax.axvline(et, color=_style.EVENT, lw=1.0, ls="-.", alpha=0.8,
                       label="event start" if i == 0 else None)
            ax.text(et, ymax_text, " " + (ev.get("name") or f"event {i}"), rotation=90,
                    va="top", ha="right", fontsize=8, color=_style.EVENT,
                    transform=ax.get_xaxis_transform(), clip_on=True,
                    bbox=dict(facecolor="white", alpha=0.75, lw=0, pad=1))

    # A stopped run: mark where it stopped and grey out the time it never reached.
    if r.partial and r.completed_until_s is not None:
        origin = t[0] - np.timedelta64(int(r.time_s[keep][0]), "s")
        stop = origin + np.timedelta64(int(round(r.completed_until_s)), "s")
        if stop <= t[-1]:
            ax.axvspan(max(stop, t[0]), t[-1], color=_style.NEUTRAL, alpha=0.12, lw=0,
                       label="not run (stopped)")
        ax.axvline(stop, color=_style.OUTAGE, lw=1.4, ls="-",
                   label=f"PARTIAL: stopped at {r.completed_until_text() or 'this time'}")

    if args.log_y:
        ax.set_yscale("log")
    else:
        lo = np.nanmin(band[lo_o]) if np.isfinite(band[lo_o]).any() else 0
        if lo >= 0:
            ax.set_ylim(bottom=0)
    ax.set_xlim(t[0], t[-1])
    _style.date_axis(ax, r)
    ax.set_ylabel(_style.label(r, key), color=_style.DEMAND if cax is not ax else "black")

    handles, labels = ax.get_legend_handles_labels()
    if cax is not ax:
        h2, l2 = cax.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    _style.legend_below(ax, handles, labels, ncol=3)

    what = ("demand against capacity (offered load over paths)" if name == "offered_load"
            else _style.shorten(r.long_name.get(key, name), 70))
    if name.endswith("_by_class"):
        what += f", class {args.cls or r.classes[0]}"
    sub = []
    if r.selection:
        sub.append(", ".join(f"{k}={_fmt_sel(v)}" for k, v in r.selection.items()))
    fleet = _fleet_text(h)
    if fleet:
        sub.append(fleet)
    if "outage_probability" in h:
        sub.append("P(outage) " + _style.fmt_ci(h["outage_probability"],
                                                h.get("outage_probability_ci95")))
    _style.title(ax, r, what, args, "; ".join(sub))
    return fig


def _fmt_sel(v):
    import infercap_h5
    return infercap_h5.format_value(v)


def _fleet_text(h):
    n = h.get("accelerators_mean")
    acc = h.get("accelerator") or h.get("accelerator_key")
    model = h.get("model") or h.get("model_key")
    if n is None or acc is None:
        return ""
    s = f"{_style.fmt(n)} x {acc}"
    if model:
        s += f" serving {model}"
    return s


def main(argv=None):
    return _style.plot_main(build_parser(), draw, argv, PROG)


if __name__ == "__main__":
    _style.cli(main)
