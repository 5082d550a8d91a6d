"""The job kinds a sweep can run, registered in one place (:data:`JOBS`).

A kind says how to read its base config (:attr:`JobKind.load_base`), how to
check one job's resolved config (:attr:`JobKind.validate`), how to run it
(:attr:`JobKind.run`, config in, JSON-able metrics out), which of those
metrics are wall-clock times (kept apart, so results compare bit for bit),
and which source code its results depend on (part of the cache key).

A new kind is one :func:`register_job` call in an importable module. Worker
processes and Ray tasks look kinds up by name, so a sweep names a kind from
outside armjac as ``module:kind`` (``job: mylab.kinds:calibration``): every
process imports ``module`` (which registers ``kind``) before looking it up.
"""

from __future__ import annotations

import copy
import importlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from armjac import configs
from armjac.compare.cache import RUN_CODE, TRAINING_CODE
from armjac.errors import ConfigError, SimulationError
from armjac.sweep import mismatch_job
from armjac.validation import excerpt


@dataclass(frozen=True)
class JobKind:
    """One kind of sweep job.

    Attributes
    ----------
    name : str
        What a sweep file's ``job:`` names.
    load_base : callable(spec, base_dir, where) -> dict
        The base config as a full mapping, from a name, a path or a mapping.
    validate : callable(config, where)
        Raise :class:`~armjac.errors.ConfigError` for a bad resolved config.
    run : callable(config) -> dict
        Run one job; a raised exception marks the job failed with its message.
    code : tuple of str
        Source folders and modules the results depend on (see
        :func:`armjac.fingerprint.source_fingerprint`).
    timing_keys : tuple of str
        Metrics that are wall-clock times, moved to the record's ``timing``:
        dotted paths, where ``*`` matches any key (``models.*.seconds``).
    uses_tf : bool or callable(config) -> bool
        The job runs TensorFlow (its worker is made single-threaded and deterministic).
    uses_gpu : bool or callable(config) -> bool
        A GPU helps; with ``num_gpus: auto`` a Ray task asks for one where the cluster has one.
    """

    name: str
    load_base: Callable[[object, Path, str], dict]
    validate: Callable[[dict, str], None]
    run: Callable[[dict], dict]
    code: tuple[str, ...]
    timing_keys: tuple[str, ...] = ()
    uses_tf: bool | Callable[[dict], bool] = False
    uses_gpu: bool | Callable[[dict], bool] = False
    description: str = ""

    def needs_tf(self, config: dict) -> bool:
        """Whether a job with ``config`` runs TensorFlow."""
        return bool(self.uses_tf(config) if callable(self.uses_tf) else self.uses_tf)

    def wants_gpu(self, config: dict) -> bool:
        """Whether a job with ``config`` would use a GPU."""
        return bool(self.uses_gpu(config) if callable(self.uses_gpu) else self.uses_gpu)


JOBS: dict[str, JobKind] = {}


def register_job(kind: JobKind) -> JobKind:
    """Add ``kind`` to :data:`JOBS` (replacing one of the same name); returns it."""
    JOBS[kind.name] = kind
    return kind


def get_kind(name: str) -> JobKind:
    """The registered kind ``name``, or ``kind`` after importing ``module`` for ``module:kind``.

    A module is imported only if it can register kinds: a dotted name found on
    the path (not the standard library) whose source calls ``register_job``.
    Anything else is refused before it runs.

    Raises
    ------
    ConfigError
        An unknown kind (the message lists the registered ones), a module that
        cannot be found or imported or registers no kind of that name.
    """
    if not isinstance(name, str):
        raise ConfigError(f"a job kind is a name or module:name; got {type(name).__name__}")
    module, _, short = name.rpartition(":")
    if module:
        _import_kinds(module, name)
    try:
        return JOBS[short]
    except KeyError:
        hint = f" ({module!r} registers no kind {short!r})" if module else ""
        raise ConfigError(
            f"unknown job kind {excerpt(name)}{hint}; registered: {', '.join(sorted(JOBS))} "
            f"(or module:kind for a kind registered by an importable module)"
        ) from None


def _import_kinds(module: str, name: str) -> None:
    """Import ``module`` if it is a module that registers job kinds (see :func:`get_kind`)."""
    import sys

    parts = module.split(".")
    if not all(p.isidentifier() for p in parts):
        raise ConfigError(f"job kind {excerpt(name)}: {excerpt(module)} is not a module name")
    if module in sys.modules:
        return
    if parts[0] in sys.stdlib_module_names:
        raise ConfigError(f"job kind {name!r}: {module!r} is a standard library module, "
                          "which registers no job kinds; not imported")  # fmt: skip
    origin = _module_file(parts)
    if origin is None:
        raise ConfigError(f"job kind {name!r}: cannot import {module!r}: not on the Python path")
    try:
        source = Path(origin).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise ConfigError(f"job kind {name!r}: cannot read {origin} ({exc})") from None
    if "register_job" not in source:
        raise ConfigError(f"job kind {name!r}: {module!r} ({origin}) does not call register_job; "
                          "not imported")  # fmt: skip
    try:
        importlib.import_module(module)
    except Exception as exc:
        raise ConfigError(f"job kind {name!r}: cannot import {module!r} "
                          f"({type(exc).__name__}: {exc})") from None  # fmt: skip


