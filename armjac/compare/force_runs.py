"""The force part's closed-loop runs on the section's real arm.

* **press** (``real_press``, :mod:`armjac.mismatch.force_scenarios`): the
  ``press_sensorless`` task on the real arm, the force loop closed on the momentum
  observer through one model's ``J`` and ``g``, scored with the simulator's contact
  force. Each row names the ``J`` model (a section model, or ``exact``: the real arm
  at its tool point, read without encoder errors) and the ``g`` (``nominal``,
  ``load_data``, ``identified`` on the J model's chain, ``real``).
* **tool change** (``tool_change_force``): the ``tool_change`` scenario once per
  adaptation rule with the observer watching the contact-free hand: how long after
  the unknown tool change until the estimated force is within 1 N again.
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import numpy as np

from armjac.configs import Reader

PRESS_KEYS = {"rows", "scenario", "duration"}
TOOL_KEYS = {"base", "rules", "duration"}
ROW_KEYS = {"j", "g"}
G_CHOICES = ("nominal", "load_data", "identified", "real")
DEFAULT_PRESS = {
    "scenario": "press_sensorless",
    "rows": [
        {"j": "nominal", "g": "nominal"},
        {"j": "nominal", "g": "load_data"},
        {"j": "nominal", "g": "identified"},
        {"j": "calibrated", "g": "identified"},
        {"j": "exact", "g": "real"},
    ],
    "duration": None,
}
DEFAULT_TOOL = {"base": "nominal", "rules": ["none", "offset", "tool_rls"], "duration": None}
TOOL_SCENARIO = "tool_change"


def press_options(f: Reader, spec_arm: str | None = None) -> dict | None:
    """``press``: true/false or ``{rows: [{j, g}], scenario, duration}`` (None: skip).
    The default is on where the spec's arm is the press scenario's."""
    from armjac.scenarios.config import load_scenario

    raw = f.data.get("press", None)
    if raw in (False, [], {}):
        return None
    p = f.child(raw if isinstance(raw, dict) else {}, "press")
    p.check_keys(PRESS_KEYS)
    scenario = p.string("scenario", DEFAULT_PRESS["scenario"])
    if spec_arm is not None and spec_arm != load_scenario(scenario).arm:
        if raw is None:
            return None
        raise f.fail("press", f"the {scenario} scenario is for {load_scenario(scenario).arm}; "
                              f"the spec's arm is {spec_arm!r} (set press: false)")  # fmt: skip
    rows = []
    for i, row in enumerate(p.sequence("rows", DEFAULT_PRESS["rows"])):
        if not isinstance(row, dict):
            raise p.fail(f"rows[{i}]", f"must be a mapping {{j: MODEL, g: G}}; got {row!r}")
        r = p.child(row, f"rows[{i}]")
        r.check_keys(ROW_KEYS)
        rows.append({"j": r.string("j", ...), "g": r.string("g", ..., G_CHOICES)})
    duration = p.data.get("duration")
    return {"scenario": scenario, "rows": rows,
            "duration": None if duration is None else p.number("duration", positive=True)}


def tool_change_options(f: Reader, spec_arm: str | None = None) -> dict | None:
    """``tool_change``: true/false or ``{base, rules, duration}`` (None: skip)."""
    from armjac.adapt.spec import parse_spec
    from armjac.errors import ConfigError
    from armjac.scenarios.config import load_scenario

    raw = f.data.get("tool_change", None)
    if raw in (False, [], {}):
        return None
    scen_arm = load_scenario(TOOL_SCENARIO).arm
    if spec_arm is not None and spec_arm != scen_arm:
        if raw is None:
            return None
        raise f.fail("tool_change", f"the {TOOL_SCENARIO} scenario is for {scen_arm}; "
                     f"the spec's arm is {spec_arm!r} (set tool_change: false)")  # fmt: skip
    t = f.child(raw if isinstance(raw, dict) else {}, "tool_change")
    t.check_keys(TOOL_KEYS)
    rules = t.sequence("rules", DEFAULT_TOOL["rules"])
    for i, rule in enumerate(rules):
        try:
            parse_spec(rule)
        except ConfigError as exc:
            raise t.fail(f"rules[{i}]", str(exc)) from None
    duration = t.data.get("duration")
    return {
        "base": t.string("base", DEFAULT_TOOL["base"]),
        "rules": list(rules),
        "duration": None if duration is None else t.number("duration", positive=True),
    }


def _press_config(scenario: str, entry: dict, row: dict, sensor) -> dict:
    from armjac.scenarios.config import scenario_data

    data = copy.deepcopy(scenario_data(scenario))
    task = data.setdefault("task", {})
    task.update(
        mismatch={"spec": str(entry["spec"]), "seed": entry["seed"]},
        dynamics=row["g"],
        readings="true" if row["j"] == "exact" else "encoders",
        force_from="observer",
    )
    if sensor:
        task["torque_sensor"] = dict(sensor)
    data.update(scenario="real_press", name=f"{data.get('name', scenario)} on the real arm",
                expect={})  # fmt: skip
    return data


PRESS_SCORES = ("force_rmse_N", "force_mean_N", "touchdown_peak_N", "impact_bound_N",
                "contact_lost_steps", "load_mass_kg")  # fmt: skip


def run_press(real, sources: dict, entry: dict, options: dict) -> list[dict]:
    """One ``real_press`` run per row; the rows' scores (a missing J model is skipped)."""
    from armjac.learned.residual import TipNominal
    from armjac.scenarios.runner import run_scenario

    press = options["press"]
    out = []
    for row in press["rows"]:
        if row["j"] == "exact":
            src = TipNominal(real.arm, real.tool_point)
        elif row["j"] in sources:
            src = sources[row["j"]]
        else:
            continue
        cfg = _press_config(press["scenario"], entry, row, options["torque_sensor"])
        m = run_scenario(cfg, src, arm=real.nominal, duration=press["duration"], plots=False)
        res = {"j": row["j"], "g": row["g"], "status": m["status"]}
        if m["status"] != "ok":
            res["reason"] = m.get("reason", "")
        res.update({k: _finite(m.get(k)) for k in PRESS_SCORES if k in m})
        out.append(res)
    return out


