"""Training configuration: a YAML file (``configs/learn/*.yaml``) or a dict.

Every section has defaults, so a config can be as small as ``arm: planar2``.
Validation happens here, once, and every error names the file and the key
(for example ``configs/learn/x.yaml: data.n_train: must be an integer >= 1; got 0``).
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

from armjac import configs
from armjac.configs import Reader
from armjac.errors import ConfigError
from armjac.learned import losses
from armjac.validation import excerpt

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
        "loss": None,  # {name: weight} over armjac.learned.losses (registered defaults)
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


def defaults() -> dict[str, Any]:
    """A fresh copy of :data:`DEFAULTS`, with the weights of every registered loss."""
    out = copy.deepcopy(DEFAULTS)
    out["training"]["loss"] = losses.default_weights()
    return out


def config_dir() -> Path:
    """Folder of the bundled learning configs (``configs/learn``)."""
    return configs.folder(LEARN_DIR_NAME)


def bundled_configs() -> list[str]:
    """Names (file stems) of the bundled learning configs, sorted."""
    return configs.bundled(LEARN_DIR_NAME)


def _override(base: dict, over: Reader) -> dict:
    """``over``'s data, checked against ``base``'s keys section by section.

    Unknown keys are refused and a section must be a mapping; a null section
    is dropped, so it keeps its defaults.
    """
    over.check_keys(set(base))
    out = {}
    for key, value in over.data.items():
        if isinstance(base[key], dict):  # a section (``data``, ``training.loss``, ...)
            if value is not None:
                out[key] = _override(base[key], over.mapping(key))
        else:
            out[key] = value
    return out


def resolve_config(spec: str | os.PathLike | dict) -> tuple[dict, str]:
    """Load and validate a config; returns ``(config, where)``.

    ``spec`` is a bundled name (``configs/learn/NAME.yaml``), a YAML path or a dict.
    """
    if isinstance(spec, dict):
        return validate(spec, "<config>"), "<config>"
    path = configs.resolve(spec, LEARN_DIR_NAME, "learning config")
    return validate(configs.read_mapping(path, "learning config"), str(path)), str(path)


def check_ensembles(network: Reader) -> None:
    """Check ``network.ensembles`` (filling each later ensemble's default dimensions)."""
    for i, e in enumerate(network.mappings("ensembles")):
        e.check_keys({"n_neurons", "dimensions"})
        e.integer("n_neurons", ..., minimum=1, maximum=configs.MAX_NEURONS)
        if i > 0:
            e.data.setdefault("dimensions", 32)
            e.integer("dimensions", ..., minimum=1, maximum=configs.MAX_DIMENSIONS)
        elif "dimensions" in e.data:
            raise e.fail("dimensions", "is set by the input encoding; remove it")


def validate(data: dict, where: str = "<config>") -> dict:
    """Fill defaults and check every key. Raises :class:`ConfigError`."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: a learning config must be a mapping; got {excerpt(data)}")
    base = defaults()
    cfg = configs.deep_merge(base, _override(base, Reader(data, where)))
    top = Reader(cfg, where)
    top.string("arm", ...)
    from armjac.model.registry import resolve

    try:
        resolve(cfg["arm"])
    except ConfigError as exc:
        raise top.fail("arm", str(exc)) from None
    # every key is present after the merge: ``...`` refuses an explicit null
    top.seed("seed", ...)
    d = top.mapping("data")
    d.choice("distribution", DISTRIBUTIONS, ...)
    for k in ("n_train", "n_val", "n_test"):
        d.integer(k, ..., minimum=1, maximum=configs.MAX_SAMPLES)
    d.number("std", ..., minimum=0.0)
    center = d.data["center"]
    if center is not None and (
        not isinstance(center, list | tuple)
        or not center
        or not all(map(configs.is_number, center))
    ):
        raise d.fail(
            "center", f"must be null or a list of finite numbers (rad); got {excerpt(center)}"
        )
    d.number("margin", ..., minimum=0, below=0.5)
    seeds = d.mapping("seeds")
    for k in ("train", "val", "test"):
        seeds.seed(k, ...)
    top.choice("encoding", ENCODINGS, ...)
    top.vector("point", 3)
    top.choice("outputs", OUTPUTS, ...)
    n = top.mapping("network")
    n.choice("neuron", NEURONS, ...)
    n.number("gain", ..., minimum=0.0)
    n.seed("seed", ...)
    check_ensembles(n)
    if cfg["nominal"] is not None:
        nom = top.mapping("nominal")
        nom.check_keys({"link_scale_std", "seed"})
        nom.data.setdefault("link_scale_std", 0.05)
        nom.data.setdefault("seed", 0)
        nom.number("link_scale_std", ..., minimum=0.0)
        nom.seed("seed", ...)
    t = top.mapping("training")
    t.choice("method", METHODS, ...)
    t.choice("jacobian_mode", ("full", "projected"), ...)
    t.integer("epochs", ..., minimum=1, maximum=configs.MAX_EPOCHS)
    t.integer("batch_size", ..., minimum=1, maximum=configs.MAX_SAMPLES)
    lr = t.number("learning_rate", ..., positive=True)
    final_lr = t.number("final_learning_rate", ..., minimum=0.0)
    if final_lr > lr:
        raise t.fail(
            "final_learning_rate",
            f"must be <= training.learning_rate ({lr!r}), the start of the decay; got {final_lr!r}",
        )
    _check_loss(t)
    for k in ("xla", "progress"):
        t.flag(k, False)
    return cfg


def _check_loss(t: Reader) -> None:
    """``training.loss``: a weight >= 0 per registered loss, at least one switched on."""
    loss = t.mapping("loss")
    for k in losses.LOSSES:
        loss.number(k, ..., minimum=0.0)
    if not any(loss.data.values()):
        raise t.fail("loss", f"needs at least one weight > 0 (of {', '.join(losses.LOSSES)})")
    if t.data["method"] == "fit":
        unfit = [k for k, w in loss.data.items() if w and not losses.LOSSES[k].fit]
        if unfit:
            fit = [k for k, v in losses.LOSSES.items() if v.fit]
            raise t.fail(
                "method",
                f"'fit' trains only the {', '.join(fit)} loss(es); "
                f"use method 'loop' for {', '.join(unfit)}",
            )
