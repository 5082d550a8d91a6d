"""Saving and loading learned models.

A model folder holds ``model.json`` (format version, arm description, the full
config, metrics, parameter shapes) and ``params.npz`` (float32 weights, stored
exactly). ``model.json`` at the top level is what marks a folder as a model.
A folder written with a newer format version fails with a message saying so;
older versions are upgraded here as the format evolves.

:func:`read` trusts nothing in a folder: every field, every array's dtype,
shape and values are checked against the model's own config before a model
is built, so a damaged or hand-edited folder fails on load with a
:class:`~armjac.errors.ModelFileError` naming the file and the field, never
later with a wrong answer. This module knows the file layout only; it builds
no model (:func:`armjac.learned.model.load` does).
"""

from __future__ import annotations

import json
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np

from armjac import validation
from armjac.errors import ConfigError, InputError, ModelFileError
from armjac.jsonutil import to_jsonable

FORMAT_VERSION = 1
MODEL_FILE = "model.json"
PARAMS_FILE = "params.npz"


def save(model, path: str | os.PathLike) -> Path:
    """Write ``model`` to the folder ``path`` (created if needed).

    Writes ``params.npz`` and ``model.json``; returns the folder as a ``Path``.
    """
    from armjac import __version__

    arrays = {"out_bias": model.params["out_bias"]}
    for k, (e, b, d) in enumerate(model.params["layers"]):
        arrays[f"layer{k}_encoders"] = e
        arrays[f"layer{k}_bias"] = b
        arrays[f"layer{k}_decoders"] = d
    bad = [k for k, a in arrays.items() if not np.isfinite(a).all()]
    if bad:  # a diverged model would be refused on load, far from its cause
        raise InputError(f"cannot save this model: {', '.join(bad)} hold NaN or infinite values")
    expected = _expected_shapes(model.config, model.dof)
    if {k: a.shape for k, a in arrays.items()} != expected:
        raise ConfigError(
            "cannot save this model: its parameter shapes do not match its config's "
            f"network ({', '.join(f'{k} {s}' for k, s in expected.items())} expected)"
        )
    if model.nominal is not None and not hasattr(model, "nominal_record"):
        _check_nominal_rebuilds(model)
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
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
        meta["has_nominal"] = meta["nominal_record"] is not None
    # ±inf stays: an unbounded joint's training range is written as Infinity
    text = json.dumps(to_jsonable(meta, nonfinite="keep"), indent=2)
    (path / MODEL_FILE).write_text(text)
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


def read(path: str | os.PathLike) -> dict:
    """Read and check a model folder; returns the keyword arguments of ``LearnedModel``.

    Raises
    ------
    ModelFileError
        (a :class:`~armjac.errors.ConfigError`) when the folder is missing,
        incomplete, corrupt, inconsistent with its config, or from a newer format.
    """
    path = Path(path)
    if not path.is_dir():
        raise ModelFileError(f"no model folder at {path}")
    meta_file = path / MODEL_FILE
    if not meta_file.is_file():
        raise ModelFileError(f"{path} is not a learned model folder: {MODEL_FILE} is missing")
    meta = _read_meta(meta_file)
    config = _config(meta, meta_file)
    arrays = _read_arrays(path / PARAMS_FILE)
    fields = _Fields(meta, meta_file)
    joint_names = fields.names("joint_names")
    dof = len(joint_names)
    bounds = fields.pair("bounds", dof, finite=True, strict=True)
    train_range = fields.pair("train_range", dof, finite=False, strict=False, optional=True)
    n_layers = fields.count("n_layers")
    n_ens = len(config["network"]["ensembles"])
    if n_layers != n_ens:
        raise fields.fail("n_layers", f"is {n_layers}, but the config has {n_ens} ensembles")
    _check_shapes(arrays, fields, _expected_shapes(config, dof), path / PARAMS_FILE)
    layers = [
        tuple(arrays[f"layer{k}_{part}"] for part in ("encoders", "bias", "decoders"))
        for k in range(n_layers)
    ]
    ee_link = fields.text("ee_link", optional=True)
    nominal = None
    if config["nominal"]:
        try:
            nominal = rebuild_nominal(config, ee_link)
        except ConfigError as exc:
            raise ModelFileError(f"{meta_file}: cannot rebuild the nominal arm ({exc})") from None
    if meta.get("kind") == "armjac.learned.DataModel":
        nominal = _data_nominal(path, meta, fields)
    metrics = meta.get("metrics")
    if metrics is not None and not isinstance(metrics, dict):
        raise fields.fail("metrics", f"must be a mapping; got {validation.excerpt(metrics)}")
    return {
        "params": {"layers": layers, "out_bias": arrays["out_bias"]},
        "config": config,
        "arm_name": fields.text("arm"),
        "joint_names": joint_names,
        "home": fields.vector("home", dof),
        "bounds": bounds,
        "nominal": nominal,
        "metrics": metrics,
        "ee_link": ee_link,  # absent in files written before it was recorded
        "train_range": train_range,  # likewise; then ``bounds``
    }


