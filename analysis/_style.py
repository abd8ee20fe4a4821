"""Shared look and command-line plumbing of the analysis/ plot commands.

Every plot command builds its parser with `parser()`, draws with matplotlib's Agg backend
(headless: no display needed; `pyplot()` loads it on first use), titles its figure with
`title()`, saves with `save()` (PNG, SVG or PDF from the output's extension) and runs its
main through `cli()`, which turns a `PlotError` (the file lacks what the plot needs) or an
unreadable file into exit status 2 with one clear line on stderr, as infercap itself does for
invalid input.
"""

import argparse
import datetime
import os
import sys

import numpy as np

import infercap_h5

FORMATS = ("png", "svg", "pdf")

# Colours: one hue for demand, one for capacity, the outage in red; lines of a second sweep
# axis take the cycle (colour-blind safe, Okabe-Ito).
DEMAND = "#1f5fa8"
CAPACITY = "#2a9d5b"
OUTAGE = "#c0392b"
EVENT = "#6c5b7b"
TARGET = "#8e44ad"
NEUTRAL = "#555555"
CYCLE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]

RC = {
    "figure.figsize": (10, 5.6),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "svg.fonttype": "none",
    "pdf.fonttype": 42,
}

_PLT = None


def pyplot():
    """matplotlib.pyplot on the headless Agg backend, styled (imported on first use, so that
    --help and the checks of the file answer without loading matplotlib)."""
    global _PLT
    if _PLT is None:
        import matplotlib

        matplotlib.use("Agg")  # headless; must precede pyplot
        import matplotlib.pyplot as plt

        matplotlib.rcParams.update(RC)
        matplotlib.rcParams["axes.prop_cycle"] = matplotlib.cycler(color=CYCLE)
        _PLT = plt
    return _PLT


class PlotError(Exception):
    """The file does not hold what the plot needs (exit status 2)."""


