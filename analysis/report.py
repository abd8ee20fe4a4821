#!/usr/bin/env python3
"""report: every plot a result file supports, as PNGs, with an index page of its headline.

Draws what the file holds (a plot that does not apply is listed with the reason):
  aggregate run   fan charts of the offered load and of token demand against capacity (and a
                  close-up of the weeks around the first outage when the horizon is long)
  sweep           fleet_curve and cost_power (with a sweep over /fleet/accelerators), heatmaps
                  of the outage probability and of the mean cost (with two or more axes), and a
                  fan chart at each of the first --max-points points
  request engine  latency_cdf
and writes DIR/index.html (images, the headline figures as a table, provenance) and
DIR/report.md (the same in Markdown).

    analysis/report.py out/kimi-2024-03.h5 -o report/
    analysis/report.py sweep.h5 -o report-sweep/ --target 0.05
"""

import argparse
import datetime
import html
import os
import sys
import time

import numpy as np

import _style
import cost_power
import fan_chart
import fleet_curve
import heatmap
import infercap_h5
import latency_cdf
from _style import PlotError

PROG = "report"

# Headline figures of a sweep's table (name, column title, how to show).
SWEEP_COLUMNS = [
    ("outage_probability", "P(outage) [95% CI]", "ci"),
    ("outage_paths", "paths with an outage", "num"),
    ("first_outage_s_p10_p50_p90", "first outage, median", "time1"),
    ("lost_fraction_mean", "lost share (mean)", "pct"),
    ("peak_offered_load_p50", "peak offered load (median)", "num"),
    ("cost_usd_mean", "cost per day (USD, mean)", "perday"),
    ("energy_mwh_mean", "energy (MWh, mean)", "num"),
]