def _data_nominal(path: Path, meta: dict, fields: _Fields):
    """The sealed nominal of a model learned from data (None for a pure network)."""
    from armjac.learned.residual import rebuild

    has = meta.get("has_nominal")
    if not isinstance(has, bool) or "nominal_record" not in meta:
        raise fields.fail("has_nominal", "and nominal_record must both be present (the model "
                          "was written by an older armjac or edited)")  # fmt: skip
    record = meta["nominal_record"]
    if has != (record is not None):
        raise fields.fail("nominal_record", f"is {'missing' if has else 'present'}, but "
                          f"has_nominal is {has}: the folder was edited")  # fmt: skip
    if record is None:
        return None
    try:
        return rebuild(path, record)
    except ModelFileError:
        raise
    except (InputError, KeyError, TypeError, ValueError, OSError) as exc:
        raise fields.fail("nominal_record", f"cannot be rebuilt ({exc!r})") from None


def _read_meta(meta_file: Path) -> dict:
    """``model.json`` as a mapping with a supported format version."""
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise ModelFileError(f"{meta_file}: corrupt JSON ({exc})") from None
    except OSError as exc:
        raise ModelFileError(f"{meta_file}: cannot read ({exc})") from None
    if not isinstance(meta, dict) or "format_version" not in meta:
        raise ModelFileError(f"{meta_file}: not a model description (no format_version)")
    version = meta["format_version"]
    if type(version) is not int or version < 1:
        raise ModelFileError(
            f"{meta_file}: format_version must be a positive integer; "
            f"got {validation.excerpt(version)}"
        )
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{meta_file}: format version {version} is newer than this armjac supports "
            f"({FORMAT_VERSION}); upgrade armjac to load it"
        )
    return meta


def _config(meta: dict, meta_file: Path) -> dict:
    """The validated training config recorded in ``model.json``."""
    from armjac.learned.config import validate

    if meta.get("kind") == "armjac.learned.DataModel":
        from armjac.learned.data_config import model_config as validate

    if "config" not in meta:
        raise ModelFileError(f"{meta_file}: incomplete model, missing 'config'")
    raw = meta["config"]
    if not isinstance(raw, dict):
        shown = validation.excerpt(raw)
        raise ModelFileError(f"{meta_file}: config must be a mapping; got {shown}")
    try:
        return validate(raw, f"{meta_file} (config)")
    except ModelFileError:
        raise
    except ConfigError as exc:
        raise ModelFileError(str(exc)) from None


def _read_arrays(params_file: Path) -> dict[str, np.ndarray]:
    """Every array of ``params.npz``: float, finite, never unpickled."""
    try:
        with np.load(params_file, allow_pickle=False) as npz:
            if not isinstance(npz, np.lib.npyio.NpzFile):
                raise ModelFileError(f"{params_file}: not an .npz archive of named arrays")
            arrays = {k: npz[k] for k in npz.files}
    except ModelFileError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise ModelFileError(f"{params_file}: cannot read parameters ({exc})") from None
    except (AttributeError, TypeError):  # np.load gave a bare array: no context manager
        raise ModelFileError(f"{params_file}: not an .npz archive of named arrays") from None
    for key, arr in arrays.items():
        if arr.dtype.kind != "f":
            raise ModelFileError(f"{params_file}: {key} must hold floats; got dtype {arr.dtype}")
        if not np.isfinite(arr).all():
            bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
            raise ModelFileError(
                f"{params_file}: {key} holds {bad} NaN or infinite value(s); the model is damaged"
            )
    return arrays


