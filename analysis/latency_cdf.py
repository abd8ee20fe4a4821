#!/usr/bin/env python3
"""latency_cdf: the latency distributions of a request-engine run, as empirical CDFs.

Four panels over the served requests (/requests/status == 0): time to first token (TTFT), time
per output token (TPOT, in ms), end-to-end latency and the wait before admission, each on a log
axis, one line per request class when there are several, with the scenario's objectives drawn
(/serving/ttft_slo_s when not 0, /serving/tpot_slo_ms) and the share of requests that meet each.
Zero waits cannot sit on a log axis: their share is where the curve starts.

    infercap run scenarios/kimi-2024-03.json --set /engine=request \\
        --set /request_engine/window_start=2024-03-18T20:00:00+08:00 \\
        --set /request_engine/duration_s=1800 -o requests.h5
    analysis/latency_cdf.py requests.h5 -o latency.png
"""

import numpy as np

import _style
from _style import PlotError

PROG = "latency_cdf"

PANELS = [
    # column, title, scale to display units, units
    ("ttft_s", "time to first token (TTFT)", 1.0, "s"),
    ("tpot_s", "time per output token (TPOT)", 1000.0, "ms"),
    ("e2e_s", "end-to-end latency", 1.0, "s"),
    ("queue_s", "queue delay before admission", 1.0, "s"),
]


def build_parser():
    p = _style.parser(
        "latency_cdf.py",
        "Empirical CDFs of TTFT, TPOT, end-to-end latency and queue delay of the served "
        "requests of a request-engine file, with the scenario's objectives.",
        epilog=__doc__.split("\n\n", 2)[2])
    p.add_argument("--no-classes", action="store_true",
                   help="one line for all requests even when there are several classes")
    p.add_argument("--linear", action="store_true", help="linear x axes instead of log")
    return p


def _ecdf(v, points=3000):
    """The empirical CDF of v as (x, y, n); above `points` values, a subset of its steps that
    draws the same curve (evenly spaced ranks, and every one of the top and bottom 0.5%)."""
    v = np.sort(v[np.isfinite(v)])
    n = v.size
    if n == 0:
        return v, v, 0
    y = np.arange(1, n + 1) / n
    if n > points:
        tail = max(1, n // 200)
        keep = np.unique(np.concatenate([np.linspace(0, n - 1, points).astype(int),
                                         np.arange(tail), np.arange(n - tail, n)]))
        v, y = v[keep], y[keep]
    return v, y, n


def draw(r, args):
    if r.kind != "request":
        raise PlotError(f"{PROG} needs a request-engine file (root attribute engine = "
                        f"\"request\": infercap run SCENARIO --set /engine=request, or infercap "
                        f"replay); {r.path} is a{'n' if r.kind == 'aggregate' else ''} "
                        f"{r.kind} result")
    req = r.requests
    for col in ("status",) + tuple(c for c, *_ in PANELS):
        if col not in req:
            raise PlotError(f"{r.path}: no /requests/{col}")
    status = np.asarray(req["status"])
    served = status == 0
    if not served.any():
        raise PlotError(f"{r.path}: no request was served in the window: nothing to plot")
    cls = np.asarray(req["class"]) if "class" in req else np.zeros(status.shape, int)
    names = r.classes or ["all"]
    groups = [("all requests", served)]
    if len(names) > 1 and not args.no_classes:
        groups = [(names[c], served & (cls == c)) for c in range(len(names))
                  if (served & (cls == c)).any()]
        if len(groups) > 1:
            groups = [("all classes", served)] + groups

    serving = r.scenario.get("serving") or {}
    slo = {"ttft_s": (float(serving.get("ttft_slo_s") or 0), "s"),
           "tpot_s": (float(serving.get("tpot_slo_ms") or 0), "ms")}

    size = tuple(args.size) if args.size else (12, 8.2)
    fig, axs = _style.pyplot().subplots(2, 2, figsize=size)
    for ax, (col, what, scale, unit) in zip(axs.ravel(), PANELS):
        data = np.asarray(req[col], dtype=float) * scale
        slo_v, _ = slo.get(col, (0.0, ""))
        notes = []
        lefts = []
        for k, (lab, mask) in enumerate(groups):
            v = data[mask]
            v = v[np.isfinite(v)]
            x, y, n = _ecdf(v)
            if n == 0:
                continue
            zero = float(np.mean(v <= 0))
            color = _style.NEUTRAL if lab == "all classes" else \
                _style.CYCLE[(k - (1 if groups[0][0] == "all classes" else 0)) % len(_style.CYCLE)]
            lw = 2.0 if lab in ("all classes", "all requests") else 1.4
            if not args.linear:
                pos = x > 0
                if zero > 0 and k == 0:
                    notes.append(f"{100 * zero:.1f}% of {lab} at 0")
                x, y = x[pos], y[pos]
                if not x.size:
                    continue
                lefts.append(np.quantile(x, 0.002))
            ax.step(x, y, where="post", color=color, lw=lw,
                    label=f"{lab} (n={n}, p50 {_style.fmt(np.median(v))} {unit}, "
                    f"p99 {_style.fmt(np.quantile(v, 0.99))} {unit})")
            if slo_v > 0 and lab in ("all classes", "all requests"):
                notes.append(f"{100 * np.mean(v <= slo_v):.1f}% within the objective")
        if slo_v > 0:
            ax.axvline(slo_v, color=_style.OUTAGE, ls="--", lw=1.2,
                       label=f"objective {slo_v:g} {unit}")
        for q in (0.5, 0.9, 0.99):
            ax.axhline(q, color=_style.NEUTRAL, lw=0.6, ls=":", alpha=0.8)
        if not args.linear:
            ax.set_xscale("log")
            if lefts:  # a few tiny values need not stretch the axis over decades
                ax.set_xlim(left=min(lefts) / 1.5)
            _style.log_axis(ax, "x")
        ax.set_ylim(0, 1.005)
        ax.set_yticks([0, 0.25, 0.5, 0.75, 0.9, 0.99])
        ax.set_xlabel(f"{what} ({unit})")
        ax.set_ylabel("share of served requests")
        ax.set_title(what, loc="left", fontsize=10, fontweight="normal")
        ax.legend(loc="lower right", fontsize=7.5)
        if notes:
            ax.text(0.01, 0.97, "\n".join(notes), transform=ax.transAxes, fontsize=8,
                    va="top", ha="left", color=_style.NEUTRAL,
                    bbox=dict(facecolor="white", alpha=0.8, lw=0, pad=1.5))
    h = r.headline
    sub = []
    bits = []
    if h.get("replicas") is not None:
        bits.append(f"{h.get('replicas')} replicas of {h.get('accelerators_per_replica', '?')} x "
                    f"{h.get('accelerator', '?')} serving {h.get('model', '?')}")
    if h.get("routing"):
        bits.append(f"{h['routing']} routing")
    if bits:
        sub.append(", ".join(bits))
    counts = [f"{h[k]} {k}" for k in ("requests", "served", "rejected", "abandoned", "unfinished")
              if k in h]
    if counts:
        sub.append(", ".join(counts) + (f" in {_style.fmt(h['window_s'])} s" if "window_s" in h
                                        else ""))
    if "good_fraction" in h:
        sub.append("goodput share "
                   + _style.fmt_ci(h["good_fraction"], h.get("good_fraction_ci95")))
    _style.title(fig, r, "request latencies (served requests)", args, "; ".join(sub))
    return fig


def main(argv=None):
    return _style.plot_main(build_parser(), draw, argv)


if __name__ == "__main__":
    _style.cli(main)
