"""Training configuration: a YAML file (``configs/learn/*.yaml``) or a dict.

Every section has defaults, so a config can be as small as ``arm: planar2``.
Validation happens here, once, and every error names the file and the key
(for example ``configs/learn/x.yaml: data.n_train: must be an integer >= 1; got 0``).
"""

from __future__ import annotations

import copy
import math
import os
from pathlib import Path
from typing import Any

from armjac import configs
from armjac.configs import Reader
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
    # the modelled point on the EE link (its frame, m), e.g. a tool tip; null: the origin
    "point": None,
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
        # "full": the whole network Jacobian per sample (one reverse pass per output
        # row, unrolled); "projected": u^T J for a random u per sample (1 reverse pass)
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
    """Folder of the bundled learning configs (``configs/learn``)."""
    from armjac.model.registry import CONFIG_DIR

    return CONFIG_DIR / LEARN_DIR_NAME


def bundled_configs() -> list[str]:
    """Names (file stems) of the bundled learning configs, sorted."""
    return sorted(p.stem for p in config_dir().glob("*.yaml"))


def _merge(base: dict, over: Reader) -> dict:
    """``base`` updated by ``over``, recursing into sections; unknown keys are refused."""
    over.check_keys(set(base))
    out = copy.deepcopy(base)
    for key, value in over.data.items():
        # a section (``data``, ``training.loss``, ...) merges key by key
        is_section = isinstance(base[key], dict)
        out[key] = _merge(base[key], over.mapping(key)) if is_section else copy.deepcopy(value)
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
    return validate(configs.read_mapping(path, "learning config"), str(path)), str(path)


def validate(data: dict, where: str = "<config>") -> dict:
    """Fill defaults and check every key. Raises :class:`ConfigError`."""
    cfg = _merge(DEFAULTS, Reader(data, where))
    top = Reader(cfg, where)
    if cfg["arm"] is None:
        raise top.fail("arm", "is required")
    from armjac.model.registry import resolve

    try:
        resolve(cfg["arm"])
    except ConfigError as exc:
        raise top.fail("arm", str(exc)) from None
    # every key is present after the merge: ``...`` refuses an explicit null
    d = top.mapping("data")
    d.choice("distribution", DISTRIBUTIONS, ...)
    for k in ("n_train", "n_val", "n_test"):
        d.integer(k, ..., minimum=1)
    d.number("std", ..., minimum=0.0)
    center = d.data["center"]
    if center is not None and (
        not isinstance(center, list | tuple)
        or not center
        or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            for v in center
        )
    ):
        raise d.fail("center", f"must be null or a list of finite numbers (rad); got {center!r}")
    d.number("margin", ..., minimum=0, below=0.5)
    seeds = d.mapping("seeds")
    for k in ("train", "val", "test"):
        seeds.integer(k, ..., minimum=0)
    top.choice("encoding", ENCODINGS, ...)
    top.vector("point", 3)
    top.choice("outputs", OUTPUTS, ...)
    n = top.mapping("network")
    n.choice("neuron", NEURONS, ...)
    n.number("gain", ..., minimum=0.0)
    for i, e in enumerate(n.mappings("ensembles")):
        e.check_keys({"n_neurons", "dimensions"})
        e.integer("n_neurons", ..., minimum=1)
        if i > 0:
            e.data.setdefault("dimensions", 32)
            e.integer("dimensions", ..., minimum=1)
        elif "dimensions" in e.data:
            raise e.fail("dimensions", "is set by the input encoding; remove it")
    if cfg["nominal"] is not None:
        nom = top.mapping("nominal")
        nom.check_keys({"link_scale_std", "seed"})
        nom.data.setdefault("link_scale_std", 0.05)
        nom.data.setdefault("seed", 0)
        nom.number("link_scale_std", ..., minimum=0.0)
    t = top.mapping("training")
    t.choice("method", METHODS, ...)
    t.choice("jacobian_mode", ("full", "projected"), ...)
    t.integer("epochs", ..., minimum=1)
    t.integer("batch_size", ..., minimum=1)
    lr = t.number("learning_rate", ..., positive=True)
    final_lr = t.number("final_learning_rate", ..., minimum=0.0)
    if final_lr > lr:
        raise t.fail(
            "final_learning_rate",
            f"must be <= training.learning_rate ({lr!r}), the start of the decay; got {final_lr!r}",
        )
    loss = t.mapping("loss")
    for k in ("position", "jacobian", "contractive"):
        loss.number(k, ..., minimum=0.0)
    for k in ("xla", "progress"):
        t.flag(k, False)
    if t.data["method"] == "fit" and (loss.data["jacobian"] or loss.data["contractive"]):
        raise t.fail(
            "method",
            "'fit' supports only the position loss; "
            "use method 'loop' for jacobian/contractive terms",
        )
    return cfg