def parser(prog, description, epilog=None):
    """An argparse parser with the options every plot command shares: FILE, -o, --title, --dpi,
    --size."""
    p = argparse.ArgumentParser(
        prog=prog, description=description, epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", metavar="FILE", help="an infercap result file (HDF5)")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="the image to write: .png, .svg or .pdf")
    p.add_argument("--title", help="the figure's title (default: the scenario's name and what "
                   "is plotted)")
    p.add_argument("--dpi", type=int, default=150, help="resolution of a PNG (default 150)")
    p.add_argument("--size", type=float, nargs=2, metavar=("W", "H"),
                   help="figure size in inches (default depends on the plot)")
    return p


def add_point_option(p):
    p.add_argument("--point", action="append", default=[], metavar="AXIS=VALUE",
                   help="with a sweep: fix an axis at one of its values (repeat for each axis; "
                   "AXIS is the axis' name or its pointer, e.g. accelerators=4000 or "
                   "/accelerator=nvidia_h20)")


def check_output(path):
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    if ext not in FORMATS:
        raise PlotError(f"{path}: unsupported image format {ext or '(none)'!r}; "
                        f"use one of .{', .'.join(FORMATS)}")
    return ext


def load(path):
    if not os.path.exists(path):
        raise PlotError(f"{path}: no such file")
    try:
        return infercap_h5.load(path)
    except infercap_h5.FileError as e:
        raise PlotError(str(e)) from e


def save(fig, path, dpi=150):
    """Write the figure (format from the extension), making the directory if needed."""
    ext = check_output(path)
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    meta = {"png": {"Software": "infercap analysis"}, "svg": {"Creator": "infercap analysis"},
            "pdf": {"Creator": "infercap analysis"}}[ext]
    fig.savefig(path, format=ext, dpi=dpi, metadata=meta)
    pyplot().close(fig)
    return path


def figure(args, default=(10, 5.6), **kw):
    size = tuple(args.size) if getattr(args, "size", None) else default
    return pyplot().subplots(figsize=size, **kw)


def title(fig_or_ax, r, what, args=None, sub=None):
    """Title "<scenario>: <what>" and a small grey line of provenance (and `sub`) under it."""
    text = args.title if args is not None and getattr(args, "title", None) else \
        f"{r.name or 'infercap'}: {what}"
    # A stopped run's figures read as complete unless the plot says otherwise: the title says
    # PARTIAL and the first line under it how far the run got, in red (even with --title).
    note = r.partial_note() if hasattr(r, "partial_note") else None
    if note:
        text = f"PARTIAL: {text}"
    bits = [note] if note else []
    if sub:
        bits.append(sub)
    prov = []
    if r.kind != "request" and "paths" in r.attrs:
        prov.append(f"{r.attrs['paths']} paths")
    if "seed" in r.attrs:
        prov.append(f"seed {r.attrs['seed']}")
    if r.attrs.get("infercap_version"):
        prov.append(f"infercap {r.attrs['infercap_version']}")
    if prov:
        bits.append(", ".join(prov))
    lines = []
    for b in bits:  # wrap long lines at "; "
        cur = ""
        for piece in b.split("; "):
            if cur and len(cur) + len(piece) > 110:
                lines.append(cur)
                cur = piece
            else:
                cur = f"{cur}; {piece}" if cur else piece
        if cur:
            lines.append(cur)
    subline = "\n".join(lines)
    colour = OUTAGE if note else NEUTRAL
    if hasattr(fig_or_ax, "suptitle"):
        # A figure of several panels: the title and its lines at the top, and the panels laid
        # out under them (returns nothing; the layout is done here).
        h = fig_or_ax.get_figheight()
        fig_or_ax.suptitle(text, fontsize=13, fontweight="bold", x=0.01, ha="left", va="top",
                           y=1 - 0.08 / h)
        if subline:
            fig_or_ax.text(0.01, 1 - 0.36 / h, subline, fontsize=9, color=colour, ha="left",
                           va="top", transform=fig_or_ax.transFigure, linespacing=1.4)
        # tight_layout leaves room for the suptitle itself; add the lines under it.
        fig_or_ax.tight_layout(rect=(0, 0, 1, 1 - (0.17 * len(lines) + 0.06) / h))
    else:
        fig_or_ax.set_title(text, loc="left", pad=8 + 13 * len(lines))
        if subline:
            fig_or_ax.text(0, 1.012, subline, fontsize=9, color=colour, ha="left",
                           va="bottom", transform=fig_or_ax.transAxes, linespacing=1.3)


# Short axis labels of the series (the datasets' long_name is the full definition).
SHORT = {
    "offered_load": "offered load (arrivals / capacity)",
    "utilization": "utilisation of healthy replicas",
    "arrivals_per_s": "arrivals",
    "arrivals_per_s_by_class": "new arrivals",
    "retries_per_s": "retries",
    "served_per_s": "served",
    "rejected_per_s": "rejected",
    "abandoned_per_s": "abandoned",
    "demand_tokens_per_s": "demand",
    "capacity_tokens_per_s": "capacity",
    "backlog_requests": "backlog",
    "ttft_s": "estimated TTFT",
    "active_users": "active users",
    "visits_per_week": "web visits",
    "accelerators_healthy": "healthy accelerators",
    "accelerators_provisioned": "provisioned accelerators",
    "replicas_up": "replicas up",
    "power_kw": "power at the wall",
    "cost_usd_per_h": "fleet cost",
    "revenue_usd_per_h": "token revenue",
}


def label(r, key, scale_name=None):
    """An axis label "short name (units)" for dataset key ("bands/offered_load" or a name)."""
    name = key.rsplit("/", 1)[-1]
    ln = SHORT.get(name) or shorten(r.long_name.get(key) or name.replace("_", " "), 48)
    u = scale_name or r.units.get(key, "")
    return f"{ln} ({u})" if u and u != "1" else ln


def legend_below(ax, handles=None, labels=None, ncol=3):
    """A legend under the axes (clear of the data)."""
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return
    ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.13),
              ncol=min(ncol, len(handles)), handlelength=2.2, columnspacing=1.6)