def build_parser():
    p = argparse.ArgumentParser(
        prog="report.py", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Draw every plot an infercap result file supports (PNG) and write an index "
        "page (index.html and report.md) with the headline figures.",
        epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("file", metavar="FILE", help="an infercap result file (HDF5)")
    p.add_argument("-o", "--output", required=True, metavar="DIR",
                   help="the directory to write (made if needed)")
    p.add_argument("--target", type=float, metavar="P",
                   help="an accepted outage probability for the fleet curve (e.g. 0.05)")
    p.add_argument("--max-points", type=int, default=4, metavar="N",
                   help="with a sweep: fan charts of at most N points (default 4; 0: none)")
    p.add_argument("--dpi", type=int, default=120, help="resolution of the PNGs (default 120)")
    return p


# ---------------------------------------------------------------------------------------------
def _local_time(r, seconds):
    if seconds is None or not np.isfinite(seconds) or r.time_origin is None:
        return "n/a"
    t = r.time_origin + np.timedelta64(int(round(float(seconds))), "s") + \
        np.timedelta64(r.utc_offset_s, "s")
    return str(t.astype("datetime64[m]")).replace("T", " ")


def _cell(r, h, name, how):
    v = h.get(name)
    if v is None:
        return ""
    if how == "ci":
        return _style.fmt_ci(v, h.get(name + "_ci95"))
    if how == "pct":
        return "n/a" if not np.isfinite(v) else f"{100 * float(v):.3g}%"
    if how == "perday":
        days = float(r.attrs.get("horizon_days") or 0)
        return _style.fmt(float(v) / days, 4) if days > 0 else _style.fmt(v, 4)
    if how == "time1":
        a = np.asarray(v, dtype=float).ravel()
        return _local_time(r, a[1]) if a.size == 3 and np.isfinite(a[1]) else "none"
    return _style.fmt(v, 4)


def headline_rows(r):
    """[(figure, value)] of an unswept aggregate or a request-engine file."""
    h = r.headline
    rows = []
    if r.kind == "request":
        for k, v in h.items():
            if k in ("headline_json", "headline_text") or k.endswith("_ci95"):
                continue
            rows.append((k, _style.fmt_ci(v, h.get(k + "_ci95"), 4)
                         if not isinstance(v, str) else v))
        return rows
    for k, v in h.items():
        if k.endswith("_ci95") or k == "first_outage_s_p10_p50_p90":
            continue
        if isinstance(v, str):
            rows.append((k, v))
            continue
        rows.append((k, _style.fmt_ci(v, h.get(k + "_ci95"), 4)))
    fo = np.asarray(h.get("first_outage_s_p10_p50_p90", [np.nan] * 3), dtype=float).ravel()
    if fo.size == 3:
        ci = np.asarray(h.get("first_outage_s_p50_ci95", [np.nan] * 2), dtype=float).ravel()
        tz = _style.utc_label(r.utc_offset_s)
        if np.isfinite(fo[1]):
            rows.insert(0, ("first outage (" + tz + ")",
                            f"median {_local_time(r, fo[1])} [95% CI {_local_time(r, ci[0])}, "
                            f"{_local_time(r, ci[1])}]; p10 {_local_time(r, fo[0])}, "
                            f"p90 {_local_time(r, fo[2])}"))
        else:
            rows.insert(0, ("first outage", "no path has an outage"))
    # The most asked-for figures first.
    first = ["first outage", "outage_probability", "outage_paths", "paths", "lost_fraction_mean",
             "lost_requests_mean", "peak_offered_load_p50", "cost_usd_mean"]

    def rank(row):
        for i, f in enumerate(first):
            if row[0].startswith(f):
                return i
        return len(first)

    return sorted(rows, key=rank)


def sweep_table(r):
    """(header, rows) of a sweep: one row per point."""
    header = [a.name for a in r.axes] + [c[1] for c in SWEEP_COLUMNS if c[0] in r.headline]
    rows = []
    for sel, idx in r.points():
        vals = [infercap_h5.format_value(v) for v in sel.values()]
        if r.point_done is not None and not int(r.point_done[idx]):
            rows.append(vals + ["not in this file"] + [""] * (len(header) - len(vals) - 1))
            continue
        p = r.point_at(idx)
        rows.append(vals + [_cell(r, p.headline, n, how) for n, _, how in SWEEP_COLUMNS
                            if n in r.headline])
    return header, rows


def provenance_rows(r):
    keys = ["scenario_name", "engine", "partial", "completed_until_s", "infercap_version",
            "git_commit", "created_utc", "seed", "paths", "start", "horizon_days", "step_s",
            "sweep_axes", "sweep_points",
            "scenario_hash", "source", "command_line"]
    return [(k, str(r.attrs[k])) for k in keys if k in r.attrs and r.attrs[k] != ""]


# ---------------------------------------------------------------------------------------------
def plan(r, args):
    """[(file name, caption, module, argv after FILE and -o)] of the plots to try."""
    jobs = []
    if r.kind == "request":
        jobs.append(("latency_cdf.png", "Latency distributions of the served requests",
                     latency_cdf, []))
        return jobs
    if r.kind == "aggregate":
        jobs.append(("fan_offered_load.png", "Offered load (demand / capacity) over the paths",
                     fan_chart, []))
        jobs.append(("fan_tokens.png", "Token demand against capacity (log scale)", fan_chart,
                     ["--series", "demand_tokens_per_s", "--log-y"]))
        horizon = float(r.attrs.get("horizon_days") or 0)
        fo = np.asarray(r.headline.get("first_outage_s_p10_p50_p90", [np.nan] * 3),
                        dtype=float).ravel()
        if horizon > 21 and fo.size == 3 and np.isfinite(fo[0]):
            start = max(0.0, fo[0] / 86400 - 14)
            jobs.append(("fan_offered_load_outage.png",
                         "Offered load, the weeks around the first outage", fan_chart,
                         ["--days", f"{start:.3f}", f"{horizon:g}"]))
        return jobs
    # A sweep.
    fixed = []
    if len(r.axes) > 2:  # heatmaps need all but two axes fixed: take the first value
        fl = r.axis_position("/fleet/accelerators")
        keep = [fl] if fl is not None else []
        keep += [i for i in range(len(r.axes)) if i not in keep][: 2 - len(keep)]
        fixed = [f"{a.name}={infercap_h5.format_value(a.values[0])}"
                 for i, a in enumerate(r.axes) if i not in keep]
    pt = [x for f in fixed for x in ("--point", f)]
    tgt = ["--target", f"{args.target:g}"] if args.target is not None else []
    jobs.append(("fleet_curve.png", "Outage probability against fleet size", fleet_curve,
                 tgt + (["--log-x"] if _geometric(r) else [])))
    jobs.append(("cost_power.png", "Cost per day and power against fleet size", cost_power,
                 ["--log-x"] if _geometric(r) else []))
    jobs.append(("heatmap_outage.png", "Outage probability at each point", heatmap, pt))
    jobs.append(("heatmap_cost.png", "Mean cost at each point", heatmap,
                 ["--figure", "cost_usd_mean"] + pt))
    n = 0
    for sel, idx in r.points():
        if n >= args.max_points:
            break
        if r.point_done is not None and not int(r.point_done[idx]):
            continue
        n += 1
        opts = []
        for k, v in sel.items():
            opts += ["--point", f"{k}={infercap_h5.format_value(v)}"]
        tag = "_".join(_safe(infercap_h5.format_value(v)) for v in sel.values())
        jobs.append((f"fan_{tag}.png",
                     "Offered load at " + ", ".join(f"{k}={infercap_h5.format_value(v)}"
                                                    for k, v in sel.items()),
                     fan_chart, opts))
    return jobs


def _geometric(r):
    a = r.axis("/fleet/accelerators")
    if a is None or len(a.values) < 3:
        return False
    v = np.asarray(a.values, dtype=float)
    return bool(np.all(v > 0) and v.max() / v.min() >= 8)


def _safe(text):
    return "".join(c if c.isalnum() or c in "-." else "-" for c in str(text))[:40]


# ---------------------------------------------------------------------------------------------
def write_html(path, r, figures, skipped, table, prov, detail, note=None):
    e = html.escape
    out = []
    out.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
    out.append(f"<title>{e(r.name)}: infercap report</title>")
    out.append("<style>body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;"
               "max-width:1200px;margin:2em auto;padding:0 1em;color:#222}"
               "table{border-collapse:collapse;margin:1em 0;font-size:0.92em}"
               "th,td{border-bottom:1px solid #ddd;padding:4px 10px;text-align:left;"
               "vertical-align:top}th{background:#f4f4f4}td.n{text-align:right;"
               "font-variant-numeric:tabular-nums}figure{margin:2em 0}"
               "img{max-width:100%;border:1px solid #eee}figcaption{color:#555;"
               "font-size:0.92em}pre{background:#f7f7f7;padding:0.8em;overflow-x:auto}"
               "code{font-size:0.92em}.muted{color:#777}.partial{color:#fff;"
               "background:#c0392b;padding:0.6em 1em;font-weight:bold}</style></head><body>")
    out.append(f"<h1>{e(r.name)}{' (PARTIAL)' if note else ''}</h1>")
    if note:
        out.append(f"<p class=\"partial\">{e(note)}</p>")
    desc = r.scenario.get("description")
    if desc:
        out.append(f"<p>{e(desc)}</p>")
    out.append(f"<p class=\"muted\">{e(r.describe())} &mdash; <code>{e(os.path.abspath(r.path))}"
               "</code></p>")
    out.append("<h2>Headline" + (" (PARTIAL: the run was stopped)" if note else "") + "</h2>")
    if detail:
        out.append(f"<pre>{e(detail)}</pre>")
    header, rows = table
    out.append("<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in header) +
               "</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>" + "".join(
            f"<td class=\"n\">{e(str(c))}</td>" if i > 0 or len(header) > 2 else
            f"<td>{e(str(c))}</td>" for i, c in enumerate(row)) + "</tr>")
    out.append("</tbody></table>")
    out.append("<h2>Plots</h2>")
    for fname, caption in figures:
        out.append(f"<figure><a href=\"{e(fname)}\"><img src=\"{e(fname)}\" alt=\"{e(caption)}\">"
                   f"</a><figcaption>{e(caption)} (<code>{e(fname)}</code>)</figcaption></figure>")
    if skipped:
        out.append("<h3>Not drawn</h3><ul>")
        for fname, reason in skipped:
            out.append(f"<li><code>{e(fname)}</code>: {e(reason)}</li>")
        out.append("</ul>")
    out.append("<h2>Provenance</h2><table><tbody>")
    for k, v in prov:
        out.append(f"<tr><th>{e(k)}</th><td><code>{e(v)}</code></td></tr>")
    out.append("</tbody></table>")
    out.append(f"<p class=\"muted\">Written by analysis/report.py at "
               f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC.</p>")
    out.append("</body></html>\n")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out))


