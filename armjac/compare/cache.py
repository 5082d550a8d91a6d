"""Cache of trained models and scenario results, keyed by a hash of their inputs.

A trained model is reused when its training config, the arm and the armjac
version are unchanged; a scenario run when the scenario, the source (a model's
parameters), the position sensor, the arm and the version are unchanged.
Entries are folders under the cache root, written to a temporary name and
renamed, so an interrupted run never leaves a half-written entry.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from armjac import __version__
from armjac.fingerprint import source_fingerprint
from armjac.jsonutil import to_jsonable
from armjac.outputs import atomic_folder, write_json

# Source behind a trained model and behind a scenario run: a change there
# invalidates cached results even when the version number stays the same.
TRAINING_CODE = ("armjac/learned",)
# A run also depends on the Jacobian source: the analytic arm (and the kernels
# generated for it) and a learned model's evaluation code.
RUN_CODE = (
    "armjac/control",
    "armjac/sim",
    "armjac/scenarios",
    "armjac/sources.py",
    "armjac/learned",
    "armjac/arm.py",
    "armjac/codegen",
    "armjac/symbolic",
)


def arm_fingerprint(arm) -> dict:
    """What identifies the analytic arm: its model tree, chain, end effector and gravity."""
    return {
        "model": arm.model.fingerprint(),
        "joints": list(arm.joint_names),
        "ee_link": arm.ee_link,
        "gravity": list(arm.gravity_vector),
    }


def digest(obj) -> str:
    """A short stable hash of JSON-able ``obj`` (sorted keys)."""
    text = json.dumps(to_jsonable(obj), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def training_key(train_cfg: dict, arm) -> str:
    """Cache key of a model trained from ``train_cfg`` (progress display ignored)."""
    cfg = to_jsonable(train_cfg)
    cfg.get("training", {}).pop("progress", None)
    return digest(
        {
            "train": cfg,
            "arm": arm_fingerprint(arm),
            "armjac": __version__,
            "code": source_fingerprint(*TRAINING_CODE),
        }
    )


def folder_key(path: str | os.PathLike) -> str:
    """Hash of a model folder's files (its identity when it was not trained here)."""
    h = hashlib.sha256()
    for f in sorted(Path(path).iterdir()):
        if f.is_file():
            h.update(f.name.encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


class Cache:
    """Folders ``models/<key>`` and ``runs/<key>`` under ``root``."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def model_dir(self, key: str) -> Path:
        """Folder of the cached model ``key`` (it may not exist)."""
        return self.root / "models" / key

    def has_model(self, key: str) -> bool:
        """Whether a saved model (its ``model.json``) is cached under ``key``."""
        return (self.model_dir(key) / "model.json").is_file()

    def save_model(self, key: str, model) -> Path:
        """Save ``model`` (via ``model.save(folder)``) as the cached model ``key``.

        It is written to a temporary folder and renamed into place, replacing any
        older entry. Returns the entry's folder.
        """
        final = self.model_dir(key)
        with atomic_folder(final) as tmp:
            model.save(tmp)
        return final

    def run_dir(self, key: str) -> Path:
        """Folder of the cached run ``key`` (it may not exist)."""
        return self.root / "runs" / key

    def load_run(self, key: str) -> tuple[dict, dict] | None:
        """``(result, log arrays)`` of a cached run, or None."""
        d = self.run_dir(key)
        try:
            result = json.loads((d / "result.json").read_text())
            with np.load(d / "log.npz") as npz:
                log = {k: npz[k] for k in npz.files}
        except (OSError, ValueError, json.JSONDecodeError):
            return None
        return result, log

    def save_run(self, key: str, result: dict, log: dict) -> None:
        """Store a run's ``result`` (JSON) and ``log`` arrays (``log.npz``) under ``key``.

        Written to a temporary folder and renamed into place, replacing any older entry.
        """
        with atomic_folder(self.run_dir(key)) as tmp:
            write_json(tmp / "result.json", result, indent=1)
            np.savez(tmp / "log.npz", **log)
