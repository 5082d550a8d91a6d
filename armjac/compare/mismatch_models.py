"""The mismatch section's models of a real arm, built from measured ``(q, x)``.

``nominal`` (the URDF at the assumed tool point), ``calibrated`` and
``calibrated+joint`` (:func:`armjac.calibrate`), ``learned``, ``residual`` and
``calibrated+residual`` (:func:`armjac.learned.train_from_data`), and whatever the
registered adapters (:mod:`armjac.compare.registry`) make from those.
"""

from __future__ import annotations

import time

import armjac.compare.adapted  # noqa: F401  registers the adapted models
from armjac.compare.registry import adapters


def _learn_cfg(base_cfg, base: str, progress: bool) -> dict:
    from armjac.learned.from_data import data_config

    cfg = data_config(base_cfg)
    cfg["base"] = base
    cfg["training"]["progress"] = progress
    return cfg


def build_models(
    real, q, x, learn=None, *, which=None, adapt=None, progress=False
) -> tuple[dict, dict]:
    """Sources built from measured ``(q, x)``: name -> source, and name -> info
    (``adapt``: the options passed to every registered adapter)."""
    from armjac.calibration import calibrate
    from armjac.learned import train_from_data
    from armjac.learned.residual import TipNominal

    which = set(
        which
        or (
            "nominal", "calibrated", "calibrated+joint", "learned", "residual",
            "calibrated+residual", *adapters(),
        )
    )  # fmt: skip
    sources, info = {}, {}
    nominal, point = real.nominal, real.assumed_point
    if "nominal" in which:
        sources["nominal"] = TipNominal(nominal, point)
    t0 = time.perf_counter()
    if "calibrated" in which:
        cal = calibrate(nominal, q, x, point=point)
        sources["calibrated"] = TipNominal(cal.arm, cal.point)
        info["calibrated"] = {**cal.summary(), "seconds": round(time.perf_counter() - t0, 2)}
    if "calibrated+joint" in which:  # the parametric answer to eccentricity and deflection
        t0 = time.perf_counter()
        cal = calibrate(nominal, q, x, point=point, joint_errors=True)
        sources["calibrated+joint"] = TipNominal(cal.arm, cal.point)
        info["calibrated+joint"] = {**cal.summary(), "seconds": round(time.perf_counter() - t0, 2)}
    for name, base in (
        ("learned", None),
        ("residual", "nominal"),
        ("calibrated+residual", "calibrated"),
    ):
        if name not in which:
            continue
        t0 = time.perf_counter()
        if base is None:
            cfg = _learn_cfg(learn, "nominal", progress)
            model = train_from_data(q, x, cfg, log=None, progress=progress)
        else:
            cfg = _learn_cfg(learn, base, progress)
            model = train_from_data(
                q, x, cfg, nominal=nominal, point=point, log=None, progress=progress
            )
        model.out_of_range = "ignore"
        sources[name] = model
        info[name] = {
            "seconds": round(time.perf_counter() - t0, 2),
            "train_seconds": model.metrics["train_seconds"],
            "best_val_mm": model.metrics["best_val_mm"],
            "best_epoch": min(model.metrics["val_curve_mm"], key=lambda c: c[1])[0],
            "joint_errors_base": bool(model.metrics.get("joint_errors_kept", False)),
        }
    for name, factory in adapters().items():
        if name in which and adapt is not None:
            t0 = time.perf_counter()
            made = factory(real, dict(sources), q, x, adapt)
            made = made if isinstance(made, dict) else {name: made}
            seconds = round((time.perf_counter() - t0) / max(len(made), 1), 2)
            for row, src in made.items():
                sources[row] = src
                info[row] = {"adapter": name, "seconds": seconds}
    return sources, info
