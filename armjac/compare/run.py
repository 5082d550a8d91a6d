"""The comparison pipeline: models, accuracy, control, cost, then the report."""

from __future__ import annotations

import datetime as _dt
import math
import os
import platform
import time
from importlib import metadata
from pathlib import Path

import numpy as np

from armjac.compare import accuracy, control, plots, timing
from armjac.compare.cache import Cache, arm_fingerprint, folder_key, training_key
from armjac.compare.config import CompareConfig, load_compare
from armjac.jsonutil import slug
from armjac.outputs import WRITTEN_BY, begin_run, check_out_dir, write_json

PACKAGES = ("armjac", "numpy", "sympy", "tensorflow", "nengo", "nengo-dl", "pybullet", "matplotlib")
REPORT_FILES = ("metrics.json", "report.md", "report.html")
RATIO_LIMIT = 2.0  # learned J (simulator position) within this factor of analytic


def versions() -> dict:
    """Versions of Python and the packages the numbers depend on."""
    out = {"python": platform.python_version(), "platform": platform.platform()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    from armjac import __version__

    out["armjac"] = __version__
    return out


def _quiet(*_args) -> None:
    return None


def get_models(cfg: CompareConfig, arm, cache: Cache, progress: bool, log) -> dict:
    """``{name: {"model": LearnedModel | None, "info": dict}}``; failures are kept with a reason."""
    from armjac.learned import load, train

    out = {}
    for spec in cfg.models:
        info: dict = {"name": spec.name}
        model = None
        t0 = time.perf_counter()
        try:
            if spec.path is not None:
                info.update(origin="folder", path=str(spec.path), key=folder_key(spec.path))
                model = load(spec.path)
            else:
                key = training_key(spec.train, arm)
                info.update(
                    origin="trained",
                    train_config=spec.train_source,
                    key=key,
                    path=str(cache.model_dir(key)),
                )
                if cache.has_model(key):
                    model = load(cache.model_dir(key))
                    info["cached"] = True
                    log(f"model {spec.name}: reusing {cache.model_dir(key)}")
                else:
                    log(f"model {spec.name}: training ({spec.train_source})")
                    model = train(arm, spec.train, progress=progress, log=log if progress else None)
                    cache.save_model(key, model)
                    info["cached"] = False
            if getattr(model, "arm_name", arm.name) != arm.name or model.dof != arm.dof:
                raise ValueError(
                    f"the model is of {model.arm_name!r} (dof {model.dof}), "
                    f"not {arm.name!r} (dof {arm.dof})"
                )
            info.update(
                status="ok",
                description=repr(model),
                train_seconds=model.metrics.get("train_seconds"),
                training_metrics=model.metrics,
            )
        except Exception as exc:  # a broken model is reported, not fatal
            model = None
            info.update(status="failed", reason=f"{type(exc).__name__}: {exc}")
            log(f"model {spec.name}: FAILED: {info['reason']}")
        info["load_or_train_seconds"] = round(time.perf_counter() - t0, 2)
        out[spec.name] = {"model": model, "info": info}
    return out


def _sources(cfg: CompareConfig, arm, models: dict) -> list[control.Source]:
    srcs = []
    for ref in ("analytic", "pybullet"):
        if ref in cfg.references:
            srcs.append(control.Source(ref, ref, ref, ref))
    for name, entry in models.items():
        m, key = entry["model"], entry["info"].get("key", name)
        if m is None:
            continue
        srcs.append(control.Source(name, "learned", m, key, "trusted", name))
        if cfg.learned_fk:
            srcs.append(
                control.Source(
                    f"{name} + learned FK", "learned", m, key, "source", name
                )
            )
    return srcs


def _needs_position_only(cfg: CompareConfig, models: dict, arm) -> bool:
    if cfg.position_only != "auto":
        return bool(cfg.position_only)
    for entry in models.values():
        m = entry["model"]
        if m is not None and np.asarray(m.jacobian(arm.home)).shape[0] == 3:
            return True
    return False


def checks(records: list[dict], models: dict) -> list[dict]:
    """Per learned model (J from the network, simulator position): position RMSE within
    ``RATIO_LIMIT`` x analytic in every scenario and seed, and no run diverged."""
    ratios = control.ratios(records)
    out = []
    for name, entry in models.items():
        if entry["model"] is None:
            out.append({"model": name, "ok": False, "reason": entry["info"].get("reason", "")})
            continue
        rows = [r for r in ratios if r["source"] == name]
        worst = max((r["position_rmse_m"] for r in rows), default=math.nan)
        outcomes = [r["outcome"] for r in records if r["source"] == name]
        # Scenario bounds are reported per run; this check is about the ratio, and
        # a run that diverged or errored has no ratio to speak of.
        ok = (
            bool(rows)
            and all(
                math.isfinite(r["position_rmse_m"]) and r["position_rmse_m"] <= RATIO_LIMIT
                for r in rows
            )
            and not any(o in ("diverged", "error") for o in outcomes)
        )
        out.append(
            {
                "model": name,
                "ok": ok,
                "worst_rmse_ratio": worst,
                "outcomes": outcomes,
                "limit": RATIO_LIMIT,
            }
        )
    return out


def run_compare(
    config,
    out_dir: str | os.PathLike = "out/compare",
    *,
    cache_dir: str | os.PathLike | None = None,
    progress: bool = True,
    log=print,
) -> dict:
    """Run a comparison and write ``report.md``, ``report.html`` and ``metrics.json``.

    Parameters
    ----------
    config : name, path, mapping or CompareConfig
        A bundled comparison (``"kuka_iiwa"``), a YAML path, or a parsed mapping.
    out_dir : path
        The report folder.
    cache_dir : path, optional
        Where trained models and scenario results are kept for reuse
        (default ``<out_dir>/cache``).
    progress : bool
        Show tqdm progress bars for training and the scenario runs.
    log : callable
        Receives one-line status messages (``None`` silences them).

    Returns
    -------
    dict
        The content of ``metrics.json`` plus ``report`` (the path of report.md).

    Raises
    ------
    ConfigError
        A malformed comparison file (naming the file and the key).
    """
    from armjac.arm import load_arm

    log = log or _quiet
    t_start = time.perf_counter()
    cfg = load_compare(config)
    out = check_out_dir(out_dir)
    begin_run(out, REPORT_FILES, {"comparison": cfg.name})  # refuses files it did not write
    figdir = out / "figures"
    figdir.mkdir(parents=True, exist_ok=True)
    cache = Cache(cache_dir if cache_dir is not None else out / "cache")
    arm = load_arm(cfg.arm)
    phases: dict[str, float] = {}

    t0 = time.perf_counter()
    models = get_models(cfg, arm, cache, progress, log)
    phases["models_s"] = time.perf_counter() - t0
    try:
        return _evaluate(cfg, arm, models, cache, out, phases, progress, t_start)
    finally:
        for entry in models.values():  # the TF simulators a model built hold memory
            close = getattr(entry["model"], "close", None)
            if callable(close):
                close()


def _evaluate(cfg, arm, models, cache, out: Path, phases: dict, progress: bool, t_start) -> dict:
    """Accuracy, control and cost of loaded ``models``; writes the report (see run_compare)."""
    from armjac.compare.report import write_report

    figdir = out / "figures"

    t0 = time.perf_counter()
    q = accuracy.sample_configurations(arm, cfg.n_samples, cfg.accuracy_seed, cfg.margin)
    acc, acc_figs = {}, {}
    for name, entry in models.items():
        if entry["model"] is None:
            continue
        try:
            summary, raw = accuracy.evaluate(arm, entry["model"], q, cfg.bins)
            acc[name] = summary
            acc_figs[name] = {
                k: str(p.relative_to(out))
                for k, p in plots.accuracy_figures(
                    raw, summary, arm.joint_names, figdir, slug(name)
                ).items()
            }
        except Exception as exc:
            acc[name] = {"error": f"{type(exc).__name__}: {exc}"}
    phases["accuracy_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    pos_only = _needs_position_only(cfg, models, arm)
    sources = _sources(cfg, arm, models)
    records, logs = control.run_all(
        arm, cfg.scenarios, cfg.seeds, sources, pos_only, cache, progress
    )
    learned_labels = [s.label for s in sources if s.kind == "learned"]
    path_figs = {}
    for spec in cfg.scenarios:
        for seed in cfg.seeds:
            runs = {
                s.label: logs[(spec.label, seed, s.label)]
                for s in sources
                if (spec.label, seed, s.label) in logs
            }
            if runs:
                p = figdir / f"path_{slug(spec.label)}_seed{seed}.png"
                plots.path_figure(runs, f"{spec.label} (seed {seed})", p, learned_labels)
                path_figs[f"{spec.label}|{seed}"] = str(p.relative_to(out))
    phases["control_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    ok_models = {n: e["model"] for n, e in models.items() if e["model"] is not None}
    cost = timing.measure(
        arm,
        ok_models,
        cfg.backends,
        cfg.n_calls,
        cfg.batch,
        cfg.accuracy_seed,
        pybullet="pybullet" in cfg.references,
    )
    timing_fig = str(plots.timing_figure(cost, figdir / "timing.png").relative_to(out))
    phases["timing_s"] = time.perf_counter() - t0

    mismatch = None
    if cfg.mismatch:
        from armjac.compare.mismatch import run_section

        t0 = time.perf_counter()
        mismatch = run_section(cfg.mismatch, out, progress=progress)
        phases["mismatch_s"] = time.perf_counter() - t0

    metrics = {
        "name": cfg.name,
        "description": cfg.description,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "arm": {
            "name": arm.name,
            "dof": arm.dof,
            "joints": list(arm.joint_names),
            "ee_link": arm.ee_link,
            "fingerprint": arm_fingerprint(arm),
        },
        "settings": cfg.settings(),
        "versions": versions(),
        "position_only_control": pos_only,
        "models": {n: e["info"] for n, e in models.items()},
        "accuracy": acc,
        "control": {"runs": records, "ratios_to_analytic": control.ratios(records)},
        "timing": cost,
        "checks": checks(records, models),
        "figures": {"accuracy": acc_figs, "paths": path_figs, "timing": timing_fig},
        "cache_dir": str(cache.root),
    }
    if mismatch is not None:
        metrics["mismatch"] = mismatch
    phases["total_s"] = time.perf_counter() - t_start
    metrics["phases_s"] = {k: round(v, 2) for k, v in phases.items()}
    report = write_report(metrics, out)
    write_json(out / "metrics.json", metrics | {"written_by": WRITTEN_BY})  # last: the run is done
    metrics["report"] = str(report)
    return metrics
