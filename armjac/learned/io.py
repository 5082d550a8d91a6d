"""Saving and loading learned models.

A model folder holds ``model.json`` (format version, arm description, the full
config, metrics, parameter shapes) and ``params.npz`` (float32 weights, stored
exactly). ``model.json`` at the top level is what marks a folder as a model.
A folder written with a newer format version fails with a message saying so;
older versions are upgraded here as the format evolves.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from armjac.errors import ConfigError, ModelFileError

FORMAT_VERSION = 1
MODEL_FILE = "model.json"
PARAMS_FILE = "params.npz"


def save(model, path: str | os.PathLike) -> Path:
    """Write ``model`` to the folder ``path`` (created if needed).

    Writes ``params.npz`` and ``model.json``; returns the folder as a ``Path``.
    """
    from armjac import __version__

    if model.nominal is not None and not hasattr(model, "nominal_record"):
        _check_nominal_rebuilds(model)
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    arrays = {"out_bias": model.params["out_bias"]}
    for k, (e, b, d) in enumerate(model.params["layers"]):
        arrays[f"layer{k}_encoders"] = e
        arrays[f"layer{k}_bias"] = b
        arrays[f"layer{k}_decoders"] = d
    np.savez(path / PARAMS_FILE, **arrays)
    meta = {
        "format_version": FORMAT_VERSION,
        "armjac_version": __version__,
        "kind": getattr(model, "KIND", "armjac.learned.LearnedModel"),
        "arm": model.arm_name,
        "dof": model.dof,
        "joint_names": list(model.joint_names),
        "ee_link": model.ee_link,
        "home": model.home.tolist(),
        "bounds": [model.bounds[0].tolist(), model.bounds[1].tolist()],
        "train_range": [model.train_range[0].tolist(), model.train_range[1].tolist()],
        "n_layers": len(model.params["layers"]),
        "shapes": {k: list(v.shape) for k, v in arrays.items()},
        "config": model.config,
        "metrics": model.metrics,
    }
    if hasattr(model, "nominal_record"):  # models from data carry their own nominal
        meta["nominal_record"] = model.nominal_record(path)
    (path / MODEL_FILE).write_text(json.dumps(meta, indent=2, default=_jsonable))
    return path


def rebuild_nominal(config: dict, ee_link: str | None):
    """The nominal arm described by ``config`` for the end-effector link ``ee_link``.

    Parameters
    ----------
    config : dict
        A validated training config with a ``nominal`` section.
    ee_link : str or None
        The modelled end-effector link (``None``: the arm's default).

    Returns
    -------
    Arm
        The perturbed chain, as built at training time.
    """
    from armjac.arm import load_arm
    from armjac.learned.nominal import perturbed_arm

    arm = load_arm(config["arm"], **({"ee_link": ee_link} if ee_link else {}))
    nominal = perturbed_arm(arm, config["nominal"]["link_scale_std"], config["nominal"]["seed"])
    if config.get("point") is not None:
        from armjac.learned.residual import TipNominal

        nominal = TipNominal(nominal, config["point"])
    return nominal


def _check_nominal_rebuilds(model) -> None:
    """Refuse to save a nominal model that :func:`load` could not rebuild exactly."""
    nominal = model.nominal
    try:
        rebuilt = rebuild_nominal(model.config, model.ee_link)
    except ConfigError as exc:
        rebuilt, why = None, str(exc)
    else:
        why = "it differs from the model's nominal arm"
        lo, hi = model.bounds
        q = np.random.default_rng(0).uniform(lo, hi, size=(8, model.dof))
        q = np.vstack([model.home, q])
        if rebuilt.dof != nominal.dof or not (
            np.array_equal(rebuilt.fk(q), nominal.fk(q))
            and np.array_equal(rebuilt.jacobian(q), nominal.jacobian(q))
        ):
            rebuilt = None
    if rebuilt is None:
        raise ConfigError(
            f"cannot save this model: its nominal arm cannot be rebuilt from config arm "
            f"{model.config['arm']!r} with ee_link {model.ee_link!r} ({why}); train from an arm "
            "loaded by name or file so the nominal can be rebuilt on load"
        )


def _jsonable(obj):
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def load(path: str | os.PathLike):
    """Load a model folder written by :meth:`LearnedModel.save`.

    Raises
    ------
    ModelFileError
        (a :class:`~armjac.errors.ConfigError`) when the folder is missing,
        incomplete, corrupt or from a newer format.
    """
    from armjac.learned.config import validate
    from armjac.learned.model import LearnedModel

    path = Path(path)
    if not path.is_dir():
        raise ModelFileError(f"no model folder at {path}")
    meta_file = path / MODEL_FILE
    if not meta_file.is_file():
        raise ModelFileError(f"{path} is not a learned model folder: {MODEL_FILE} is missing")
    try:
        meta = json.loads(meta_file.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"{meta_file}: corrupt JSON ({exc})") from None
    if not isinstance(meta, dict) or "format_version" not in meta:
        raise ModelFileError(f"{meta_file}: not a model description (no format_version)")
    version = meta["format_version"]
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ModelFileError(
            f"{meta_file}: format version {version!r} is newer than this armjac supports "
            f"({FORMAT_VERSION}); upgrade armjac to load it"
        )
    try:
        with np.load(path / PARAMS_FILE) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"{path / PARAMS_FILE}: cannot read parameters ({exc})") from None
    try:
        n = int(meta["n_layers"])
        layers = [
            (arrays[f"layer{k}_encoders"], arrays[f"layer{k}_bias"], arrays[f"layer{k}_decoders"])
            for k in range(n)
        ]
        out_bias = arrays["out_bias"]
        for key, shape in meta["shapes"].items():
            if list(arrays[key].shape) != list(shape):
                raise ModelFileError(
                    f"{path / PARAMS_FILE}: {key} has shape {arrays[key].shape}, "
                    f"{MODEL_FILE} says {tuple(shape)}"
                )
        if meta.get("kind") == "armjac.learned.DataModel":
            from armjac.learned.from_data import restore

            return restore(path, meta, layers, out_bias)
        config = validate(meta["config"], f"{meta_file} (config)")
        nominal = None
        if config["nominal"]:
            nominal = rebuild_nominal(config, meta.get("ee_link"))
        return LearnedModel(
            {"layers": layers, "out_bias": out_bias},
            config=config,
            arm_name=meta["arm"],
            joint_names=meta["joint_names"],
            home=meta["home"],
            bounds=meta["bounds"],
            nominal=nominal,
            metrics=meta.get("metrics"),
            ee_link=meta.get("ee_link"),  # absent in files written before it was recorded
            train_range=meta.get("train_range"),  # likewise; then ``bounds``
        )
    except KeyError as exc:
        raise ModelFileError(f"{path}: incomplete model, missing {exc}") from None
