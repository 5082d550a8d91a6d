"""Comparison configuration: ``configs/compare/*.yaml`` (a bundled name or a path).

A comparison file::

    name: kuka_iiwa
    arm: kuka_iiwa                 # bundled arm name or path
    models:                        # one or more learned models
      - name: sobolev              # label in the report
        train: kuka_iiwa           # a training config: bundled name, YAML path or mapping
      - name: saved
        path: models/kuka_iiwa     # or an already trained model folder
    accuracy: {n_samples: 5000, seed: 1000, margin: 0.0}
    control:
      references: [analytic, pybullet]
      learned_fk: true             # also run each model with fk_source="source"
      position_only: auto          # control position rows only (auto: if a model is 3-row)
      scenarios:
        - reach                    # bundled scenario name or path
        - {config: track, duration: 3.0, overrides: {controller: {kp: 300}}}
    seeds: [0]                     # scenario seeds: every scenario runs once per seed
    timing: {n_calls: 1000, backends: [numpy, tf]}

Paths are tried as given, then relative to the comparison file. Every problem
is a :class:`~armjac.errors.ConfigError` naming the file and the key.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from pathlib import Path

from armjac import configs
from armjac.errors import ConfigError

COMPARE_DIR = configs.folder("compare")
TOP_KEYS = {"name", "description", "arm", "models", "accuracy", "control", "seeds", "timing"}
MODEL_KEYS = {"name", "train", "path"}
ACCURACY_KEYS = {"n_samples", "seed", "margin", "bins"}
CONTROL_KEYS = {"references", "learned_fk", "position_only", "scenarios"}
SCENARIO_KEYS = {"config", "duration", "overrides", "label"}
TIMING_KEYS = {"n_calls", "backends", "batch"}
REFERENCES = ("analytic", "pybullet")
BACKENDS = ("numpy", "tf")


@dataclass
class ModelSpec:
    """One learned model: trained from ``train`` (a validated config) or loaded from ``path``."""

    name: str
    train: dict | None = None
    train_source: str | None = None
    path: Path | None = None


@dataclass
class ScenarioSpec:
    """One scenario to run with every source: a parsed scenario mapping plus run options."""

    label: str
    data: dict
    where: str
    duration: float | None = None


@dataclass
class CompareConfig:
    """A validated comparison file."""

    name: str
    arm: str
    source_path: str
    models: list[ModelSpec]
    scenarios: list[ScenarioSpec]
    description: str = ""
    references: list[str] = field(default_factory=lambda: list(REFERENCES))
    learned_fk: bool = True
    position_only: str | bool = "auto"
    seeds: list[int] = field(default_factory=lambda: [0])
    n_samples: int = 5000
    accuracy_seed: int = 1000
    margin: float = 0.0
    bins: int = 8
    n_calls: int = 1000
    backends: list[str] = field(default_factory=lambda: list(BACKENDS))
    batch: int = 1000

    def settings(self) -> dict:
        """Everything that shapes the results, as plain data (for metrics.json)."""
        return {
            "name": self.name,
            "config_file": self.source_path,
            "arm": self.arm,
            "models": [
                {
                    "name": m.name,
                    "train": m.train,
                    "train_source": m.train_source,
                    "path": None if m.path is None else str(m.path),
                }
                for m in self.models
            ],
            "scenarios": [
                {"label": s.label, "where": s.where, "duration": s.duration, "config": s.data}
                for s in self.scenarios
            ],
            "references": self.references,
            "learned_fk": self.learned_fk,
            "position_only": self.position_only,
            "seeds": self.seeds,
            "accuracy": {
                "n_samples": self.n_samples,
                "seed": self.accuracy_seed,
                "margin": self.margin,
                "bins": self.bins,
            },
            "timing": {"n_calls": self.n_calls, "backends": self.backends, "batch": self.batch},
        }


def bundled_comparisons() -> list[str]:
    """Names of the comparisons shipped in ``configs/compare``."""
    return configs.bundled("compare")


def load_compare(spec: str | os.PathLike | dict | CompareConfig) -> CompareConfig:
    """Load and validate a comparison from a bundled name, a path or a mapping."""
    if isinstance(spec, CompareConfig):
        return spec
    if isinstance(spec, dict):
        return validate(spec, "<compare mapping>", Path.cwd())
    path = configs.resolve(spec, "compare", "comparison")
    return validate(configs.read_mapping(path, "comparison"), str(path), path.parent)


def _fail(where: str, key: str, msg: str) -> ConfigError:
    return ConfigError(f"{where}: {key}: {msg}")


def _check_keys(data: dict, allowed: set[str], where: str, prefix: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(prefix + k for k in unknown)}; "
            f"allowed: {', '.join(sorted(allowed))}"
        )


def _mapping(data: dict, key: str, where: str, prefix: str = "") -> dict:
    v = data.get(key)
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise _fail(where, prefix + key, f"must be a mapping; got {v!r}")
    return v


def _int(data: dict, key: str, default: int, where: str, prefix: str, minimum: int = 0) -> int:
    v = data.get(key, default)
    if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
        raise _fail(where, prefix + key, f"must be an integer >= {minimum}; got {v!r}")
    return v


def _find(text: str, base: Path) -> Path | None:
    for cand in (Path(text), base / text):
        if cand.exists():
            return cand
    return None


def _model(item, i: int, where: str, base: Path, arm: str) -> ModelSpec:
    key = f"models[{i}]"
    if not isinstance(item, dict):
        raise _fail(
            where, key, f"must be a mapping with 'name' and 'train' or 'path'; got {item!r}"
        )
    _check_keys(item, MODEL_KEYS, where, f"{key}.")
    name = item.get("name", f"learned{i + 1}" if i else "learned")
    if not isinstance(name, str) or not name or name in REFERENCES:
        raise _fail(
            where,
            f"{key}.name",
            f"must be a non-empty string other than {' / '.join(REFERENCES)}; got {name!r}",
        )
    if ("train" in item) == ("path" in item):
        raise _fail(
            where, key, "give either 'train' (a training config) or 'path' (a model folder)"
        )
    if "path" in item:
        text = item["path"]
        if not isinstance(text, str | os.PathLike):
            raise _fail(where, f"{key}.path", f"must be a folder path; got {text!r}")
        found = _find(os.fspath(text), base)
        if found is None or not found.is_dir():
            raise _fail(where, f"{key}.path", f"no model folder at {os.fspath(text)!r}")
        return ModelSpec(name=name, path=found)
    from armjac.learned.config import config_dir, resolve_config

    train = item["train"]
    if isinstance(train, str) and not (config_dir() / f"{train}.yaml").is_file():
        found = _find(train, base)
        train = os.fspath(found) if found is not None else train
    if not isinstance(train, str | dict):
        raise _fail(
            where, f"{key}.train", f"must be a config name, a path or a mapping; got {train!r}"
        )
    try:
        cfg, train_where = resolve_config(copy.deepcopy(train))
    except ConfigError as exc:
        raise _fail(where, f"{key}.train", str(exc)) from None
    if cfg["arm"] != arm:
        raise _fail(where, f"{key}.train", f"trains arm {cfg['arm']!r}; this comparison is {arm!r}")
    if isinstance(train, dict):
        train_where = f"{where}: {key}.train"
    return ModelSpec(name=name, train=cfg, train_source=train_where)


def _scenario(item, i: int, where: str, base: Path) -> ScenarioSpec:
    from sims.config import SCENARIO_DIR, validate

    key = f"control.scenarios[{i}]"
    if isinstance(item, str | dict) and not (isinstance(item, dict) and "config" in item):
        item = {"config": item}
    if not isinstance(item, dict):
        raise _fail(where, key, f"must be a scenario name, a path or a mapping; got {item!r}")
    _check_keys(item, SCENARIO_KEYS, where, f"{key}.")
    ref = item["config"]
    if isinstance(ref, dict):
        data, label, swhere = copy.deepcopy(ref), ref.get("name"), f"{where} ({key}.config)"
    elif isinstance(ref, str) and ref:
        path = SCENARIO_DIR / f"{ref}.yaml"
        if not path.is_file():
            path = _find(ref, base)
        if path is None or not path.is_file():
            from sims.config import bundled_scenarios

            raise _fail(
                where,
                f"{key}.config",
                f"unknown scenario {ref!r}: not a bundled "
                f"scenario ({', '.join(bundled_scenarios())}) nor a YAML file",
            )
        try:
            data = configs.read_mapping(path, "scenario")
        except ConfigError as exc:
            raise _fail(where, f"{key}.config", str(exc)) from None
        label, swhere = Path(ref).stem, str(path)
    else:
        raise _fail(
            where, f"{key}.config", f"must be a scenario name, path or mapping; got {ref!r}"
        )
    overrides = _mapping(item, "overrides", where, f"{key}.")
    data = deep_merge(data if isinstance(data, dict) else {}, overrides)
    duration = item.get("duration")
    if duration is not None and (
        isinstance(duration, bool) or not isinstance(duration, int | float) or duration <= 0
    ):
        raise _fail(
            where, f"{key}.duration", f"must be a positive number of seconds; got {duration!r}"
        )
    label = item.get("label", label or data.get("name") or f"scenario{i + 1}")
    if not isinstance(label, str) or not label:
        raise _fail(where, f"{key}.label", f"must be a non-empty string; got {label!r}")
    validate(data, swhere)  # errors name the scenario file and key
    return ScenarioSpec(
        label=label, data=data, where=swhere, duration=None if duration is None else float(duration)
    )


def deep_merge(base: dict, over: dict) -> dict:
    """``base`` updated by ``over``, recursing into mappings (inputs unchanged)."""
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = (
            deep_merge(out[k], v)
            if isinstance(v, dict) and isinstance(out.get(k), dict)
            else copy.deepcopy(v)
        )
    return out


def validate(data, where: str, base: Path | None = None) -> CompareConfig:
    """Check a parsed comparison mapping; ``where`` names it in error messages.

    ``base`` is the folder relative paths are also tried against.
    """
    base = Path.cwd() if base is None else base
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: a comparison must be a mapping; got {type(data).__name__}")
    _check_keys(data, TOP_KEYS, where, "")
    arm = data.get("arm")
    if not isinstance(arm, str) or not arm:
        raise _fail(where, "arm", f"is required: a bundled arm name or a path; got {arm!r}")
    from armjac.model.registry import resolve

    try:
        resolve(arm)
    except ConfigError as exc:
        raise _fail(where, "arm", str(exc)) from None
    models = data.get("models")
    if not isinstance(models, list) or not models:
        raise _fail(where, "models", "must be a non-empty list of {name, train | path}")
    specs = [_model(m, i, where, base, arm) for i, m in enumerate(models)]
    names = [m.name for m in specs]
    if len(set(names)) != len(names):
        raise _fail(where, "models", f"model names must be unique; got {names}")

    ctrl = _mapping(data, "control", where)
    _check_keys(ctrl, CONTROL_KEYS, where, "control.")
    refs = ctrl.get("references", list(REFERENCES))
    if not isinstance(refs, list) or any(r not in REFERENCES for r in refs):
        raise _fail(
            where, "control.references", f"must be a list from {list(REFERENCES)}; got {refs!r}"
        )
    learned_fk = ctrl.get("learned_fk", True)
    if not isinstance(learned_fk, bool):
        raise _fail(where, "control.learned_fk", f"must be true or false; got {learned_fk!r}")
    pos_only = ctrl.get("position_only", "auto")
    if pos_only not in ("auto", True, False):
        raise _fail(
            where, "control.position_only", f"must be auto, true or false; got {pos_only!r}"
        )
    scen = ctrl.get("scenarios", [])
    if not isinstance(scen, list):
        raise _fail(where, "control.scenarios", f"must be a list; got {scen!r}")
    scenarios = [_scenario(s, i, where, base) for i, s in enumerate(scen)]
    labels = [s.label for s in scenarios]
    if len(set(labels)) != len(labels):
        raise _fail(
            where, "control.scenarios", f"labels must be unique (set 'label'); got {labels}"
        )

    seeds = data.get("seeds", [0])
    if (
        not isinstance(seeds, list)
        or not seeds
        or any(isinstance(s, bool) or not isinstance(s, int) for s in seeds)
    ):
        raise _fail(where, "seeds", f"must be a non-empty list of integers; got {seeds!r}")

    acc = _mapping(data, "accuracy", where)
    _check_keys(acc, ACCURACY_KEYS, where, "accuracy.")
    margin = acc.get("margin", 0.0)
    if isinstance(margin, bool) or not isinstance(margin, int | float) or not 0 <= margin < 0.5:
        raise _fail(where, "accuracy.margin", f"must be a number in [0, 0.5); got {margin!r}")

    tim = _mapping(data, "timing", where)
    _check_keys(tim, TIMING_KEYS, where, "timing.")
    backends = tim.get("backends", list(BACKENDS))
    if not isinstance(backends, list) or any(b not in BACKENDS for b in backends):
        raise _fail(
            where, "timing.backends", f"must be a list from {list(BACKENDS)}; got {backends!r}"
        )

    name = data.get("name", Path(where).stem)
    if not isinstance(name, str) or not name:
        raise _fail(where, "name", f"must be a non-empty string; got {name!r}")
    return CompareConfig(
        name=name,
        arm=arm,
        source_path=where,
        models=specs,
        scenarios=scenarios,
        description=str(data.get("description", "") or ""),
        references=list(refs),
        learned_fk=learned_fk,
        position_only=pos_only,
        seeds=list(seeds),
        n_samples=_int(acc, "n_samples", 5000, where, "accuracy.", minimum=10),
        accuracy_seed=_int(acc, "seed", 1000, where, "accuracy."),
        margin=float(margin),
        bins=_int(acc, "bins", 8, where, "accuracy.", minimum=2),
        n_calls=_int(tim, "n_calls", 1000, where, "timing.", minimum=1),
        backends=list(backends),
        batch=_int(tim, "batch", 1000, where, "timing.", minimum=1),
    )
