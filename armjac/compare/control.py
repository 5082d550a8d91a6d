"""Control side by side: every scenario run with every Jacobian source.

Sources are the references (``analytic``, ``pybullet``) and each learned model
twice: with the end-effector position measured by the simulator's arm
(``fk_source="trusted"``: only J comes from the network) and with the
network's own FK (``fk_source="source"``), whose error bounds the reachable
accuracy. Runs go through :func:`armjac.scenarios.run_scenario`; a run that diverges, is
refused by the controller, or misses the scenario's ``expect`` bounds is kept
and reported as a failure with its reason.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from armjac.compare.cache import RUN_CODE, Cache, arm_fingerprint, digest
from armjac.compare.config import ScenarioSpec
from armjac.fingerprint import source_fingerprint


@dataclass
class Source:
    """A Jacobian source to run: ``label``, the object (or a factory), and the pose sensor."""

    label: str
    kind: str  # "analytic" | "pybullet" | "learned"
    spec: object  # what armjac.sources.resolve_source takes: a kind or the model object
    identity: str  # what the cache key uses (a model's hash, or the kind)
    fk_source: str = "trusted"
    model: str | None = None  # learned model name


class _Recorder:
    """Wraps a source and keeps the q of every Jacobian call (one per control step)."""

    def __init__(self, source):
        self._source = source
        self.qs: list[np.ndarray] = []

    def jacobian(self, q: ArrayLike, *args, **kwargs):
        """Record a float copy of ``q``, then return the wrapped source's Jacobian."""
        self.qs.append(np.array(q, dtype=float))
        return self._source.jacobian(q, *args, **kwargs)

    def __getattr__(self, name):  # everything else is the source's own
        return getattr(self._source, name)


def position_only(data: dict) -> dict:
    """The scenario with only the linear axes of ``controller.ctrlr_dof`` controlled."""
    out = copy.deepcopy(data)
    ctrl = out.setdefault("controller", {})
    dof = ctrl.get("ctrlr_dof")
    if dof is None:
        return out
    if all(isinstance(x, str) for x in dof):
        ctrl["ctrlr_dof"] = [x for x in dof if x in ("x", "y", "z")] or ["x", "y", "z"]
    else:
        ctrl["ctrlr_dof"] = [bool(x) for x in dof[:3]] + [False, False, False]
    return out


def scenario_config(spec: ScenarioSpec, seed: int, pos_only: bool):
    """The validated :class:`armjac.scenarios.ScenarioConfig` for one (scenario, seed)."""
    from armjac.scenarios.config import validate

    data = position_only(spec.data) if pos_only else copy.deepcopy(spec.data)
    data["seed"] = seed
    return validate(data, spec.where)


def classify(result: dict) -> tuple[str, str]:
    """``(outcome, reason)``: pass, fail (outside bounds), diverged or error."""
    if result.get("status") == "error":
        return "error", result.get("reason", "")
    if result.get("status") != "ok":
        return "diverged", result.get("reason", "")
    if not result.get("passed", False):
        return "fail", "; ".join(result.get("failures", [])) or "outside the expected bounds"
    return "pass", ""


def _targets(cfg, arm, n: int) -> np.ndarray:
    """The scenario's target positions (n, 3), rebuilt from its config."""
    from armjac.scenarios.registry import scenario_type

    q0 = arm.home if cfg.start_q is None else np.asarray(cfg.start_q)
    sc = scenario_type(cfg.scenario)(cfg, arm, q0, np.random.default_rng(cfg.seed))
    sc.prepare(np.arange(n) * cfg.dt)
    return sc.target_pos


