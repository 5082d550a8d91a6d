"""The ``mismatch`` sweep job: one real arm drawn from a mismatch spec, and how well
each model of it predicts the tool tip from the encoder readings.

A job config::

    spec: kuka_iiwa            # mismatch spec (configs/mismatch): name, path or mapping
    draw: 0                    # seed of the real arm
    data: {kind: static, n: 2000, seed: 1}    # or {kind: trajectory, duration: 40, seed: 1}
    evaluate: {n: 2000, seed: 2}              # held-out static poses of the real arm
    sources: [nominal, calibrated]            # and learned_residual
    learned: null              # config of armjac.learned.train_from_data (its defaults if null)

Each source predicts the tip at the encoder readings of the held-out poses
and is scored against the true tip: ``tip_error_median_mm.<source>``,
``tip_error_p95_mm.<source>`` and ``tip_error_max_mm.<source>``.
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path

import numpy as np

from armjac.configs import Reader
from armjac.errors import ConfigError

TOP_KEYS = {"spec", "draw", "data", "evaluate", "sources", "learned"}
DATA_KEYS = {"kind", "n", "duration", "seed"}
EVAL_KEYS = {"n", "seed"}
SOURCES = ("nominal", "calibrated", "learned_residual")
DEFAULTS = {
    "draw": 0,
    "data": {"kind": "static", "n": 2000, "seed": 1},
    "evaluate": {"n": 2000, "seed": 2},
    "sources": ["nominal", "calibrated"],
    "learned": None,
}
# What a mismatch job's results depend on, besides the kinds' shared code.
CODE = (
    "armjac/mismatch", "armjac/calibration", "armjac/learned", "armjac/arm.py",
    "armjac/codegen", "armjac/symbolic", "armjac/model", "armjac/sweep/mismatch_job.py",
)  # fmt: skip


def learns(cfg: dict) -> bool:
    """Whether the job trains a network (TensorFlow; a GPU helps)."""
    return "learned_residual" in cfg.get("sources", ())


def load_base(spec, base_dir: Path, where: str) -> dict:
    """A mismatch study with defaults filled in and its spec as a full mapping."""
    from armjac.mismatch import load_spec

    if not isinstance(spec, dict):
        raise ConfigError(f"{where}: a mismatch study is a mapping (spec, draw, data, ...); "
                          f"got {spec!r}")  # fmt: skip
    cfg = {**copy.deepcopy(DEFAULTS), **copy.deepcopy(spec)}
    ref = cfg.get("spec")
    if isinstance(ref, str) and (base_dir / ref).is_file():
        ref = str(base_dir / ref)
    if ref is None:
        raise ConfigError(f"{where}: spec: is required (a mismatch spec name, path or mapping)")
    cfg["spec"] = load_spec(ref).to_dict()  # the content, not the name, goes into the key
    return cfg


def validate(cfg: dict, where: str) -> None:
    """Check a resolved mismatch job config."""
    from armjac.mismatch import load_spec

    top = Reader(cfg, where)
    top.check_keys(TOP_KEYS)
    try:
        load_spec(cfg["spec"])
    except ConfigError as exc:
        raise top.fail("spec", str(exc)) from None
    top.integer("draw", ..., minimum=0)
    data = top.mapping("data")
    data.check_keys(DATA_KEYS)
    kind = data.string("kind", "static", choices=("static", "trajectory"))
    data.integer("seed", 1, minimum=0)
    if kind == "static":
        data.integer("n", ..., minimum=1)
    else:
        data.number("duration", ..., positive=True)
    ev = top.mapping("evaluate")
    ev.check_keys(EVAL_KEYS)
    ev.integer("n", ..., minimum=1)
    ev.integer("seed", ..., minimum=0)
    sources = top.choices("sources", SOURCES, ...)
    if not sources:
        raise top.fail("sources", f"must name at least one of {', '.join(SOURCES)}")
    if "learned_residual" in sources:
        import armjac.learned as learned

        if not hasattr(learned, "train_from_data"):
            raise top.fail("sources", "learned_residual needs armjac.learned.train_from_data, "
                           "which this build does not have")  # fmt: skip
    if cfg.get("learned") is not None:
        if not isinstance(cfg["learned"], dict):
            raise top.fail("learned", f"must be a mapping or null; got {cfg['learned']!r}")
        from armjac.learned.from_data import data_config

        try:
            data_config(copy.deepcopy(cfg["learned"]))
        except ConfigError as exc:
            raise top.fail("learned", str(exc)) from None


def _errors_mm(pred: np.ndarray, truth: np.ndarray) -> dict:
    e = np.linalg.norm(np.asarray(pred) - truth, axis=1) * 1e3
    return {"median": float(np.median(e)), "p95": float(np.percentile(e, 95)),
            "max": float(e.max())}  # fmt: skip


def _dataset(real, data: dict):
    from armjac.mismatch import collect, static_samples

    if data.get("kind", "static") == "static":
        return static_samples(real, int(data["n"]), seed=int(data.get("seed", 1)))
    return collect(real, float(data["duration"]), seed=int(data.get("seed", 1)), progress=False)


def run(cfg: dict) -> dict:
    """Draw the real arm, sample its tracker data, score every source on held-out poses."""
    from armjac.mismatch import load_spec, static_samples

    spec = load_spec(cfg["spec"])
    with tempfile.TemporaryDirectory(prefix="armjac-sweep-real-") as tmp:
        real = spec.realize(seed=int(cfg["draw"]), out_dir=tmp)
        q, x = _dataset(real, cfg["data"]).pairs()
        test = static_samples(real, int(cfg["evaluate"]["n"]), seed=int(cfg["evaluate"]["seed"]))
        preds, extra = {}, {"n_samples": int(len(q))}
        for source in cfg["sources"]:
            preds[source] = _predict(source, real, q, x, test.q, cfg, extra)
    errors = {s: _errors_mm(p, test.truth_tip) for s, p in preds.items()}
    out: dict = {f"tip_error_{stat}_mm": {s: e[stat] for s, e in errors.items()}
                 for stat in ("median", "p95", "max")}  # fmt: skip
    return {**out, **extra}


def _predict(source: str, real, q, x, q_test, cfg: dict, extra: dict) -> np.ndarray:
    """Tip predictions of one source at the held-out encoder readings."""
    if source == "nominal":
        return real.nominal.position(q_test, point=real.assumed_point)
    if source == "calibrated":
        from armjac.calibration import calibrate

        res = calibrate(real.nominal, q, x, point=real.assumed_point)
        extra["calibration"] = {"residual_mm": res.residual_mm, "rank": res.rank,
                                "iterations": res.iterations, "seconds": res.seconds}  # fmt: skip
        return res.arm.position(q_test, point=res.point)
    from armjac.learned import train_from_data

    model = train_from_data(q, x, cfg.get("learned"), nominal=real.nominal,
                            point=real.assumed_point, progress=False, log=None)  # fmt: skip
    m = model.metrics
    extra["learned"] = {"best_val_mm": m.get("best_val_mm"), "n_train": m.get("n_train"),
                        "train_seconds": m.get("train_seconds")}  # fmt: skip
    try:
        return np.asarray(model.fk(q_test))
    finally:
        close = getattr(model, "close", None)
        if callable(close):
            close()