def shorten(text, n=60):
    text = text.split(":")[0].strip() if len(text) > n and ":" in text else text
    return text if len(text) <= n else text[: n - 1] + "…"


def utc_label(offset_s):
    if not offset_s:
        return "UTC"
    sign = "+" if offset_s >= 0 else "-"
    h, m = divmod(abs(int(offset_s)) // 60, 60)
    return f"UTC{sign}{h:02d}:{m:02d}"


def iso_to_local(text, offset_s):
    """An ISO-8601 time (with its offset) as naive datetime64 in the scenario's UTC offset."""
    if not isinstance(text, str) or not text:
        return None
    try:
        t = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if t.tzinfo is not None:
        t = t.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        t = t + datetime.timedelta(seconds=offset_s)
    return np.datetime64(t, "s")


def date_axis(ax, r):
    import matplotlib.dates as mdates

    loc = mdates.AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))
    ax.set_xlabel(f"time ({utc_label(r.utc_offset_s)})")


def fmt(x, digits=3):
    """A number in compact form: 0.0755, 1.41e+06, 648; NaN as n/a."""
    if x is None:
        return "n/a"
    if isinstance(x, str):
        return x
    try:
        x = float(x)
    except (TypeError, ValueError):
        return str(x)
    if not np.isfinite(x):
        return "n/a"
    if x == 0:
        return "0"
    if float(x).is_integer() and abs(x) < 1e6:
        return str(int(x))
    if 1000 <= abs(x) < 1e6 and digits <= 4:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


