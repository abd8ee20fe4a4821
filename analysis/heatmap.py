#!/usr/bin/env python3
"""heatmap: a headline figure over a two-axis sweep, one annotated cell per point.

The default figure is the outage probability (annotated with its Wilson 95% interval when the
grid is small); --figure takes any /headline dataset (cost_usd_mean, lost_fraction_mean,
peak_offered_load_p50, first_outage_s_p10_p50_p90 with --component 1 for the median, ...).
With more than two axes, fix the others with --point.  Points missing from the file (a shard's
file) are drawn grey.

    infercap run tests/python/data/sweep.json -o sweep.h5
    analysis/heatmap.py sweep.h5 -o heat.png
    analysis/heatmap.py sweep.h5 -o cost.svg --figure cost_usd_mean --x accelerator
"""

import numpy as np

import _style
import infercap_h5
from _style import PlotError

PROG = "heatmap"


def build_parser():
    p = _style.parser(
        "heatmap.py",
        "A headline figure over a two-axis sweep as an annotated heatmap.",
        epilog=__doc__.split("\n\n", 2)[2])
    p.add_argument("--figure", default="outage_probability", metavar="NAME",
                   help="the /headline dataset to draw (default outage_probability)")
    p.add_argument("--component", type=int, metavar="K",
                   help="for a figure with a trailing dimension (NAME_ci95: 0 low, 1 high; "
                   "first_outage_s_p10_p50_p90: 0, 1, 2): which entry")
    p.add_argument("--x", metavar="AXIS", help="the axis along x (default: the fleet size if "
                   "swept, else the first axis)")
    p.add_argument("--y", metavar="AXIS", help="the axis along y (default: the other one)")
    p.add_argument("--cmap", help="a matplotlib colour map (default: red-yellow-green reversed "
                   "for probabilities, viridis otherwise)")
    p.add_argument("--log-color", action="store_true", help="logarithmic colour scale")
    p.add_argument("--no-ci", action="store_true", help="do not print the 95%% interval in cells")
    _style.add_point_option(p)
    return p


def _axes(r, args):
    if len(r.axes) < 2:
        have = (f"it has one axis, {r.axes[0].name} ({r.axes[0].pointer})" if r.axes
                else "it has no sweep")
        raise PlotError(f"{PROG} needs a sweep over two axes (e.g. --sweep "
                        f"/fleet/accelerators=... --sweep /accelerator=...); {r.path}: {have}")

    def pos(key, what):
        p = r.axis_position(key)
        if p is None:
            raise PlotError(f"--{what} {key}: no such sweep axis (axes: {', '.join(r.axis_names)})")
        return p

    fixed = {}
    for k, v in infercap_h5.parse_point(args.point).items():
        try:
            fixed[pos(k, "point")] = r.value_index(k, v)
        except infercap_h5.FileError as e:
            raise PlotError(str(e)) from e
    free = [i for i in range(len(r.axes)) if i not in fixed]
    if args.x is not None:
        xp = pos(args.x, "x")
    else:
        fl = r.axis_position("/fleet/accelerators")
        xp = fl if fl is not None and fl in free else free[0]
    if args.y is not None:
        yp = pos(args.y, "y")
    else:
        rest = [i for i in free if i != xp]
        if not rest:
            raise PlotError("no axis left for y: --point fixes all but one axis")
        yp = rest[0]
    if xp == yp:
        raise PlotError("--x and --y name the same axis")
    if xp in fixed or yp in fixed:
        raise PlotError("--point fixes an axis that is also drawn")
    others = [i for i in range(len(r.axes)) if i not in (xp, yp) and i not in fixed]
    if others:
        raise PlotError(
            f"{r.path} has {len(r.axes)} axes; fix the others with "
            + " ".join(f"--point {r.axes[i].name}={infercap_h5.format_value(r.axes[i].values[0])}"
                       for i in others))
    return xp, yp, fixed


