"""The comparison's mismatch section: nominal, calibrated, learned and adapted models
of a real arm that is not its URDF, judged against the real arm.

For each mismatch spec (``mismatch:`` in a comparison file)::

    mismatch:
      - spec: kuka_iiwa            # configs/mismatch name or path
        seed: 0                    # draws the real arm
        budget: 2000               # tracker samples for the headline models
        budgets: [250, 500, 1000, 2000, 8000]   # error against data budget ([]: skip)
        n_test: 2000               # held-out static configurations for FK / J errors
        control: true              # encoder-only and tracker reaches
        n_targets: 3
        reach_duration: 3.0        # s per reach
        learn: null                # train_from_data config (null: its defaults)
        data: trajectory           # or static: iid random q (the fast static sampler)
        adapt: {bases: [nominal, calibrated+residual], rules: [tool_rls, pes, rls]}
        recovery: {base: calibrated+residual, rules: [none, offset, pes, rls, tool_rls],
                   dropout: true, duration: null}   # [] or false: skip
        force: true                # contact forces from joint torques (default off;
                                   # armjac.compare.force)

the real arm is drawn, an exploration run long enough for the largest budget
is recorded (:func:`armjac.mismatch.collect`), and from its first ``budget``
tracker samples these models are built:

* ``nominal``: the URDF with the assumed tool point;
* ``calibrated``: :func:`armjac.calibrate` on the samples;
* ``learned``: a network trained on the samples alone (no arm);
* ``residual``: a network on top of the nominal (``base: nominal``);
* ``calibrated+residual``: a network on top of the calibrated arm (the
  :func:`~armjac.learned.train_from_data` default);
* any registered adapter (:func:`~armjac.compare.registry.register_adapter`): ``adapted``
  (:mod:`armjac.compare.adapted`) adds ``RULE on BASE`` rows, each base model
  adapted online along a path with the tracker, then judged like the others;
* recovery curves: the ``tool_change`` and ``tracker_dropout`` scenarios on the
  same real arm, once per adaptation rule (spatial arms only);
* the force part (:mod:`armjac.compare.force`): what each model's J and g cost in
  newtons when contact forces are estimated from joint torques.

Static errors use held-out configurations drawn uniformly within the explored
range (:func:`~armjac.mismatch.static_samples`, truth from the real arm): the
tip error of each model's FK of the readings, and the relative error of its
Jacobian against the real d tip / d readings. The verdict is written from
these numbers.

This module runs an entry; the options, models, scores, verdict and report live in
``mismatch_options``, ``mismatch_models``, ``mismatch_scores``, ``mismatch_verdict``
and ``mismatch_report`` (names re-exported here).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from armjac.compare.mismatch_models import build_models
from armjac.compare.mismatch_options import BUDGET_MODELS, parse_section
from armjac.compare.mismatch_scores import (
    HOPELESS_MM,
    N_JACOBIAN,
    control_errors,
    reach_targets,
    static_errors,
)
from armjac.compare.mismatch_verdict import verdict
from armjac.compare.registry import register_adapter

__all__ = [
    "build_models", "control_errors", "parse_section", "reach_targets", "register_adapter",
    "run_section", "run_spec", "static_errors", "verdict",
]  # fmt: skip


def run_spec(entry: dict, figdir: Path, *, progress: bool = False, log=None) -> dict:
    """Everything the section reports for one spec (see the module docstring)."""
    from armjac.mismatch import collect, load_spec, static_samples

    log = log or (lambda *_: None)
    t_start = time.perf_counter()
    spec = load_spec(entry["spec"])
    seed = entry["seed"]
    real = spec.realize(seed)
    budgets = entry["budgets"]
    n_max = max([entry["budget"], *budgets])
    trk = spec.tracker
    duration = n_max / trk.rate_hz / (1.0 - trk.dropout) * 1.02 + trk.latency_ms * 1e-3 + 1.0
    phases = {}
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    if entry["data"] == "static":
        data = static_samples(real, n_max, seed=seed + 3000)
    else:
        data = collect(real, duration, seed=seed, progress=progress)
    phases["collect_s"] = time.perf_counter() - t0
    log(f"mismatch {spec.name}: {len(data)} tracker samples ({entry['data']})")
    test = static_samples(real, entry["n_test"], seed=seed + 1000)
    n_j = min(N_JACOBIAN, entry["n_test"])
    jac_true = np.array([real.measured_jacobian(ql) for ql in test.truth_q[:n_j]])

    t0 = time.perf_counter()
    q, x = data.pairs(entry["budget"])
    sources, info = build_models(real, q, x, entry["learn"], adapt=entry.get("adapt"),
                                 progress=progress)  # fmt: skip
    phases["models_s"] = time.perf_counter() - t0
    static = {n: static_errors(s, test, test.truth_q[:n_j], jac_true) for n, s in sources.items()}

    control = None
    if entry["control"]:
        t0 = time.perf_counter()
        targets = reach_targets(real, entry["n_targets"], seed + 2000)
        usable = {n: src for n, src in sources.items()  # adapted rows: see recovery
                  if static[n]["fk_median_mm"] < HOPELESS_MM
                  and "adapter" not in info.get(n, {})}  # fmt: skip
        control = control_errors(real, usable, targets, entry["reach_duration"], seed)
        phases["control_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    budget_rows = []
    for n in budgets:
        qn, xn = data.pairs(n)
        srcs, _ = build_models(real, qn, xn, entry["learn"], which=BUDGET_MODELS)
        budget_rows.append(
            {
                "n": n,
                **{
                    k: static_errors(s, test, test.truth_q[:n_j], jac_true)["fk_median_mm"]
                    for k, s in srcs.items()
                },
            }
        )
    phases["budgets_s"] = time.perf_counter() - t0
    recovery = None
    if entry.get("recovery"):
        from armjac.compare.adapted import run_recovery

        t0 = time.perf_counter()
        recovery = run_recovery(entry, sources, figdir, f"{spec.name}_{entry['data']}_seed{seed}")
        phases["recovery_s"] = time.perf_counter() - t0
    force = None
    if entry.get("force"):
        from armjac.compare.force import run_force

        t0 = time.perf_counter()
        force = run_force(real, sources, entry, figdir, f"{spec.name}_{entry['data']}_seed{seed}",
                          log)  # fmt: skip
        phases["force_s"] = time.perf_counter() - t0
    fig = None
    if budget_rows:
        from armjac.compare.plots import budget_figure

        fig = budget_figure(
            budget_rows,
            static["nominal"]["fk_median_mm"],
            figdir / f"budget_{spec.name}_{entry['data']}_seed{seed}.png",
            spec.name,
        )
    noise = trk.noise_mm
    result = {
        "spec": spec.to_dict(),
        "seed": seed,
        "budget": entry["budget"],
        "n_samples_collected": len(data),
        "data": entry["data"],
        "exploration_s": round(duration, 1) if entry["data"] == "trajectory" else None,
        "noise_floor_rms_mm": float(np.sqrt(3) * noise),
        "truth": {
            k: (None if v is None else np.asarray(v).tolist()) for k, v in real.truth.items()
        },
        "models": info,
        "static": static,
        "control": control,
        "budgets": budget_rows,
        "budget_figure": None if fig is None else str(fig),
        "recovery": recovery,
        "force": force,
    }
    phases["total_s"] = time.perf_counter() - t_start
    phases["cpu_s"] = time.process_time() - cpu0
    result["phases_s"] = {k: round(v, 1) for k, v in phases.items()}
    result["verdict"] = verdict(result)
    return result


def run_section(entries: list[dict], out: Path, *, progress=False, log=None) -> list[dict]:
    """Run every entry; figures go to ``out/figures`` (paths relative to ``out``)."""
    figdir = Path(out) / "figures"
    figdir.mkdir(parents=True, exist_ok=True)
    results = []
    for entry in entries:
        res = run_spec(entry, figdir, progress=progress, log=log)
        if res["budget_figure"]:
            res["budget_figure"] = str(Path(res["budget_figure"]).relative_to(out))
        for key, val in (res.get("recovery") or {}).items():
            if key.endswith("_figure"):
                res["recovery"][key] = str(Path(val).relative_to(out))
        tool = (res.get("force") or {}).get("tool_change") or {}
        if tool.get("figure"):
            tool["figure"] = str(Path(tool["figure"]).relative_to(out))
        results.append(res)
    return results