def fmt_short(x, digits=3):
    """Like fmt, with k, M, G, T for large numbers: 14.1k, 1.41M."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if np.isfinite(v) and abs(v) >= 1e4:
        for div, suf in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
            if abs(v) >= div:
                return f"{v / div:.{digits}g}{suf}"
    return fmt(v, digits)


def fmt_ci(x, ci, digits=3):
    if ci is None or np.size(ci) != 2 or not np.all(np.isfinite(np.asarray(ci, dtype=float))):
        return fmt(x, digits)
    return f"{fmt(x, digits)} [{fmt(ci[0], digits)}, {fmt(ci[1], digits)}]"


def select_point(r, items, prog):
    """The point of a sweep named by --point options (r itself without a sweep)."""
    sel = infercap_h5.parse_point(items)
    if not r.is_sweep:
        if sel:
            raise PlotError(f"{r.path} is not a sweep: --point does not apply")
        return r
    if not sel:
        raise PlotError(
            f"{prog}: {r.path} is a sweep over "
            + " x ".join(f"{a.name} ({', '.join(infercap_h5.format_value(v) for v in a.values)})"
                         for a in r.axes)
            + "; choose a point with "
            + " ".join(f"--point {a.name}={infercap_h5.format_value(a.values[0])}" for a in r.axes))
    try:
        return r.point(sel)
    except infercap_h5.FileError as e:
        raise PlotError(str(e)) from e


def fleet_lines(r, prog, fixed_items, need=("/fleet/accelerators",)):
    """For plots against fleet size: the fleet axis, and one line per combination of the other
    axes' values (those fixed by --point taken as given).

    Returns (fleet Axis, fleet axis position, [(label, {axis position: index})])."""
    fleet = None
    for key in need:
        fleet = r.axis(key)
        if fleet is not None:
            break
    if fleet is None:
        have = ("the file's sweep axes: " + ", ".join(f"{a.name} ({a.pointer})" for a in r.axes)
                if r.axes else "this file has no sweep")
        raise PlotError(f"{prog} needs a sweep over {need[0]} "
                        f"(e.g. infercap run ... --sweep {need[0]}=1000,2000,4000); {have}")
    fpos = r.axis_position(fleet.name)
    sel = infercap_h5.parse_point(fixed_items)
    fixed = {}
    for k, v in sel.items():
        pos = r.axis_position(k)
        if pos is None:
            raise PlotError(f"--point {k}: no such sweep axis (axes: {', '.join(r.axis_names)})")
        if pos == fpos:
            raise PlotError(f"--point {k}: that is the axis plotted along x")
        try:
            fixed[pos] = r.value_index(k, v)
        except infercap_h5.FileError as e:
            raise PlotError(str(e)) from e
    free = [i for i in range(len(r.axes)) if i != fpos and i not in fixed]
    lines = []
    for combo in np.ndindex(*[len(r.axes[i].values) for i in free]):
        idx = dict(fixed)
        idx.update(dict(zip(free, combo)))
        lab = ", ".join(f"{infercap_h5.format_value(r.axes[i].values[idx[i]])}"
                        if len(free) == 1 else
                        f"{r.axes[i].name}={infercap_h5.format_value(r.axes[i].values[idx[i]])}"
                        for i in free)
        lines.append((lab, idx))
    return fleet, fpos, lines


def take(arr, fpos, idx, naxes):
    """arr [axes..., rest...] at idx (axis position -> index) with the fleet axis kept:
    -> [fleet, rest...]."""
    sl = tuple(slice(None) if i == fpos else idx[i] for i in range(naxes))
    return np.asarray(arr[sl])


def plot_main(parser, draw, argv, prog=None):
    """The body of every plot command: parse, check the output path before any work, load the
    file (one point of a sweep with --point when prog is given), draw, save."""
    args = parser.parse_args(argv)
    check_output(args.output)
    r = load(args.file)
    if prog is not None:
        r = select_point(r, args.point, prog)
    save(draw(r, args), args.output, args.dpi)
    return 0


def cli(main):
    """Run main(argv) and exit: 0, 2 on a PlotError or unusable file, 1 on a failure to write."""
    prog = os.path.basename(sys.argv[0])
    try:
        rc = main(sys.argv[1:])
    except PlotError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        sys.exit(2)
    except infercap_h5.FileError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        sys.exit(2)
    except OSError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        sys.exit(1)
    sys.exit(rc or 0)


# Units of the headline figures for plot labels, by name.
HEADLINE_UNITS = [
    ("outage_probability", "1"),
    ("outage_paths", "paths"),
    ("paths", "paths"),
    ("first_outage_s", "s"),
    ("lost_requests", "requests"),
    ("lost_fraction", "1"),
    ("peak_offered_load", "1"),
    ("cost_usd", "USD"),
    ("revenue_usd", "USD"),
    ("accelerator_hours", "h"),
    ("energy_mwh", "MWh"),
    ("degraded_minutes", "min"),
    ("sustainable_demand", "the growth quantity (users, weekly visits, or times the tokens a day)"),
    ("autoscale_actions", "actions"),
    ("accelerators_mean", "accelerators"),
    ("accelerators_per_replica", "accelerators"),
    ("replica_requests_per_s", "1/s"),
    ("replica_batch", "sequences"),
    ("gross_margin", "1"),
]


def headline_units(name):
    for prefix, u in HEADLINE_UNITS:
        if name.startswith(prefix):
            return u
    return ""


def log_axis(ax, axis="x"):
    """A log axis with ticks at 1, 2 and 5 times the powers of ten, labelled plainly."""
    import matplotlib.ticker as mticker
    a = ax.xaxis if axis == "x" else ax.yaxis
    (ax.set_xscale if axis == "x" else ax.set_yscale)("log")
    lo, hi = ax.get_xlim() if axis == "x" else ax.get_ylim()
    decades = np.log10(hi / lo) if lo > 0 and hi > lo else 3
    subs = (1.0,) if decades > 3 else (1.0, 2.0, 5.0) if decades > 1 else (1.0, 2.0, 3.0, 5.0, 7.0)
    a.set_major_locator(mticker.LogLocator(base=10, subs=subs, numticks=12))
    a.set_major_formatter(mticker.FuncFormatter(lambda v, _: fmt_short(v, 3)))
    a.set_minor_formatter(mticker.NullFormatter())