def run_one(cfg, arm, source: Source, duration: float | None, progress=None) -> tuple[dict, dict]:
    """Run one scenario with one source; returns ``(result, log)`` and never raises.

    ``log`` holds ``t``, ``ee_pos`` (from the recorded q, via the analytic FK)
    and ``target_pos`` for the path plots; row ``k`` is the instant ``k dt``
    the controller was called, as in the scenario runner's log.
    """
    from armjac.scenarios import run_scenario
    from armjac.sources import resolve_source

    obj = None
    try:
        with resolve_source(source.spec, arm) as resolved:
            obj = _Recorder(resolved.source)
            result = run_scenario(
                cfg,
                source=obj,
                arm=arm,
                duration=duration,
                plots=False,
                fk_source=source.fk_source,
                progress=progress,
            )
    except Exception as exc:  # a source the controller refuses must not stop the report
        result = {"status": "error", "reason": f"{type(exc).__name__}: {exc}", "passed": False}
    result["jacobian"] = source.label
    qs = obj.qs if obj is not None else []
    if "sim_time_s" in result:  # a finished run: its steps are the last calls
        qs = qs[-int(round(result["sim_time_s"] / cfg.dt)) :]
    else:  # stopped early: drop the controller's probe call
        qs = qs[1:]
    q = np.array(qs).reshape(-1, arm.dof)
    ee = arm.fk(q)[:, :3, 3] if len(q) else np.zeros((0, 3))
    log = {
        "t": np.arange(len(q)) * cfg.dt,
        "ee_pos": ee,
        "target_pos": _targets(cfg, arm, len(q)) if len(q) else np.zeros((0, 3)),
    }
    return result, log


def run_all(
    arm,
    scenarios: list[ScenarioSpec],
    seeds: list[int],
    sources: list[Source],
    pos_only: bool,
    cache: Cache,
    progress: bool = True,
) -> tuple[list[dict], dict]:
    """Every (scenario, seed, source); cached runs are reused.

    Returns the run records (JSON-ready) and the logs keyed by (scenario, seed, label).
    """
    from armjac import __version__
    from armjac.progress import progress_bar

    jobs = [(s, seed, src) for s in scenarios for seed in seeds for src in sources]
    records, logs = [], {}
    bar = progress_bar(len(jobs), enabled=progress, desc="scenarios", unit="run")
    for spec, seed, src in jobs:
        bar.set_postfix_str(f"{spec.label}/{src.label}"[:60])
        try:
            cfg = scenario_config(spec, seed, pos_only)
        except Exception as exc:
            records.append(
                {
                    "scenario": spec.label,
                    "seed": seed,
                    "source": src.label,
                    "outcome": "error",
                    "reason": str(exc),
                }
            )
            bar.update(1)
            continue
        cfg_data = {k: v for k, v in vars(cfg).items() if k != "source_path"}
        key = digest(
            {
                "scenario": cfg_data,
                "duration": spec.duration,
                "source": src.identity,
                "fk": src.fk_source,
                "arm": arm_fingerprint(arm),
                "armjac": __version__,
                "code": source_fingerprint(*RUN_CODE),
            }
        )
        cached = cache.load_run(key)
        if cached is not None:
            result, log = cached
            result["cached"] = True
        else:
            result, log = run_one(cfg, arm, src, spec.duration)
            result["cached"] = False
            if result.get("status") != "error":  # an error may be transient: retry next time
                cache.save_run(key, result, log)
        outcome, reason = classify(result)
        record = {
            "scenario": spec.label,
            "type": cfg.scenario,
            "seed": seed,
            "source": src.label,
            "kind": src.kind,
            "model": src.model,
            "fk_source": src.fk_source,
            "outcome": outcome,
            "reason": reason,
            "cached": result["cached"],
            "metrics": {
                k: v
                for k, v in result.items()
                if isinstance(v, int | float) and not isinstance(v, bool)
            },
        }
        records.append(record)
        logs[(spec.label, seed, src.label)] = log
        bar.update(1)
    bar.close()
    return records, logs


def ratios(records: list[dict], reference: str = "analytic") -> list[dict]:
    """Each run's error metrics divided by the reference source's (same scenario, seed)."""
    ref = {(r["scenario"], r["seed"]): r for r in records if r["source"] == reference}
    out = []
    for r in records:
        base = ref.get((r["scenario"], r["seed"]))
        if base is None or r["source"] == reference:
            continue
        row = {"scenario": r["scenario"], "seed": r["seed"], "source": r["source"]}
        for key in ("position_rmse_m", "final_position_error_m", "max_segment_final_error_m"):
            a, b = r["metrics"].get(key), base["metrics"].get(key)
            ok = a is not None and b is not None and b > 0 and math.isfinite(a)
            row[key] = a / b if ok else math.nan
        out.append(row)
    return out
