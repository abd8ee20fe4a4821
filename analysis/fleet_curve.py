#!/usr/bin/env python3
"""fleet_curve: outage probability against fleet size, from a sweep over /fleet/accelerators.

Each point is the share of paths with an outage at that fleet size, with its Wilson 95%
interval as error bars (/headline/outage_probability and outage_probability_ci95); one line per
value of the other sweep axis (e.g. the accelerator), or per combination when there are several
(fix some with --point).  --target P draws the risk you accept and marks, on each line, the
smallest fleet size whose estimate is at or under it.  Points missing from the file (a shard's
file) are left out.

    infercap run scenarios/wanka-h100-vs-ascend910b.json --paths 200 -o sweep.h5 \\
        --sweep /fleet/accelerators=geom:2000:16000:4 \\
        --sweep /accelerator=nvidia_h100_sxm,nvidia_h20
    analysis/fleet_curve.py sweep.h5 -o fleet.png --target 0.05 --log-x
"""

import numpy as np

import _style
import infercap_h5
from _style import PlotError

PROG = "fleet_curve"


def build_parser():
    p = _style.parser(
        "fleet_curve.py",
        "Outage probability against fleet size (a sweep over /fleet/accelerators) with Wilson "
        "95% intervals, one line per value of a second axis.",
        epilog=__doc__.split("\n\n", 2)[2])
    p.add_argument("--target", type=float, metavar="P",
                   help="draw the accepted outage probability P (e.g. 0.05) and mark the "
                   "smallest fleet meeting it on each line")
    p.add_argument("--log-x", action="store_true", help="logarithmic fleet-size axis")
    p.add_argument("--log-y", action="store_true",
                   help="logarithmic probability axis (points at 0 are drawn at the axis' floor)")
    p.add_argument("--figure", default="outage_probability", metavar="NAME",
                   help="the /headline figure to draw (default outage_probability; its "
                   "NAME_ci95 gives the error bars when the file has it)")
    _style.add_point_option(p)
    return p


def draw(r, args):
    if r.kind == "request":
        raise PlotError(f"{PROG} needs a sweep over /fleet/accelerators; {r.path} is a "
                        "request-engine file")
    fleet, fpos, lines = _style.fleet_lines(r, PROG, args.point)
    name = args.figure
    if name not in r.headline:
        raise PlotError(f"{r.path}: no /headline/{name} (there are: {', '.join(r.headline)})")
    y_all = np.asarray(r.headline[name])
    if y_all.dtype.kind not in "fiub":
        raise PlotError(f"/headline/{name} is not numeric")
    ci_all = r.headline.get(name + "_ci95")
    x = np.asarray(fleet.values, dtype=float)
    order = np.argsort(x)
    n = len(r.axes)

    fig, ax = _style.figure(args, (9, 5.6))
    many = len(lines) > 1
    floor = None
    if args.log_y:
        pos = y_all[np.isfinite(y_all) & (y_all > 0)]
        floor = (pos.min() / 3) if pos.size else 1e-3
    for k, (lab, idx) in enumerate(lines):
        y = _style.take(y_all, fpos, idx, n).astype(float)[order]
        xs = x[order]
        ok = np.isfinite(y)
        if not ok.any():
            continue
        color = _style.CYCLE[k % len(_style.CYCLE)]
        yerr = None
        if ci_all is not None:
            ci = _style.take(ci_all, fpos, idx, n).astype(float)[order]
            yerr = np.vstack([np.clip(y - ci[:, 0], 0, None), np.clip(ci[:, 1] - y, 0, None)])
            yerr = yerr[:, ok]
        yy = y[ok]
        if floor is not None:
            yy = np.where(yy > 0, yy, floor)
        if args.target is not None:
            meet = np.where(ok & (y <= args.target))[0]
            if meet.size:
                j = meet[0]
                lab = f"{lab}: {infercap_h5.format_value(xs[j])}" if lab else \
                    infercap_h5.format_value(xs[j])
                ax.plot([xs[j]], [max(y[j], floor or 0)], marker="*", ms=16, color=color,
                        mec="white", mew=0.8, zorder=5)
            else:
                top = infercap_h5.format_value(xs[ok][-1])
                lab = f"{lab}: not met up to {top}" if lab else f"not met up to {top}"
        ax.errorbar(xs[ok], yy, yerr=yerr, color=color, marker="o", ms=5, lw=1.6,
                    capsize=3, elinewidth=1, label=lab or None)
    if args.target is not None:
        ax.axhline(args.target, color=_style.TARGET, ls="--", lw=1.2,
                   label=f"target P(outage) = {args.target:g}")
    if args.log_x:
        ax.set_xscale("log")
    if args.log_y:
        ax.set_yscale("log")
    elif name == "outage_probability":
        ax.set_ylim(-0.02, 1.02)
    ax.set_xticks(x)
    ax.set_xticklabels([infercap_h5.format_value(v) for v in x])
    ax.minorticks_off() if args.log_x else None
    ax.set_xlabel(f"fleet size: {fleet.pointer} (accelerators)")
    ylab = ("P(outage), share of paths" if name == "outage_probability"
            else name.replace("_", " "))
    if ci_all is not None:
        ylab += " (bars: " + ("Wilson " if name == "outage_probability" else "") + "95% CI)"
    ax.set_ylabel(ylab)
    other = [a.name for i, a in enumerate(r.axes) if i != fpos]
    if ax.get_legend_handles_labels()[0]:
        head = ", ".join(other) if len(other) == 1 and many else None
        if args.target is not None:
            head = (head + ": " if head else "") + f"★ smallest fleet with P <= {args.target:g}"
        ax.legend(title=head, loc="best")
    paths = r.attrs.get("paths")
    sub = "the same random paths at every point (common random numbers)" if paths else None
    if args.point:
        sub = "; ".join(args.point + ([sub] if sub else []))
    what = "outage risk against fleet size" if name == "outage_probability" else \
        f"{name.replace('_', ' ')} against fleet size"
    _style.title(ax, r, what, args, sub)
    return fig


def main(argv=None):
    return _style.plot_main(build_parser(), draw, argv)


if __name__ == "__main__":
    _style.cli(main)