def _expected_shapes(config: dict, dof: int) -> dict[str, tuple[int, ...]]:
    """The shape of every array that ``config`` builds for a ``dof``-joint arm."""
    from armjac.learned.encoding import encoded_size

    ens = config["network"]["ensembles"]
    dims = [encoded_size(config["encoding"], dof)]
    dims += [e["dimensions"] for e in ens[1:]]
    # a joint-space residual outputs one correction per joint
    dims.append(dof if config["outputs"] == "joints" else OUTPUT_SIZES[config["outputs"]])
    shapes = {"out_bias": (dims[-1],)}
    for k, e in enumerate(ens):
        n = e["n_neurons"]
        shapes[f"layer{k}_encoders"] = (n, dims[k])
        shapes[f"layer{k}_bias"] = (n,)
        shapes[f"layer{k}_decoders"] = (dims[k + 1], n)
    return shapes


def _check_shapes(arrays: dict, fields: _Fields, expected: dict, params_file: Path) -> None:
    """Arrays, ``model.json``'s ``shapes`` and the config must agree exactly."""
    recorded = fields.mapping("shapes")
    missing = sorted(set(expected) - set(arrays))
    if missing:
        raise ModelFileError(f"{params_file}: incomplete model, missing {', '.join(missing)}")
    extra = sorted(set(arrays) - set(expected))
    if extra:
        raise ModelFileError(f"{params_file}: unexpected arrays {', '.join(extra)}")
    for key, shape in expected.items():
        if arrays[key].shape != shape:
            raise ModelFileError(
                f"{params_file}: {key} has shape {arrays[key].shape}, but the model's config "
                f"builds {shape}"
            )
        if recorded.get(key) != list(shape):
            raise fields.fail(
                f"shapes.{key}",
                f"is {validation.excerpt(recorded.get(key))}, but {PARAMS_FILE} holds {shape}",
            )


# network outputs per model kind (a pose model: position and two rotation columns)
OUTPUT_SIZES = {"position": 3, "pose": 9}


class _Fields:
    """Checked access to the fields of ``model.json``; errors name the file and field."""

    def __init__(self, meta: dict, where: Path):
        self.meta, self.where = meta, where

    def fail(self, key: str, msg: str) -> ModelFileError:
        return ModelFileError(f"{self.where}: {key} {msg}")

    def _get(self, key: str, optional: bool = False):
        if key not in self.meta or (optional and self.meta[key] is None):
            if optional:
                return None
            raise ModelFileError(f"{self.where}: incomplete model, missing {key!r}")
        return self.meta[key]

    def text(self, key: str, optional: bool = False) -> str | None:
        v = self._get(key, optional)
        if v is not None and (not isinstance(v, str) or not v):
            raise self.fail(key, f"must be a non-empty string; got {validation.excerpt(v)}")
        return v

    def count(self, key: str) -> int:
        v = self._get(key)
        if type(v) is not int or v < 1:
            raise self.fail(key, f"must be a positive integer; got {validation.excerpt(v)}")
        return v

    def mapping(self, key: str) -> dict:
        v = self._get(key)
        if not isinstance(v, dict):
            raise self.fail(key, f"must be a mapping; got {validation.excerpt(v)}")
        return v

    def names(self, key: str) -> tuple[str, ...]:
        v = self._get(key)
        ok = isinstance(v, list) and v and all(isinstance(x, str) and x for x in v)
        if not ok or len(set(v)) != len(v):
            raise self.fail(key, f"must be a list of distinct names; got {validation.excerpt(v)}")
        return tuple(v)

    def vector(self, key: str, n: int, value=..., finite: bool = True) -> np.ndarray:
        v = self._get(key) if value is ... else value
        try:
            arr = validation.as_vector(v, n, key, finite=False)
        except InputError as exc:
            raise self.fail(key, f"is not {n} numbers ({exc})") from None
        bad = np.isnan(arr) | (~np.isfinite(arr) if finite else False)
        if bad.any():
            rule = "finite" if finite else "free of NaN"
            raise self.fail(key, f"must be {rule}; got {validation.excerpt(arr)}")
        return arr

    def pair(self, key: str, n: int, *, finite: bool, strict: bool, optional: bool = False):
        """``[lo, hi]``, each ``n`` numbers, with lo < hi (``strict``) or lo <= hi."""
        v = self._get(key, optional)
        if v is None:
            return None
        if not isinstance(v, list | tuple) or len(v) != 2:
            raise self.fail(key, f"must be [lower, upper]; got {validation.excerpt(v)}")
        lo, hi = (self.vector(key, n, side, finite) for side in v)
        bad = ~(lo < hi) if strict else ~(lo <= hi)
        if bad.any():
            j = int(np.argmax(bad))
            raise self.fail(key, f"has lower {lo[j]!r} not below upper {hi[j]!r} (joint {j})")
        return lo, hi
