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
from armjac.configs import MAX_SAMPLES, MAX_SEED, Reader
from armjac.errors import ConfigError
from armjac.validation import excerpt

TOP_KEYS = {
    "name", "description", "arm", "models", "accuracy", "control", "seeds", "timing", "mismatch"
}  # fmt: skip
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
    mismatch: list[dict] = field(default_factory=list)  # armjac.compare.mismatch entries

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
            "mismatch": self.mismatch,
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


def _find(text: str, base: Path) -> Path | None:
    for cand in (Path(text), base / text):
        if cand.exists():
            return cand
    return None


def _model(m: Reader, i: int, base: Path, arm: str) -> ModelSpec:
    m.check_keys(MODEL_KEYS)
    name = m.string("name", f"learned{i + 1}" if i else "learned")
    if name in REFERENCES:
        raise m.fail(
            "name", f"must be a non-empty string other than {' / '.join(REFERENCES)}; got {name!r}"
        )
    if ("train" in m.data) == ("path" in m.data):
        raise m.fail("", "give either 'train' (a training config) or 'path' (a model folder)")
    if "path" in m.data:
        text = m.data["path"]
        if not isinstance(text, str | os.PathLike):
            raise m.fail("path", f"must be a folder path; got {text!r}")
        found = _find(os.fspath(text), base)
        if found is None or not found.is_dir():
            raise m.fail("path", f"no model folder at {os.fspath(text)!r}")
        return ModelSpec(name=name, path=found)
    from armjac.learned.config import resolve_config

    train = m.data["train"]
    if isinstance(train, str) and configs.bundled_path("learn", train) is None:
        found = _find(train, base)
        train = os.fspath(found) if found is not None else train
    if not isinstance(train, str | dict):
        raise m.fail("train", f"must be a config name, a path or a mapping; got {train!r}")
    try:
        cfg, train_where = resolve_config(copy.deepcopy(train))
    except ConfigError as exc:
        raise m.fail("train", str(exc)) from None
    if cfg["arm"] != arm:
        raise m.fail("train", f"trains arm {cfg['arm']!r}; this comparison is {arm!r}")
    if isinstance(train, dict):
        train_where = f"{m.path}: {m.prefix}train"
    return ModelSpec(name=name, train=cfg, train_source=train_where)


def _scenario(ctrl: Reader, item, i: int, base: Path) -> ScenarioSpec:
    from armjac.scenarios.config import validate

    key = f"scenarios[{i}]"
    if isinstance(item, str | dict) and not (isinstance(item, dict) and "config" in item):
        item = {"config": item}
    if not isinstance(item, dict):
        raise ctrl.fail(key, f"must be a scenario name, a path or a mapping; got {item!r}")
    s = ctrl.child(item, key)
    s.check_keys(SCENARIO_KEYS)
    ref = item["config"]
    if isinstance(ref, dict):
        data, label = copy.deepcopy(ref), ref.get("name")
        swhere = f"{s.path} ({s.prefix}config)"
    elif isinstance(ref, str) and ref:
        try:
            path = configs.resolve(ref, "scenarios", "scenario", base)
        except ConfigError as exc:
            raise s.fail("config", str(exc)) from None
        try:
            data = configs.read_mapping(path, "scenario")
        except ConfigError as exc:
            raise s.fail("config", str(exc)) from None
        label, swhere = Path(ref).stem, str(path)
    else:
        raise s.fail("config", f"must be a scenario name, path or mapping; got {ref!r}")
    overrides = s.mapping("overrides").data
    data = configs.deep_merge(data if isinstance(data, dict) else {}, overrides)
    duration = s.number("duration", positive=True)  # seconds
    label = s.string("label", label or data.get("name") or f"scenario{i + 1}")
    validate(data, swhere)  # errors name the scenario file and key
    return ScenarioSpec(label=label, data=data, where=swhere, duration=duration)


def validate(data, where: str, base: Path | None = None) -> CompareConfig:
    """Check a parsed comparison mapping; ``where`` names it in error messages.

    ``base`` is the folder relative paths are also tried against.
    """
    base = Path.cwd() if base is None else base
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: a comparison must be a mapping; got {type(data).__name__}")
    top = Reader(data, where)
    top.check_keys(TOP_KEYS)
    arm = top.string("arm", ...)
    from armjac.model.registry import resolve

    try:
        resolve(arm)
    except ConfigError as exc:
        raise top.fail("arm", str(exc)) from None
    from armjac.compare.mismatch_options import parse_section

    mismatch = parse_section(top)
    # a comparison of the mismatch section alone needs no learned model of the nominal arm
    model_list = top.mappings("models") if "models" in data or not mismatch else []
    specs = [_model(m, i, base, arm) for i, m in enumerate(model_list)]
    names = [m.name for m in specs]
    if len(set(names)) != len(names):
        raise top.fail("models", f"model names must be unique; got {names}")

    ctrl = top.mapping("control")
    ctrl.check_keys(CONTROL_KEYS)
    scen = ctrl.sequence("scenarios", [])
    scenarios = [_scenario(ctrl, s, i, base) for i, s in enumerate(scen)]
    labels = [s.label for s in scenarios]
    if len(set(labels)) != len(labels):
        raise ctrl.fail("scenarios", f"labels must be unique (set 'label'); got {labels}")

    seeds = top.sequence("seeds", [0], nonempty=True)
    if any(isinstance(s, bool) or not isinstance(s, int) or not 0 <= s <= MAX_SEED for s in seeds):
        raise top.fail(
            "seeds",
            f"must be a non-empty list of integers in [0, {MAX_SEED}]; got {excerpt(seeds)}",
        )

    acc = top.mapping("accuracy")
    acc.check_keys(ACCURACY_KEYS)
    tim = top.mapping("timing")
    tim.check_keys(TIMING_KEYS)
    return CompareConfig(
        name=top.string("name", Path(where).stem),
        arm=arm,
        source_path=where,
        models=specs,
        scenarios=scenarios,
        description=str(data.get("description", "") or ""),
        references=ctrl.choices("references", REFERENCES, list(REFERENCES)),
        learned_fk=ctrl.flag("learned_fk", True),
        position_only=ctrl.choice("position_only", ("auto", True, False), "auto"),
        seeds=list(seeds),
        n_samples=acc.integer("n_samples", 5000, minimum=10, maximum=MAX_SAMPLES),
        accuracy_seed=acc.seed("seed", 1000),
        margin=acc.number("margin", 0.0, minimum=0, below=0.5),
        bins=acc.integer("bins", 8, minimum=2, maximum=1000),
        n_calls=tim.integer("n_calls", 1000, minimum=1, maximum=MAX_SAMPLES),
        backends=tim.choices("backends", BACKENDS, list(BACKENDS)),
        batch=tim.integer("batch", 1000, minimum=1, maximum=MAX_SAMPLES),
        mismatch=mismatch,
    )
