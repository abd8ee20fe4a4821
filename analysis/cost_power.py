#!/usr/bin/env python3
"""cost_power: what a fleet costs per day and draws in power, against its size.

Two panels over a sweep of /fleet/accelerators: the mean cost per day (/headline/cost_usd_mean
divided by the root attribute horizon_days, with its 95% interval as error bars) and the mean
power at the wall in megawatts (the median band of /bands/power_kw, averaged over time; the
shading runs between the time-averaged 25% and 75% bands).  One line per value of the other
sweep axis (e.g. the accelerator); fix further axes with --point.

    analysis/cost_power.py sweep.h5 -o cost_power.png
    analysis/cost_power.py sweep.h5 -o cost_power.pdf --log-x --point accelerator=nvidia_h20
"""

import numpy as np

import _style
import infercap_h5
from _style import PlotError

PROG = "cost_power"


def build_parser():
    p = _style.parser(
        "cost_power.py",
        "Mean cost per day and mean power against fleet size (a sweep over "
        "/fleet/accelerators), one line per value of a second axis.",
        epilog=__doc__.split("\n\n", 2)[2])
    p.add_argument("--log-x", action="store_true", help="logarithmic fleet-size axis")
    _style.add_point_option(p)
    return p


def _time_mean(a):
    """Mean over the last (time) axis, ignoring NaN (a missing point stays NaN)."""
    a = np.asarray(a, dtype=float)
    with np.errstate(invalid="ignore"):
        n = np.isfinite(a).sum(axis=-1)
        s = np.nansum(a, axis=-1)
        return np.where(n > 0, s / np.maximum(n, 1), np.nan)


def draw(r, args):
    if r.kind == "request":
        raise PlotError(f"{PROG} needs a sweep over /fleet/accelerators; {r.path} is a "
                        "request-engine file")
    fleet, fpos, lines = _style.fleet_lines(r, PROG, args.point)
    if "cost_usd_mean" not in r.headline:
        raise PlotError(f"{r.path}: no /headline/cost_usd_mean")
    if "power_kw" not in r.bands:
        raise PlotError(f"{r.path}: no /bands/power_kw")
    days = float(r.attrs.get("horizon_days") or 0)
    if days <= 0:
        raise PlotError(f"{r.path}: the root attribute horizon_days is missing")
    n = len(r.axes)
    cost = np.asarray(r.headline["cost_usd_mean"], dtype=float) / days
    cost_ci = r.headline.get("cost_usd_mean_ci95")
    cost_ci = None if cost_ci is None else np.asarray(cost_ci, dtype=float) / days
    power = np.asarray(r.bands["power_kw"], dtype=float)  # [axes..., quantile, time]
    qm, q25, q75 = r.quantile_index(0.5), r.quantile_index(0.25), r.quantile_index(0.75)
    p_med = _time_mean(power[..., qm, :]) / 1000.0
    p_lo = _time_mean(power[..., q25, :]) / 1000.0
    p_hi = _time_mean(power[..., q75, :]) / 1000.0

    x = np.asarray(fleet.values, dtype=float)
    order = np.argsort(x)
    xs = x[order]
    size = tuple(args.size) if args.size else (12, 5.2)
    fig, (ax1, ax2) = _style.pyplot().subplots(1, 2, figsize=size)
    from matplotlib.ticker import FuncFormatter
    many = len(lines) > 1
    for k, (lab, idx) in enumerate(lines):
        color = _style.CYCLE[k % len(_style.CYCLE)]
        c = _style.take(cost, fpos, idx, n)[order]
        ok = np.isfinite(c)
        if ok.any():
            yerr = None
            if cost_ci is not None:
                ci = _style.take(cost_ci, fpos, idx, n)[order]
                yerr = np.vstack([np.clip(c - ci[:, 0], 0, None),
                                  np.clip(ci[:, 1] - c, 0, None)])[:, ok]
            ax1.errorbar(xs[ok], c[ok], yerr=yerr, color=color, marker="o", ms=5, lw=1.6,
                         capsize=3, elinewidth=1, label=lab if many or lab else None)
        pm = _style.take(p_med, fpos, idx, n)[order]
        ok = np.isfinite(pm)
        if ok.any():
            lo = _style.take(p_lo, fpos, idx, n)[order]
            hi = _style.take(p_hi, fpos, idx, n)[order]
            ax2.fill_between(xs[ok], lo[ok], hi[ok], color=color, alpha=0.15, lw=0)
            ax2.plot(xs[ok], pm[ok], color=color, marker="o", ms=5, lw=1.6,
                     label=lab if many or lab else None)
    for ax in (ax1, ax2):
        if args.log_x:
            ax.set_xscale("log")
            ax.minorticks_off()
        ax.set_xticks(x)
        ax.set_xticklabels([infercap_h5.format_value(v) for v in x],
                           rotation=30 if len(x) > 6 else 0)
        ax.set_xlabel(f"fleet size: {fleet.pointer} (accelerators)")
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _style.fmt_short(v)))
    ax1.set_ylabel("mean cost per day (USD/day)")
    ax1.set_title("cost per day (mean over paths, 95% CI)", loc="left", fontsize=10,
                  fontweight="normal")
    ax2.set_ylabel("mean power at the wall (MW)")
    ax2.set_title("power (median band averaged over time; shaded 25–75%)", loc="left",
                  fontsize=10, fontweight="normal")
    other = [a.name for i, a in enumerate(r.axes) if i != fpos]
    if ax1.get_legend_handles_labels()[0]:
        ax1.legend(title=", ".join(other) if len(other) == 1 and many else None, loc="best")
    sub = f"horizon {days:g} days"
    if args.point:
        sub = "; ".join(args.point + [sub])
    _style.title(fig, r, "cost and power against fleet size", args, sub)
    return fig


def main(argv=None):
    return _style.plot_main(build_parser(), draw, argv)


if __name__ == "__main__":
    _style.cli(main)