def _module_file(parts: list[str]) -> str | None:
    """The source file of the module ``parts`` (dotted), found without importing anything."""
    from importlib.machinery import PathFinder

    path, spec = None, None
    for i, part in enumerate(parts):
        if i and path is None:  # a module, not a package, has no submodules
            return None
        spec = PathFinder.find_spec(part, path)
        if spec is None:
            return None
        path = spec.submodule_search_locations
    origin = spec.origin
    return origin if origin and origin.endswith(".py") else None


def base_mapping(spec, base_dir: Path, kind_folder: str, what: str, where: str) -> dict:
    """A base config as a mapping: a copy of an inline one, or a bundled name or
    a path (tried against ``base_dir``, then the working directory) read from YAML."""
    if isinstance(spec, dict):
        return copy.deepcopy(spec)
    if not isinstance(spec, str) or not spec:
        raise ConfigError(f"{where}: must be a {what} name, path or mapping; got {spec!r}")
    near = base_dir / spec
    path = near if near.is_file() else configs.resolve(spec, kind_folder, what)
    return configs.read_mapping(path, what)


def finite_metrics(result: dict) -> dict:
    """``result`` as JSON: non-finite numbers become null, numpy values plain ones."""
    from armjac.jsonutil import to_jsonable

    return to_jsonable(result)


# --- scenario: one PyBullet scenario run ------------------------------------------


def _scenario_load(spec, base_dir: Path, where: str) -> dict:
    return base_mapping(spec, base_dir, "scenarios", "scenario", where)


def _scenario_validate(cfg: dict, where: str) -> None:
    from armjac.scenarios.config import validate

    validate(cfg, where)


def _scenario_run(cfg: dict) -> dict:
    from armjac.scenarios.runner import run_scenario

    result = run_scenario(cfg, plots=False)
    if result.get("status") != "ok":
        raise SimulationError(result.get("reason", "the scenario failed"))
    return finite_metrics(result)


register_job(
    JobKind(
        name="scenario",
        load_base=_scenario_load,
        validate=_scenario_validate,
        run=_scenario_run,
        code=RUN_CODE,
        timing_keys=("wall_time_s", "realtime_factor", "control_step_median_us"),
        description="run one scenario (configs/scenarios) and return its metrics",
    )
)


# --- train: one learned model -------------------------------------------------------


def _train_load(spec, base_dir: Path, where: str) -> dict:
    from armjac.learned.config import resolve_config

    if isinstance(spec, str) and (base_dir / spec).is_file():
        spec = base_dir / spec
    cfg = resolve_config(copy.deepcopy(spec))[0]
    cfg["training"]["progress"] = False  # workers draw no bars
    return cfg


def _train_validate(cfg: dict, where: str) -> None:
    from armjac.learned.config import validate

    validate(copy.deepcopy(cfg), where)


def _train_run(cfg: dict) -> dict:
    from armjac.learned import train

    model = train(None, cfg, progress=False, log=None)
    try:
        metrics = dict(model.metrics)
    finally:
        close = getattr(model, "close", None)
        if callable(close):
            close()
    metrics.pop("config_source", None)
    return finite_metrics(metrics)


register_job(
    JobKind(
        name="train",
        load_base=_train_load,
        validate=_train_validate,
        run=_train_run,
        code=TRAINING_CODE,
        timing_keys=("train_seconds", "data_seconds"),
        uses_tf=True,
        uses_gpu=True,
        description="train one learned model (configs/learn) and return its held-out errors",
    )
)


# --- compare: one learned-vs-analytic comparison ------------------------------------


def _compare_load(spec, base_dir: Path, where: str) -> dict:
    return base_mapping(spec, base_dir, "compare", "comparison", where)


def _compare_validate(cfg: dict, where: str) -> None:
    from armjac.compare.config import validate

    validate(copy.deepcopy(cfg), where)


def _compare_run(cfg: dict) -> dict:
    from armjac.compare.run import run_compare

    with tempfile.TemporaryDirectory(prefix="armjac-sweep-compare-") as tmp:
        m = run_compare(cfg, Path(tmp) / "report", progress=False, log=None)
    ratios = {
        f"{r['source']}|{r['scenario']}|{r['seed']}": r["position_rmse_m"]
        for r in m["control"]["ratios_to_analytic"]
    }
    return finite_metrics(
        {
            "accuracy": {n: _scalars(a) for n, a in m["accuracy"].items()},
            "position_rmse_ratio": ratios,
            "checks_ok": all(c["ok"] for c in m["checks"]),
            "phases_s": m["phases_s"],
        }
    )


def _scalars(d: dict) -> dict:
    """The numeric top-level entries of a mapping (accuracy summaries hold nested bins too)."""
    return {k: v for k, v in d.items() if isinstance(v, int | float) and not isinstance(v, bool)}


register_job(
    JobKind(
        name="compare",
        load_base=_compare_load,
        validate=_compare_validate,
        run=_compare_run,
        code=RUN_CODE + ("armjac/compare",),
        timing_keys=("phases_s",),
        uses_tf=True,
        description="run one comparison (configs/compare) and return accuracy and RMSE ratios",
    )
)


# --- mismatch: one drawn real arm, nominal vs calibrated (vs learned) tip error ------

register_job(
    JobKind(
        name="mismatch",
        load_base=mismatch_job.load_base,
        validate=mismatch_job.validate,
        run=mismatch_job.run,
        code=mismatch_job.CODE,
        timing_keys=mismatch_job.TIMING,
        uses_tf=mismatch_job.learns,
        uses_gpu=mismatch_job.learns,
        description="draw a real arm from a mismatch spec; FK, Jacobian (and reach) errors "
        "of each model built from its tracker data",
    )
)
