"""A sweep's summary: statistics per axis value, box plots across draws, summary.md/json."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from armjac.compare.report import table
from armjac.jsonutil import slug, to_jsonable
from armjac.sweep.config import SweepConfig, format_point, label

DEFAULT_METRICS = 12  # metrics shown when the sweep names none
DPI = 110
# Axes that only repeat a study (seeds, draws) are not what a plot compares.
REPEAT_WORDS = ("seed", "draw")


def flatten(metrics: dict, prefix: str = "") -> dict[str, float]:
    """The numeric scalars of nested ``metrics`` under dotted names (booleans left out)."""
    out: dict[str, float] = {}
    for k, v in metrics.items():
        name = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, f"{name}."))
        elif isinstance(v, int | float) and not isinstance(v, bool):
            out[name] = float(v)
    return out


def stats(values: list[float]) -> dict:
    """n, median, mean, min, max and p95 of the finite ``values`` (None when there are none)."""
    x = np.array([v for v in values if v is not None and math.isfinite(v)], float)
    if x.size == 0:
        return {"n": 0, "median": None, "mean": None, "min": None, "max": None, "p95": None}
    return {
        "n": int(x.size), "median": float(np.median(x)), "mean": float(x.mean()),
        "min": float(x.min()), "max": float(x.max()), "p95": float(np.percentile(x, 95)),
    }  # fmt: skip


def _metric_names(cfg: SweepConfig, rows: list[dict]) -> list[str]:
    if cfg.metrics:
        return list(cfg.metrics)
    seen = dict.fromkeys(name for r in rows for name in r["metrics"])
    return list(seen)[:DEFAULT_METRICS]


def _group_axis(cfg: SweepConfig) -> str | None:
    """The axis plots compare: the configured one, else the first varied non-repeat axis."""
    if cfg.group_by:
        return cfg.group_by
    for name, values in cfg.axes.items():
        if len(values) > 1 and not any(w in name.lower() for w in REPEAT_WORDS):
            return name
    return None


def summarize(cfg: SweepConfig, records: list[dict], reused: set[str]) -> dict:
    """The summary mapping (what summary.json holds, without the figures).

    ``records`` are the jobs' records in grid order.
    """
    rows = [
        {
            "index": r["index"], "key": r["key"], "point": r["point"], "status": r["status"],
            "reused": r["key"] in reused, "metrics": flatten(r["metrics"]),
            **({"reason": r.get("reason", "")} if r["status"] != "ok" else {}),
        }  # fmt: skip
        for r in records
    ]
    names = _metric_names(cfg, rows)
    ok = [r for r in rows if r["status"] == "ok"]
    tables = {}
    for axis, values in cfg.axes.items():
        tables[axis] = []
        for value in values:
            sel = [r for r in rows if r["point"].get(axis) == value]
            good = [r for r in sel if r["status"] == "ok"]
            tables[axis].append(
                {
                    "value": value,
                    "n_ok": len(good),
                    "n_failed": len(sel) - len(good),
                    "metrics": {n: stats([r["metrics"].get(n) for r in good]) for n in names},
                }
            )
    return {
        "name": cfg.name,
        "description": cfg.description,
        "job": cfg.kind,
        "axes": cfg.axes,
        "grid": cfg.grid,
        "n_jobs": len(rows),
        "n_ok": len(ok),
        "n_failed": len(rows) - len(ok),
        "n_reused": sum(r["reused"] for r in rows),
        "metrics": names,
        "group_by": _group_axis(cfg),
        "overall": {n: stats([r["metrics"].get(n) for r in ok]) for n in names},
        "tables": tables,
        "jobs": rows,
    }


def _families(names: list[str]) -> dict[str, list[str]]:
    """Metrics sharing a dotted prefix (``tip_mm.nominal``, ``tip_mm.learned``) plot together."""
    fam: dict[str, list[str]] = {}
    for n in names:
        fam.setdefault(n.rsplit(".", 1)[0] if "." in n else n, []).append(n)
    return {k: v for k, v in fam.items() if len(v) > 1}


def _box(path: Path, title: str, groups: dict[str, list[float]], ylabel: str) -> Path | None:
    from armjac.scenarios.plots import pyplot, save_figure

    groups = {k: [v for v in vs if v is not None and math.isfinite(v)] for k, vs in groups.items()}
    groups = {k: v for k, v in groups.items() if v}
    if not groups:
        return None
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(max(4.0, 0.9 * len(groups) + 2), 3.6))
    ax.boxplot(list(groups.values()), showfliers=True)
    ax.set_xticks(range(1, len(groups) + 1), list(groups), rotation=20 if len(groups) > 4 else 0)
    for i, vs in enumerate(groups.values(), start=1):  # every draw, so small samples show
        ax.plot(np.full(len(vs), i) + np.linspace(-0.08, 0.08, len(vs)), vs, ".", alpha=0.5)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3, axis="y")
    return save_figure(fig, DPI, path)


def plot(summary: dict, out: Path) -> list[str]:
    """Box plots of every summary metric's distribution; returns paths relative to ``out``."""
    ok = [r for r in summary["jobs"] if r["status"] == "ok"]
    names, axis = summary["metrics"], summary["group_by"]
    figs = []
    fam = _families(names)
    for prefix, members in fam.items():
        groups = {m.rsplit(".", 1)[1]: [r["metrics"].get(m) for r in ok] for m in members}
        p = _box(out / f"box_{slug(prefix)}.png", f"{prefix} over {len(ok)} jobs", groups, prefix)
        figs.append(p)
    in_family = {m for ms in fam.values() for m in ms}
    for name in names:
        if name in in_family:
            continue
        if axis is None:
            groups = {"all jobs": [r["metrics"].get(name) for r in ok]}
        else:
            groups = {
                f"{axis}={label(v)}": [r["metrics"].get(name) for r in ok if r["point"][axis] == v]
                for v in summary["axes"][axis]
            }
        figs.append(_box(out / f"box_{slug(name)}.png", name, groups, name))
    return [str(p.relative_to(out)) for p in figs if p is not None]


