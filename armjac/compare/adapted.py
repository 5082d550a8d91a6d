"""Online adaptation in the mismatch section: adapted models and recovery curves.

Registers ``adapted`` with the section (:func:`armjac.compare.registry.register_adapter`):
each base model of the section (``adapt.bases``) is wrapped by each rule
(``adapt.rules``, :func:`armjac.adapt.make_adapting`) and adapted online
along a joint-space path on the real arm, one update per tracker sample
(the spec's rate, noise, latency and dropouts; encoder readings at the
exposure time). The adapted models are then judged on the same held-out set
as the others, so the table reads before (the base's row) against after
adaptation: what adapting along one path does to the model everywhere else.

:func:`run_recovery` runs the ``tool_change`` and ``tracker_dropout`` scenarios
(:mod:`armjac.scenarios.adaptive`) on the section's real arm (same spec and
seed), once per rule, on one of the section's models.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np

from armjac.compare.markdown import table
from armjac.compare.registry import register_adapter

PATH_SECONDS = 6.0  # the adaptation path: 300 samples at 50 Hz
PATH_AMPLITUDE = 0.3  # rad, every joint a sine around home
PATH_PERIOD = 3.0  # s, joint j's sine has period PATH_PERIOD * (1 + 0.15 j)
DEFAULT_ADAPT = {
    "bases": ["nominal", "calibrated+residual"],
    "rules": ["tool_rls", "pes", "rls"],
}
# Rules for the recovery runs (docs/adaptation.md's measurements): none; the tracker offset
# (first back within 2 mm soonest); the best on a learned residual (tool_rls); the gentlest
# decoder rule (pes) and the one that damages the model off the path (rls). Broyden and
# exponential-forgetting RLS, which lose or diverge there, are left to the config.
DEFAULT_RECOVERY = {
    "base": "calibrated+residual",
    "rules": ["none", "offset", "pes", "rls", "tool_rls"],
    "dropout": True,
    "duration": None,
}
SETUP_KEYS = ("at", "tool_extension", "tool_mass", "stop")  # scenario settings the report names


def rule_label(spec) -> str:
    """A short name for a rule spec: ``tool_rls``, ``rls(forgetting=none)``."""
    if isinstance(spec, str):
        return spec
    extra = ", ".join(f"{k}={v}" for k, v in spec.items() if k != "rule")
    return f"{spec['rule']}({extra})" if extra else spec["rule"]


def path_samples(real, seconds: float = PATH_SECONDS, seed: int = 0) -> list:
    """Tracker samples along a joint-space path around home: ``[(t, q_read, x), ...]``.

    ``q_read`` are the encoder readings (with noise) at the exposure time ``t``,
    ``x`` the tracker's measurement of the true tip then.
    """
    home = real.nominal.home
    lo, hi = real.nominal.sample_bounds(0.1)
    periods = PATH_PERIOD * (1.0 + 0.15 * np.arange(home.size))
    rng = np.random.default_rng(seed)
    tracker = real.tracker(seed=seed + 1)

    def q_at(t: float) -> np.ndarray:
        q = home + PATH_AMPLITUDE * np.sin(2 * np.pi * t / periods)
        return np.clip(q, lo, hi)

    out, dt = [], 0.002
    for k in range(int(round(seconds / dt)) + 1):
        t = k * dt
        for te, x in tracker.observe(t, lambda t=t: real.tip(q_at(t))):
            out.append((te, real.encoders.read(q_at(te), rng), x))
    return out


def adapted_models(real, sources: dict, q, x, options: dict | None = None) -> dict:
    """``{"RULE on BASE": model}``: each base adapted along :func:`path_samples`."""
    from armjac.adapt import make_adapting

    opts = {**DEFAULT_ADAPT, **(options or {})}
    samples = path_samples(real, seed=real.seed + 4000)
    out = {}
    for base in opts["bases"]:
        if base not in sources:
            continue
        for spec in opts["rules"]:
            model = make_adapting(sources[base], spec)
            for te, qr, xm in samples:
                model.update(qr, xm, te)
            out[f"{rule_label(spec)} on {base}"] = model
    return out


register_adapter("adapted", adapted_models)


# -- recovery curves ------------------------------------------------------------------
def run_recovery(entry: dict, sources: dict, figdir: Path, name: str) -> dict:
    """Tool change (and tracker dropout) per rule on ``sources[base]``: scores and figures.

    Returns ``{"base", "tool_change": {label: scores}, "tool_change_figure",
    "tracker_dropout": ..., "tracker_dropout_figure"}`` (figure paths absolute).
    """
    from armjac.scenarios.adaptive import plot_curves, recovery_curves
    from armjac.scenarios.config import load_scenario

    opts = {**DEFAULT_RECOVERY, **(entry.get("recovery") or {})}
    base = opts["base"]
    source = None if base == "nominal" else sources[base]
    rules = {rule_label(s): s for s in opts["rules"]}
    out = {"base": base}
    scenarios = ["tool_change"] + (["tracker_dropout"] if opts["dropout"] else [])
    for scen in scenarios:
        cfg = load_scenario(scen)
        task = {**cfg.task, "mismatch": entry["spec"], "real_seed": entry["seed"]}
        runs = recovery_curves(dataclasses.replace(cfg, task=task), rules, source=source,
                               duration=opts["duration"])  # fmt: skip
        curves = {k: v["curve"] for k, v in runs.items() if "curve" in v}
        fig = plot_curves(curves, figdir / f"{scen}_{name}.png",
                          f"{scen.replace('_', ' ')}: tip error, base {base}")  # fmt: skip
        out[scen] = {k: _scores(v) for k, v in runs.items()}
        out[f"{scen}_setup"] = {k: cfg.task[k] for k in SETUP_KEYS if k in cfg.task}
        out[f"{scen}_figure"] = str(fig)
    return out


_SCORES = (
    "status", "reason", "first_within_s", "recovery_time_s", "model_recovery_time_s",
    "error_before_change_m", "rmse_tracked_m", "rmse_after_stop_m", "max_error_after_stop_m",
    "offpath_fk_median_m",
)  # fmt: skip


def _scores(run: dict) -> dict:
    """The scores a report shows (no curve), with NaN as None."""
    out = {}
    for k in _SCORES:
        v = run.get(k)
        if isinstance(v, dict):
            v = {a: _finite(b) for a, b in v.items()}
        out[k] = _finite(v)
    return out


def _finite(v):
    return None if isinstance(v, float) and not math.isfinite(v) else v


# -- the verdict and the report ---------------------------------------------------------
def _ms(v) -> float:
    return math.inf if v is None else float(v)


def _fmt_s(v) -> str:
    return "never" if v is None else f"{v:.2f} s"


def _mm_of_m(v) -> str:
    return "-" if v is None else f"{1e3 * v:.2f}"


def adapted_rows(r: dict) -> dict:
    """``{row: (base, fk after, fk of the base)}`` for the adapted rows of a result."""
    s = r["static"]
    out = {}
    for row, info in r["models"].items():
        if info.get("adapter") and row in s:
            base = row.rsplit(" on ", 1)[-1]
            if base in s:
                out[row] = (base, s[row]["fk_median_mm"], s[base]["fk_median_mm"])
    return out


def verdict_lines(r: dict) -> list[str]:
    """Plain-language conclusions on adaptation, computed from the numbers."""
    out = []
    rows = adapted_rows(r)
    if rows:
        ratio = {k: after / before for k, (_, after, before) in rows.items()}
        best = min(rows, key=lambda k: rows[k][1])
        worst = max(ratio, key=ratio.get)
        kept = sorted(k for k, v in ratio.items() if v <= 1.2)
        out.append(
            f"Adapting online along a {PATH_SECONDS:g} s path on the unchanged arm, the most "
            f"accurate adapted model off the path is **{best}** ({rows[best][1]:.2f} mm, its base "
            f"{rows[best][2]:.2f} mm); **{worst}** damages its base most off the path "
            f"({rows[worst][2]:.2f} -> {rows[worst][1]:.2f} mm, {ratio[worst]:.2f}x). "
            + (
                f"Within 20 % of their base: {', '.join(kept)}."
                if kept
                else "None stays within 20 % of its base."
            )  # fmt: skip
        )
    rec = r.get("recovery") or {}
    tc = {k: v for k, v in (rec.get("tool_change") or {}).items() if v.get("status") == "ok"}
    if tc:
        stay = {k: _ms(v["recovery_time_s"]) for k, v in tc.items()}
        model = {k: _ms(v["model_recovery_time_s"]) for k, v in tc.items()}
        fast = min(stay, key=stay.get)
        mfast = min(model, key=model.get)
        met = sorted(k for k, v in stay.items() if v <= 1.0)
        failed = sorted(set(rec["tool_change"]) - set(tc))
        text = (
            f"After the tool change (base {rec['base']}), "
            + (f"the tip stays within 2 mm soonest with **{fast}** ({stay[fast]:.2f} s)"
               if math.isfinite(stay[fast]) else "no rule brings the tip back within 2 mm to stay")
            + (f"; within 1 s: {', '.join(met)}" if met else "; no rule meets 1 s")
            + (f"; the model itself is right again soonest with **{mfast}** ({model[mfast]:.2f} s)"
               if math.isfinite(model[mfast]) else "")
        )  # fmt: skip
        if "none" in stay:
            text += (
                "; without adaptation the tip never recovers"
                if not math.isfinite(stay["none"])
                else f"; without adaptation it takes {stay['none']:.2f} s"
            )
        off = {
            k: v["offpath_fk_median_m"]["after_m"] / v["offpath_fk_median_m"]["at_change_m"]
            for k, v in tc.items()
            if (v.get("offpath_fk_median_m") or {}).get("after_m") is not None
            and v["offpath_fk_median_m"].get("at_change_m")
        }
        if off:
            b = min(off, key=off.get)
            o = tc[b]["offpath_fk_median_m"]
            text += (f". Off the path, **{b}** leaves the model best for the new tool "
                     f"({off[b]:.2f}x the held-out error at the change)")  # fmt: skip
            if o.get("base_before_m"):
                worse = o["after_m"] / o["base_before_m"]
                text += (f": {1e3 * o['after_m']:.2f} mm against the unadapted model's "
                         f"{1e3 * o['base_before_m']:.2f} mm on the old tool, {worse:.2f}x ("
                         + ("within" if worse <= 1.2 else "more than")
                         + " 20 % worse)")  # fmt: skip
        if failed:
            text += f". Failed (diverged): {', '.join(failed)}"
        out.append(text + ".")
    td = {k: v for k, v in (rec.get("tracker_dropout") or {}).items()
          if v.get("status") == "ok" and v.get("rmse_after_stop_m") is not None}  # fmt: skip
    if td:
        after = {k: v["rmse_after_stop_m"] for k, v in td.items()}
        b = min(after, key=after.get)
        text = (f"When the tracker stops, **{b}** holds the tip best "
                f"({1e3 * after[b]:.2f} mm RMS after the stop")  # fmt: skip
        if "none" in after and after[b] < 0.95 * after["none"]:
            text += f", against {1e3 * after['none']:.2f} mm without adaptation)"
        elif "none" in after:
            text += (
                f"; {1e3 * after['none']:.2f} mm without adaptation): no rule holds the "
                "tip more than 5 % better than no adaptation once the tracker is gone"
            )
        else:
            text += ")"
        out.append(text + ".")
    return out


def recovery_markdown(rec: dict) -> list[str]:
    """Tables (and plots) of the recovery runs."""
    lines = []
    tc = rec.get("tool_change")
    if tc:
        su = rec.get("tool_change_setup", {})
        lines += [f"Tool change (the tool grows by {su.get('tool_extension', '?')} m at "
                  f"{su.get('at', '?')} s), base **{rec['base']}**; "
                  "held-out FK: median over configurations uniform in the limits, adapted to the "
                  "old tool / against the new tool at the change / at the end:", ""]  # fmt: skip
        rows = []
        for k, v in tc.items():
            if v.get("status") != "ok":
                rows.append([k, f"failed: {v.get('reason', '')[:60]}", "", "", "", "", ""])
                continue
            o = v.get("offpath_fk_median_m") or {}
            rows.append([k, _fmt_s(v.get("first_within_s")), _fmt_s(v.get("recovery_time_s")),
                         _fmt_s(v.get("model_recovery_time_s")), _mm_of_m(o.get("before_change_m")),
                         _mm_of_m(o.get("at_change_m")), _mm_of_m(o.get("after_m"))])  # fmt: skip
        lines += table(rows, ["rule", "tip first within 2 mm", "tip stays within 2 mm",
                              "model within 2 mm", "held-out FK before [mm]",
                              "at change [mm]", "after [mm]"])  # fmt: skip
        if rec.get("tool_change_figure"):
            lines += [f"![recovery after the tool change]({rec['tool_change_figure']})", ""]
    td = rec.get("tracker_dropout")
    if td:
        stop = rec.get("tracker_dropout_setup", {}).get("stop", "?")
        lines += [f"Tracker dropout (the tracker stops for good at {stop} s):", ""]
        rows = [[k, _mm_of_m(v.get("rmse_tracked_m")), _mm_of_m(v.get("rmse_after_stop_m")),
                 _mm_of_m(v.get("max_error_after_stop_m")),
                 _mm_of_m((v.get("offpath_fk_median_m") or {}).get("after_m"))]
                if v.get("status") == "ok" else [k, "failed", "", "", ""]
                for k, v in td.items()]  # fmt: skip
        lines += table(rows, ["rule", "tip RMS, last tracked second [mm]",
                              "RMS after the stop [mm]", "max after the stop [mm]",
                              "held-out FK at the end [mm]"])  # fmt: skip
        if rec.get("tracker_dropout_figure"):
            lines += [f"![tip error, tracker stopping]({rec['tracker_dropout_figure']})", ""]
    return lines