def run_tool_change(sources: dict, entry: dict, options: dict, figdir: Path, tag: str) -> dict:
    """``tool_change_force`` once per rule on the base model: scores and a figure."""
    from armjac.compare.adapted import rule_label
    from armjac.scenarios.adaptive import recovery_curves
    from armjac.scenarios.config import load_scenario

    opts = options["tool_change"]
    base = opts["base"]
    if base != "nominal" and base not in sources:
        return {"base": base, "runs": {}, "reason": f"no model {base!r} in the section"}
    cfg = load_scenario(TOOL_SCENARIO)
    task = {**cfg.task, "mismatch": entry["spec"], "real_seed": entry["seed"]}
    if options["torque_sensor"]:
        task["torque_sensor"] = dict(options["torque_sensor"])
    cfg = dataclasses.replace(cfg, scenario="tool_change_force", task=task)
    rules = {rule_label(r): r for r in opts["rules"]}
    runs = recovery_curves(cfg, rules, source=None if base == "nominal" else sources[base],
                           duration=opts["duration"])  # fmt: skip
    scores = {}
    for label, m in runs.items():
        scores[label] = {"status": m["status"], "reason": m.get("reason")}
        for key in ("force_recovery_time_s", "force_before_change_N", "force_end_N",
                    "force_tolerance_N", "recovery_time_s"):  # fmt: skip
            scores[label][key] = _finite(m.get(key))
    curves = {k: m["force_curve"] for k, m in runs.items() if "force_curve" in m}
    fig = None
    if curves:
        from armjac.compare.plots import force_curves_figure

        title = f"estimated force, contact-free hand, base {base}"
        path = figdir / f"force_tool_change_{tag}.png"
        fig = str(force_curves_figure(curves, cfg.task.get("at", 2.0), path, title))
    return {"base": base, "setup": {k: cfg.task.get(k) for k in ("at", "tool_extension",
                                                                 "tool_mass")},
            "runs": scores, "figure": fig}  # fmt: skip


def _finite(v):
    if isinstance(v, float | np.floating):
        return float(v) if np.isfinite(v) else None
    return v