def _cell(s: dict) -> str:
    if s["median"] is None:
        return "n/a"
    if s["n"] == 1:
        return f"{s['median']:.4g}"
    return f"{s['median']:.4g} [{s['min']:.3g}, {s['max']:.3g}]"


def render(summary: dict) -> str:
    """summary.md: counts, failures, one table overall and one per axis, the figures."""
    s = summary
    lines = [f"# Sweep {s['name']}", ""]
    if s["description"]:
        lines += [s["description"].strip(), ""]
    lines += [
        f"{s['n_jobs']} {s['job']} jobs ({s['grid']} grid over "
        f"{', '.join(s['axes']) or 'no axes'}): {s['n_ok']} ok, {s['n_failed']} failed, "
        f"{s['n_reused']} reused from an earlier run.",
        "",
        "Cells: median [min, max] over the jobs with that value.",
        "",
        "## All jobs",
        "",
    ]
    lines += table([[n, _cell(st), st["n"]] for n, st in s["overall"].items()],
                   ["metric", "median [min, max]", "n"])  # fmt: skip
    for axis, entries in s["tables"].items():
        lines += [f"## By {axis}", ""]
        rows = [[label(e["value"]), e["n_ok"], e["n_failed"]]
                + [_cell(e["metrics"][n]) for n in s["metrics"]] for e in entries]  # fmt: skip
        lines += table(rows, [axis, "ok", "failed", *s["metrics"]])
    failed = [r for r in s["jobs"] if r["status"] != "ok"]
    if failed:
        lines += ["## Failed jobs", ""]
        lines += table([[r["index"], format_point(r["point"]), r["reason"][:200]] for r in failed],
                       ["job", "point", "reason"])  # fmt: skip
    if s.get("figures"):
        lines += ["## Distributions", ""]
        lines += [f"![{f}]({f})" for f in s["figures"]] + [""]
    return "\n".join(lines)


def write(summary: dict, out: Path, plots: bool = True) -> Path:
    """Write the figures, summary.json and summary.md into ``out``; returns summary.md."""
    out.mkdir(parents=True, exist_ok=True)
    summary["figures"] = plot(summary, out) if plots else []
    text = json.dumps(to_jsonable(summary), indent=1, allow_nan=False)
    (out / "summary.json").write_text(text + "\n")
    md = out / "summary.md"
    md.write_text(render(summary))
    return md