def _grid(a, xp, yp, fixed, naxes):
    """a [axes..., rest...] -> [y, x, rest...]."""
    sl = tuple(fixed[i] if i in fixed else slice(None) for i in range(naxes))
    b = np.asarray(a[sl])
    # The remaining leading dims are xp and yp in axis order.
    if xp < yp:
        b = np.swapaxes(b, 0, 1)
    return b


def _pretty(name, comp_note=""):
    """first_outage_s_p10_p50_p90 @p50 -> "first outage, p50"; cost_usd_mean -> "mean cost"."""
    base = name
    if name.endswith("_p10_p50_p90") and comp_note.startswith("@"):
        base = name[: -len("_p10_p50_p90")] + "_" + comp_note[1:]
        comp_note = ""
    elif name.endswith("_ci95") and comp_note.startswith("@"):
        base = name[: -len("_ci95")]
        comp_note = f", 95% CI {comp_note[1:]}"
    words = {"_s_": "_", "_usd_": "_", "_mwh_": "_"}
    b = base + "_"
    for k, v in words.items():
        b = b.replace(k, v)
    b = b.strip("_")
    stat = ""
    for suffix, text in (("_mean", "mean"), ("_p50", "median"), ("_p95", "p95"), ("_p10", "p10"),
                         ("_p90", "p90")):
        if b.endswith(suffix):
            b, stat = b[: -len(suffix)], text
            break
    b = b.replace("_", " ")
    return (f"{stat} {b}" if stat else b) + comp_note


