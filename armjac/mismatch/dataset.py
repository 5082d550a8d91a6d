"""Datasets of measurements from the real arm: encoder readings and tracker samples.

A dataset is what a user would record on a real robot: timestamped joint
readings and timestamped tool-tip samples (the tracker's exposure times, on the
same clock). The ground truth (true link angles, true tip) rides along under
``truth_*`` names for metrics only; training and calibration use
:meth:`Dataset.pairs`.

On disk: ``NAME.npz`` (arrays) and ``NAME.json`` (metadata: kind, spec, seed,
nominal arm, assumed tool point, tracker settings).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from armjac.errors import ConfigError
from armjac.jsonutil import to_jsonable

ARRAYS = ("t", "q", "tracker_t", "tracker_x", "tracker_ok", "truth_q", "truth_tip")


@dataclass
class Dataset:
    """Encoder and tracker recordings.

    Attributes
    ----------
    t, q : (T,), (T, N)
        Encoder timestamps (s) and readings (rad).
    tracker_t, tracker_x, tracker_ok : (M,), (M, 3), (M,) bool
        Tracker exposure times, samples (m), and whether each was delivered.
    truth_q, truth_tip : (T, N), (M, 3)
        True link angles at the encoder times and the true tip at the exposures
        (metrics only).
    meta : dict
        ``kind`` ("trajectory" or "static"), spec, seed, nominal arm, assumed point.
    """

    t: np.ndarray
    q: np.ndarray
    tracker_t: np.ndarray
    tracker_x: np.ndarray
    tracker_ok: np.ndarray
    truth_q: np.ndarray
    truth_tip: np.ndarray
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        """Number of delivered tracker samples (the training budget)."""
        return int(self.tracker_ok.sum())

    def readings_at(self, times: np.ndarray, truth: bool = False) -> np.ndarray:
        """Encoder readings (or true angles) linearly interpolated at ``times`` (K, N)."""
        src = self.truth_q if truth else self.q
        return np.stack([np.interp(times, self.t, src[:, j]) for j in range(src.shape[1])], axis=1)

    def pairs(self, n: int | None = None, truth: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(q, x): joint readings at each delivered tracker sample and the sample.

        ``n`` keeps the first ``n`` pairs (a smaller budget from the same run).
        ``truth=True`` gives the true link angles and true tip instead.
        """
        ok = np.flatnonzero(self.tracker_ok)
        if n is not None:
            if n > ok.size:
                raise ConfigError(f"the dataset has {ok.size} tracker samples; {n} were asked for")
            ok = ok[:n]
        times = self.tracker_t[ok]
        q = self.readings_at(times, truth)
        x = (self.truth_tip if truth else self.tracker_x)[ok]
        return q, x

    def save(self, path: str | os.PathLike) -> Path:
        """Write ``path`` (.npz, suffix added) and the metadata beside it (.json)."""
        path = _npz(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, **{k: getattr(self, k) for k in ARRAYS})
        path.with_suffix(".json").write_text(json.dumps(to_jsonable(self.meta), indent=2))
        return path


def _npz(path) -> Path:
    """``path`` with the .npz suffix (added, not replacing: "run-0.5" stays "run-0.5.npz")."""
    path = Path(path)
    return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")


def load_dataset(path: str | os.PathLike) -> Dataset:
    """Read a dataset written by :meth:`Dataset.save`.

    Raises
    ------
    ConfigError
        Missing or unreadable files, or arrays missing from the .npz.
    """
    path = _npz(path)
    meta_path = path.with_suffix(".json")
    if not path.is_file() or not meta_path.is_file():
        raise ConfigError(f"no dataset at {path} (needs {path.name} and {meta_path.name})")
    try:
        with np.load(path) as npz:
            arrays = {k: npz[k] for k in ARRAYS}
        meta = json.loads(meta_path.read_text())
    except KeyError as exc:
        raise ConfigError(f"{path}: not a dataset, missing array {exc}") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read the dataset ({exc})") from None
    return Dataset(**arrays, meta=meta)


def metadata(real, kind: str, **extra) -> dict:
    """The metadata block of a dataset drawn from ``real``."""
    return {
        "kind": kind,
        "spec": real.spec.to_dict(),
        "seed": real.seed,
        "nominal_arm": real.nominal.name,
        "nominal_source": getattr(real.nominal.spec, "source", None) or real.nominal.urdf_path,
        "assumed_point": real.assumed_point.tolist(),
        "tracker": {
            "rate_hz": real.tracker_spec.rate_hz,
            "noise_mm": real.tracker_spec.noise_mm,
            "latency_ms": real.tracker_spec.latency_ms,
        },
        **extra,
    }
