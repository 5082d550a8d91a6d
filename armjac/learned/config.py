"""Training configuration: a YAML file (``configs/learn/*.yaml``) or a dict.

Every section has defaults, so a config can be as small as ``arm: planar2``.
Validation happens here, once, and every error names the file and the key
(for example ``configs/learn/x.yaml: data.n_train must be a positive integer``).
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import yaml

from armjac.errors import ConfigError

LEARN_DIR_NAME = "learn"

DEFAULTS: dict[str, Any] = {
    "arm": None,
    "seed": 0,
    "data": {
        # "uniform" within the joint limits (shrunk by ``margin``), or "normal"
        # around ``center`` (default: the arm's home) with ``std`` rad, clipped.
        "distribution": "uniform",
        "margin": 0.0,
        "center": None,
        "std": 0.5,
        "n_train": 20000,
        "n_val": 2000,
        "n_test": 5000,
        "seeds": {"train": 1, "val": 2, "test": 3},
    },
    "encoding": "sincos",
    "outputs": "position",
    "network": {
        "neuron": "tanh",
        # one entry per ensemble; ``dimensions`` is the ensemble's represented
        # dimensionality (the first ensemble always represents the encoded input)
        "ensembles": [{"n_neurons": 256}, {"n_neurons": 256, "dimensions": 32}],
        "gain": 1.0,
        "seed": 0,
    },
    "nominal": None,
    "training": {
        "method": "loop",  # "loop" (GradientTape) or "fit" (sim.fit)
        "epochs": 50,
        "batch_size": 256,
        "learning_rate": 3e-3,
        "final_learning_rate": 1e-5,
        "loss": {"position": 1.0, "jacobian": 0.0, "contractive": 0.0},
        # "full": the whole network Jacobian per sample (batch_jacobian, 3 reverse
        # passes); "projected": u^T J for a random u per sample (1 reverse pass)
        "jacobian_mode": "full",
        "xla": False,  # compile the training step with XLA (loop method)
        "progress": True,
    },
}

NEURONS = ("tanh",)
ENCODINGS = ("sincos", "scaled")
OUTPUTS = ("position", "pose")
DISTRIBUTIONS = ("uniform", "normal")
METHODS = ("loop", "fit")


def config_dir() -> Path:
    from armjac.model.registry import CONFIG_DIR

    return CONFIG_DIR / LEARN_DIR_NAME


def bundled_configs() -> list[str]:
    return sorted(p.stem for p in config_dir().glob("*.yaml"))


def _merge(base: dict, over: dict, where: str, prefix: str = "") -> dict:
    out = copy.deepcopy(base)
    for key, value in over.items():
        name = f"{prefix}{key}"
        if key not in base:
            raise ConfigError(f"{where}: unknown key {name!r} (expected one of {sorted(base)})")
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: {name} must be a mapping, got {value!r}")
            out[key] = _merge(base[key], value, where, f"{name}.")
        else:
            out[key] = copy.deepcopy(value)
    return out


def resolve_config(spec: str | os.PathLike | dict) -> tuple[dict, str]:
    """Load and validate a config; returns ``(config, where)``.

    ``spec`` is a bundled name (``configs/learn/NAME.yaml``), a YAML path or a dict.
    """
    if isinstance(spec, dict):
        return validate(spec, "<config>"), "<config>"
    text = os.fspath(spec)
    path = config_dir() / f"{text}.yaml"
    if not path.is_file():
        path = Path(text)
        if not path.is_file():
            raise ConfigError(
                f"no learning config {text!r}: not a bundled config "
                f"({', '.join(bundled_configs()) or 'none'}) nor a YAML file"
            )
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: malformed YAML ({exc})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a learning config must be a mapping")
    return validate(data, str(path)), str(path)


def _posint(cfg: dict, key: str, where: str, name: str, allow_zero: bool = False) -> None:
    v = cfg[key]
    if isinstance(v, bool) or not isinstance(v, int) or v < (0 if allow_zero else 1):
        raise ConfigError(f"{where}: {name} must be a positive integer, got {v!r}")


def _number(cfg: dict, key: str, where: str, name: str, lo: float = 0.0) -> None:
    v = cfg[key]
    if isinstance(v, bool) or not isinstance(v, int | float) or v < lo:
        raise ConfigError(f"{where}: {name} must be a number >= {lo}, got {v!r}")


def _choice(value, options, where: str, name: str) -> None:
    if value not in options:
        raise ConfigError(f"{where}: {name} must be one of {list(options)}, got {value!r}")


def validate(data: dict, where: str = "<config>") -> dict:
    """Fill defaults and check every key. Raises :class:`ConfigError`."""
    cfg = _merge(DEFAULTS, data, where)
    if cfg["arm"] is None:
        raise ConfigError(f"{where}: missing required key 'arm'")
    from armjac.model.registry import resolve

    try:
        resolve(cfg["arm"])
    except ConfigError as exc:
        raise ConfigError(f"{where}: arm: {exc}") from None
    d = cfg["data"]
    _choice(d["distribution"], DISTRIBUTIONS, where, "data.distribution")
    for k in ("n_train", "n_val", "n_test"):
        _posint(d, k, where, f"data.{k}")
    _number(d, "std", where, "data.std")
    if not 0 <= d["margin"] < 0.5:
        raise ConfigError(f"{where}: data.margin must be in [0, 0.5), got {d['margin']!r}")
    for k in ("train", "val", "test"):
        _posint(d["seeds"], k, where, f"data.seeds.{k}", allow_zero=True)
    _choice(cfg["encoding"], ENCODINGS, where, "encoding")
    _choice(cfg["outputs"], OUTPUTS, where, "outputs")
    n = cfg["network"]
    _choice(n["neuron"], NEURONS, where, "network.neuron")
    _number(n, "gain", where, "network.gain")
    ens = n["ensembles"]
    if not isinstance(ens, list) or not ens:
        raise ConfigError(f"{where}: network.ensembles must be a non-empty list")
    for i, e in enumerate(ens):
        name = f"network.ensembles[{i}]"
        if not isinstance(e, dict) or "n_neurons" not in e:
            raise ConfigError(f"{where}: {name} must be a mapping with 'n_neurons'")
        extra = set(e) - {"n_neurons", "dimensions"}
        if extra:
            raise ConfigError(f"{where}: {name} has unknown keys {sorted(extra)}")
        _posint(e, "n_neurons", where, f"{name}.n_neurons")
        if i > 0:
            e.setdefault("dimensions", 32)
            _posint(e, "dimensions", where, f"{name}.dimensions")
        elif "dimensions" in e:
            raise ConfigError(f"{where}: {name}.dimensions is set by the input encoding; remove it")
    if cfg["nominal"] is not None:
        nom = cfg["nominal"]
        if not isinstance(nom, dict) or set(nom) - {"link_scale_std", "seed"}:
            raise ConfigError(
                f"{where}: nominal must be null or a mapping with link_scale_std and seed"
            )
        nom.setdefault("link_scale_std", 0.05)
        nom.setdefault("seed", 0)
        _number(nom, "link_scale_std", where, "nominal.link_scale_std")
    t = cfg["training"]
    _choice(t["method"], METHODS, where, "training.method")
    _choice(t["jacobian_mode"], ("full", "projected"), where, "training.jacobian_mode")
    _posint(t, "epochs", where, "training.epochs")
    _posint(t, "batch_size", where, "training.batch_size")
    _number(t, "learning_rate", where, "training.learning_rate")
    _number(t, "final_learning_rate", where, "training.final_learning_rate")
    for k in ("position", "jacobian", "contractive"):
        _number(t["loss"], k, where, f"training.loss.{k}")
    for k in ("xla", "progress"):
        if not isinstance(t[k], bool):
            raise ConfigError(f"{where}: training.{k} must be true or false, got {t[k]!r}")
    if t["method"] == "fit" and (t["loss"]["jacobian"] or t["loss"]["contractive"]):
        raise ConfigError(
            f"{where}: training.method 'fit' supports only the position loss; "
            "use method 'loop' for jacobian/contractive terms"
        )
    return cfg