def draw(r, args):
    if r.kind == "request":
        raise PlotError(f"{PROG} needs a two-axis sweep; {r.path} is a request-engine file")
    xp, yp, fixed = _axes(r, args)
    name = args.figure
    if name not in r.headline:
        raise PlotError(f"{r.path}: no /headline/{name} (there are: {', '.join(r.headline)})")
    raw = np.asarray(r.headline[name])
    if raw.dtype.kind not in "fiub":
        raise PlotError(f"/headline/{name} holds text, not numbers: it cannot be coloured")
    n = len(r.axes)
    z = _grid(raw, xp, yp, fixed, n).astype(float)
    comp_note = ""
    if z.ndim == 3:
        if args.component is None:
            raise PlotError(f"/headline/{name} has {z.shape[2]} entries per point; choose one "
                            f"with --component 0..{z.shape[2] - 1}")
        if not 0 <= args.component < z.shape[2]:
            raise PlotError(f"--component {args.component}: /headline/{name} has "
                            f"{z.shape[2]} entries per point")
        z = z[:, :, args.component]
        comp_note = f"[{args.component}]"
        if name.endswith("_p10_p50_p90"):
            comp_note = f"@{('p10', 'p50', 'p90')[args.component]}"
        elif name.endswith("_ci95"):
            comp_note = f"@{('low', 'high')[args.component]}"
    ci = None
    if not args.no_ci and z.ndim == 2 and name + "_ci95" in r.headline and z.size <= 48:
        ci = _grid(r.headline[name + "_ci95"], xp, yp, fixed, n).astype(float)
    units = _style.headline_units(name)
    scale = 1.0
    if name.startswith("first_outage_s"):
        scale, units = 1 / 86400, "days since the start"
    z = z * scale
    if ci is not None:
        ci = ci * scale

    xa, ya = r.axes[xp], r.axes[yp]
    xs = [infercap_h5.format_value(v) for v in xa.values]
    ys = [infercap_h5.format_value(v) for v in ya.values]
    w = max(5.5, 1.2 + 1.25 * len(xs) * (1.25 if ci is not None else 1))
    h = max(3.8, 1.9 + 0.62 * len(ys) * (1.3 if ci is not None else 1))
    fig, ax = _style.figure(args, (min(w, 18), min(h, 14)))
    prob = name.startswith("outage_probability") or name == "lost_fraction_mean"
    import matplotlib
    import matplotlib.colors as mcolors

    try:
        cmap = matplotlib.colormaps[args.cmap or ("RdYlGn_r" if prob else "viridis")].copy()
    except KeyError:
        raise PlotError(f"--cmap {args.cmap}: not a matplotlib colour map") from None
    cmap.set_bad("#dddddd")
    finite = z[np.isfinite(z)]
    if args.log_color:
        pos = finite[finite > 0]
        if not pos.size:
            raise PlotError(f"--log-color: /headline/{name} has no positive value")
        norm = mcolors.LogNorm(vmin=pos.min(), vmax=pos.max())
        zz = np.where(z > 0, z, np.nan)
    else:
        if prob and name.startswith("outage_probability"):
            vmin, vmax = 0.0, 1.0
        elif finite.size:
            vmin, vmax = float(finite.min()), float(finite.max())
            if vmin == vmax:
                vmin, vmax = vmin - 0.5 * abs(vmin or 1), vmax + 0.5 * abs(vmax or 1)
        else:
            vmin, vmax = 0.0, 1.0
        norm = mcolors.Normalize(vmin=vmin, vmax=vmax)
        zz = z
    im = ax.imshow(np.ma.masked_invalid(zz), cmap=cmap, norm=norm, aspect="auto",
                   origin="lower", interpolation="nearest")
    ax.grid(False)
    for s in ax.spines.values():
        s.set_visible(False)
    ax.set_xticks(range(len(xs)))
    ax.set_xticklabels(xs, rotation=30 if max(len(s) for s in xs) > 8 else 0,
                       ha="right" if max(len(s) for s in xs) > 8 else "center")
    ax.set_yticks(range(len(ys)))
    ax.set_yticklabels(ys)
    ax.set_xticks(np.arange(-0.5, len(xs)), minor=True)
    ax.set_yticks(np.arange(-0.5, len(ys)), minor=True)
    ax.grid(which="minor", color="white", lw=2, alpha=1)
    ax.tick_params(which="minor", length=0)
    ax.set_xlabel(f"{xa.name}: {xa.pointer}")
    ax.set_ylabel(f"{ya.name}: {ya.pointer}")

    for i in range(len(ys)):
        for j in range(len(xs)):
            v = z[i, j]
            if not np.isfinite(v):
                ax.text(j, i, "n/a", ha="center", va="center", fontsize=9, color=_style.NEUTRAL)
                continue
            rgba = cmap(norm(v)) if np.isfinite(zz[i, j]) else (0.87, 0.87, 0.87, 1)
            lum = 0.299 * rgba[0] + 0.587 * rgba[1] + 0.114 * rgba[2]
            color = "black" if lum > 0.55 else "white"
            txt = _style.fmt_short(v)
            ax.text(j, i + (0.1 if ci is not None else 0), txt, ha="center", va="center",
                    fontsize=10, fontweight="bold", color=color)
            if ci is not None and np.isfinite(ci[i, j]).all():
                lo, hi = _style.fmt_short(ci[i, j, 0], 2), _style.fmt_short(ci[i, j, 1], 2)
                ax.text(j, i - 0.2, f"[{lo}, {hi}]",
                        ha="center", va="center", fontsize=7.5, color=color)
    cb = fig.colorbar(im, ax=ax, fraction=0.046, pad=0.03)
    cb.outline.set_visible(False)
    lab = _pretty(name, comp_note)
    cb.set_label(f"{lab} ({units})" if units and units != "1" else lab)

    sub = []
    if fixed:
        sub.append(", ".join(f"{r.axes[i].name}={infercap_h5.format_value(r.axes[i].values[k])}"
                             for i, k in fixed.items()))
    if ci is not None:
        sub.append("cells: estimate [95% CI]")
    what = f"{lab} by {ya.name} and {xa.name}"
    _style.title(ax, r, what, args, "; ".join(sub) if sub else None)
    return fig


def main(argv=None):
    return _style.plot_main(build_parser(), draw, argv)


if __name__ == "__main__":
    _style.cli(main)
