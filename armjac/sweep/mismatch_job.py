"""The ``mismatch`` sweep job: one real arm drawn from a mismatch spec, the models of
it built from its tracker data, and how well each predicts and reaches the tool tip.

A job config::

    spec: kuka_iiwa            # mismatch spec (configs/mismatch): name, path or mapping
    draw: 0                    # seed of the real arm
    data: {kind: static, n: 2000, seed: 1}    # or {kind: trajectory, duration: 40, seed: 1}
    evaluate: {n: 2000, seed: 2}              # held-out static poses of the real arm
    sources: [nominal, calibrated]            # also learned, residual, calibrated+residual
    learned: null              # config of armjac.learned.train_from_data (null: its defaults)
    reach: {n_targets: 0, duration: 3.0, seed: 3}   # encoder-only and tracker reaches
    backend: c                 # kernels of the nominal and the drawn arm: c, numpy or auto

The drawn arm, its calibration and the load-data arm are adjustments of the
nominal arm (:meth:`armjac.arm.Arm.adjusted`): they run on the nominal URDF's
one adjustable family of kernels, built once per cache, so a draw compiles
nothing. ``backend: numpy`` needs no compiler at all, but numpy's vectorised
sin/cos are not bit-reproducible across processes: its metrics then agree
between executors to about 1e-9 relative, not bit for bit. The default keeps
the bit-identical guarantee.

The models are those of the comparison's mismatch section
(:func:`armjac.compare.mismatch.build_models`), scored the same way: for each
source, the tip error of its FK at the encoder readings of the held-out
poses against the true tip (``fk_median_mm.<source>``, ``fk_p95_mm``,
``fk_max_mm``), the relative error of its Jacobian (``jac_rel_median``,
``jac_rel_p95``) and, with ``reach.n_targets > 0``, the median final true-tip
error of reaches with encoder feedback only and with the tracker
(``reach_encoders_mm.<source>``, ``reach_tracker_mm.<source>``).
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path

import numpy as np

from armjac.configs import MAX_DURATION, MAX_SAMPLES, Reader
from armjac.errors import ConfigError
from armjac.validation import excerpt

TOP_KEYS = {"spec", "draw", "data", "evaluate", "sources", "learned", "reach", "backend"}
DATA_KEYS = {"kind", "n", "duration", "seed"}
EVAL_KEYS = {"n", "seed"}
REACH_KEYS = {"n_targets", "duration", "seed"}
SOURCES = ("nominal", "calibrated", "learned", "residual", "calibrated+residual")
LEARNED = ("learned", "residual", "calibrated+residual")
DEFAULTS = {
    "draw": 0,
    "data": {"kind": "static", "n": 2000, "seed": 1},
    "evaluate": {"n": 2000, "seed": 2},
    "sources": ["nominal", "calibrated"],
    "learned": None,
    "reach": {"n_targets": 0, "duration": 3.0, "seed": 3},
    "backend": "c",
}
# What a mismatch job's results depend on.
CODE = (
    "armjac/mismatch", "armjac/calibration", "armjac/learned", "armjac/arm.py",
    "armjac/codegen", "armjac/symbolic", "armjac/model", "armjac/control", "armjac/sim",
    "armjac/compare/mismatch.py", "armjac/compare/mismatch_models.py",
    "armjac/compare/mismatch_scores.py", "armjac/compare/registry.py",
    "armjac/compare/adapted.py", "armjac/sweep/mismatch_job.py",
)  # fmt: skip
MAX_TARGETS = 10_000  # reaches per model and feedback in one job
# Wall-clock entries of the results (moved out of the metrics).
TIMING = ("models.*.seconds", "models.*.train_seconds")


def learns(cfg: dict) -> bool:
    """Whether the job trains a network (TensorFlow; a GPU helps)."""
    return any(s in LEARNED for s in cfg.get("sources", ()))


def load_base(spec, base_dir: Path, where: str) -> dict:
    """A mismatch study with defaults filled in and its spec as a full mapping."""
    if not isinstance(spec, dict):
        raise ConfigError(f"{where}: a mismatch study is a mapping (spec, draw, data, ...); "
                          f"got {excerpt(spec)}")  # fmt: skip
    cfg = copy.deepcopy(DEFAULTS)
    for k, v in copy.deepcopy(spec).items():
        cfg[k] = {**cfg[k], **v} if isinstance(cfg.get(k), dict) and isinstance(v, dict) else v
    ref = cfg.get("spec")
    if isinstance(ref, str) and (base_dir / ref).is_file():
        ref = str(base_dir / ref)
    if ref is None:
        raise ConfigError(f"{where}: spec: is required (a mismatch spec name, path or mapping)")
    cfg["spec"] = _spec(ref, f"{where}: spec").to_dict()  # the content, not the name, is keyed
    return cfg


def _spec(ref, where: str):
    """The mismatch spec ``ref`` (name, path or mapping); errors name ``where``."""
    from armjac.mismatch.spec import load_spec, parse_spec

    return parse_spec(ref, where) if isinstance(ref, dict) else load_spec(ref)


def validate(cfg: dict, where: str) -> None:
    """Check a resolved mismatch job config."""
    top = Reader(cfg, where)
    top.check_keys(TOP_KEYS)
    _spec(cfg["spec"], f"{where}: spec")
    top.seed("draw", ...)
    top.string("backend", "c", choices=("c", "numpy", "auto"))
    data = top.mapping("data")
    data.check_keys(DATA_KEYS)
    kind = data.string("kind", "static", choices=("static", "trajectory"))
    data.seed("seed", 1)
    if kind == "static":
        data.integer("n", ..., minimum=1, maximum=MAX_SAMPLES)
    else:
        data.number("duration", ..., positive=True, maximum=MAX_DURATION)
    ev = top.mapping("evaluate")
    ev.check_keys(EVAL_KEYS)
    ev.integer("n", ..., minimum=1, maximum=MAX_SAMPLES)
    ev.seed("seed", ...)
    reach = top.mapping("reach")
    reach.check_keys(REACH_KEYS)
    reach.integer("n_targets", ..., minimum=0, maximum=MAX_TARGETS)
    reach.number("duration", ..., positive=True, maximum=MAX_DURATION)
    reach.seed("seed", ...)
    sources = top.choices("sources", SOURCES, ...)
    if not sources:
        raise top.fail("sources", f"must name at least one of {', '.join(SOURCES)}")
    if cfg.get("learned") is not None:
        if not isinstance(cfg["learned"], dict):
            raise top.fail("learned", f"must be a mapping or null; got {excerpt(cfg['learned'])}")
        from armjac.learned.from_data import data_config

        try:
            data_config(copy.deepcopy(cfg["learned"]))
        except ConfigError as exc:
            raise top.fail("learned", str(exc)) from None


def _dataset(real, data: dict):
    from armjac.mismatch import collect, static_samples

    if data["kind"] == "static":
        return static_samples(real, int(data["n"]), seed=int(data["seed"]))
    return collect(real, float(data["duration"]), seed=int(data["seed"]), progress=False)


def run(cfg: dict) -> dict:
    """Draw the real arm, build each source from its data, score them on held-out poses."""
    from armjac.arm import load_arm
    from armjac.compare import mismatch as section
    from armjac.mismatch import load_spec, static_samples

    spec = load_spec(cfg["spec"])
    nominal = load_arm(spec.arm, backend=cfg.get("backend", "c"))
    with tempfile.TemporaryDirectory(prefix="armjac-sweep-real-") as tmp:
        real = spec.realize(seed=int(cfg["draw"]), nominal=nominal, out_dir=tmp)
        q, x = _dataset(real, cfg["data"]).pairs()
        test = static_samples(real, int(cfg["evaluate"]["n"]), seed=int(cfg["evaluate"]["seed"]))
        n_j = min(section.N_JACOBIAN, len(test.truth_q))
        jac_true = np.array([real.measured_jacobian(ql) for ql in test.truth_q[:n_j]])
        sources, info = section.build_models(real, q, x, cfg["learned"], which=cfg["sources"])
        static = {name: section.static_errors(src, test, test.truth_q[:n_j], jac_true)
                  for name, src in sources.items()}  # fmt: skip
        out: dict = {stat: {name: row[stat] for name, row in static.items()}
                     for stat in next(iter(static.values()))}  # fmt: skip
        r = cfg["reach"]
        if r["n_targets"] > 0:
            targets = section.reach_targets(real, int(r["n_targets"]), int(r["seed"]))
            ctrl = section.control_errors(real, sources, targets, float(r["duration"]),
                                          int(r["seed"]))  # fmt: skip
            for fb in ("encoders", "tracker"):
                out[f"reach_{fb}_mm"] = {n: row[fb]["median_mm"] for n, row in ctrl.items()}
                out[f"reach_{fb}_failed"] = {n: row[fb]["failed"] for n, row in ctrl.items()}
    return {**out, "n_samples": int(len(q)), "models": info}