def write_md(path, r, figures, skipped, table, prov, detail, note=None):
    def esc(s):
        return str(s).replace("|", "\\|").replace("\n", " ")

    out = [f"# {r.name}" + (" (PARTIAL)" if note else ""), ""]
    if note:
        out += [f"> **{esc(note)}**", ""]
    if r.scenario.get("description"):
        out += [r.scenario["description"], ""]
    out += [f"{r.describe()}: `{os.path.abspath(r.path)}`", "",
            "## Headline" + (" (PARTIAL: the run was stopped)" if note else ""), ""]
    if detail:
        out += ["```", detail.rstrip(), "```", ""]
    header, rows = table
    out.append("| " + " | ".join(esc(h) for h in header) + " |")
    out.append("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        out.append("| " + " | ".join(esc(c) for c in row) + " |")
    out += ["", "## Plots", ""]
    for fname, caption in figures:
        out += [f"### {caption}", "", f"![{caption}]({fname})", ""]
    if skipped:
        out += ["Not drawn:", ""] + [f"- `{f}`: {reason}" for f, reason in skipped] + [""]
    out += ["## Provenance", "", "| | |", "|---|---|"]
    out += [f"| {esc(k)} | `{esc(v)}` |" for k, v in prov]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


def main(argv=None):
    args = build_parser().parse_args(argv)
    r = _style.load(args.file)
    os.makedirs(args.output, exist_ok=True)
    figures, skipped = [], []
    t0 = time.time()
    for fname, caption, mod, opts in plan(r, args):
        out = os.path.join(args.output, fname)
        margs = mod.build_parser().parse_args([r.path, "-o", out, "--dpi", str(args.dpi)] + opts)
        try:
            sub = _style.select_point(r, margs.point, mod.PROG) if hasattr(margs, "point") \
                and mod is fan_chart else r
            fig = mod.draw(sub, margs)
            _style.save(fig, out, args.dpi)
        except PlotError as e:
            _style.pyplot().close("all")
            skipped.append((fname, str(e)))
            continue
        figures.append((fname, caption))
    if r.kind == "sweep":
        table = sweep_table(r)
    else:
        table = (["figure", "value"], headline_rows(r))
    detail = r.headline.get("headline_text") if r.kind == "request" else None
    prov = provenance_rows(r)
    note = r.partial_note()
    if note and r.kind != "sweep":
        table[1].insert(0, ("PARTIAL", note))
    write_html(os.path.join(args.output, "index.html"), r, figures, skipped, table, prov, detail,
               note)
    write_md(os.path.join(args.output, "report.md"), r, figures, skipped, table, prov, detail,
             note)
    if note:
        print(f"report: {r.path}: {note}", file=sys.stderr)
    print(f"report: {len(figures)} plots"
          + (f" ({len(skipped)} not applicable)" if skipped else "")
          + f" and index.html, report.md in {args.output} ({time.time() - t0:.1f} s)")
    for fname, reason in skipped:
        print(f"  not drawn: {fname}: {reason}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    _style.cli(main)
