"""Datasets of measurements from the real arm: encoder readings and tracker samples.

A dataset is what a user would record on a real robot: timestamped joint
readings and timestamped tool-tip samples (the tracker's exposure times, on the
same clock). The ground truth (true link angles, true tip) rides along under
``truth_*`` names for metrics only; training and calibration use
:meth:`Dataset.pairs`.

On disk: ``NAME.npz`` (arrays) and ``NAME.json`` (metadata: kind, spec, seed,
nominal arm, assumed tool point, tracker settings, and the hash of the .npz it
belongs to). Both are written under temporary names and renamed, the .json
last; :func:`load_dataset` checks the pair belongs together and every array
(shapes, finite values, encoder time running forward), so a damaged,
truncated, mixed or hand-edited dataset is refused with what is wrong.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from armjac.errors import ConfigError, InputError
from armjac.jsonutil import to_jsonable
from armjac.outputs import check_out_dir
from armjac.validation import as_count

ARRAYS = ("t", "q", "tracker_t", "tracker_x", "tracker_ok", "truth_q", "truth_tip")
HASH_KEY = "npz_sha256"  # in the .json: the .npz it was written with


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

    def __post_init__(self) -> None:
        check_arrays(self, "dataset", InputError)

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
            n = as_count(n, "n", minimum=1)
            if n > ok.size:
                raise ConfigError(f"the dataset has {ok.size} tracker samples; {n} were asked for")
            ok = ok[:n]
        times = self.tracker_t[ok]
        q = self.readings_at(times, truth)
        x = (self.truth_tip if truth else self.tracker_x)[ok]
        return q, x

    def save(self, path: str | os.PathLike) -> Path:
        """Write ``path`` (.npz, suffix added) and the metadata beside it (.json).

        Raises
        ------
        ConfigError
            ``path`` is a folder or cannot be written (see :func:`dataset_path`).
        """
        path = dataset_path(path)
        meta = json.dumps(to_jsonable(self.meta), indent=2)  # refused here, before any file
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".npz", dir=path.parent)
        tmp_json = path.with_name(f".{path.stem}-{os.getpid()}.json.tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez_compressed(f, **{k: getattr(self, k) for k in ARRAYS})
            digest = _sha256(Path(tmp))
            text = json.dumps({**json.loads(meta), HASH_KEY: digest}, indent=2)
            tmp_json.write_text(text)
            path.with_suffix(".json").unlink(missing_ok=True)  # no old metadata beside new arrays
            os.replace(tmp, path)
            os.replace(tmp_json, path.with_suffix(".json"))
        finally:
            Path(tmp).unlink(missing_ok=True)
            tmp_json.unlink(missing_ok=True)
        return path


def _npz(path) -> Path:
    """``path`` with the .npz suffix (added, not replacing: "run-0.5" stays "run-0.5.npz")."""
    path = Path(path)
    return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")


def dataset_path(path: str | os.PathLike) -> Path:
    """The .npz a dataset saved to ``path`` goes to, checked before any work.

    Raises
    ------
    ConfigError
        ``path`` (or the .npz / .json beside it) is a folder, or its folder
        cannot be created or written.
    """
    given = Path(path)
    npz = _npz(given)
    for p in (given, npz, npz.with_suffix(".json")):
        if p.is_dir():
            raise ConfigError(f"dataset path {os.fspath(path)!r}: {p} is a folder; give a file "
                              "name (FILE or FILE.npz)")  # fmt: skip
    check_out_dir(npz.parent, "dataset folder")
    npz.parent.mkdir(parents=True, exist_ok=True)
    return npz


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check_arrays(d, where: str, error: type[Exception] = ConfigError) -> None:
    """Refuse a dataset whose arrays do not fit together (raises ``error``).

    ``T`` encoder readings of ``N`` joints and ``M`` tracker exposures:
    ``t`` (T,) finite and strictly increasing; ``q``, ``truth_q`` (T, N);
    ``tracker_t`` (M,) finite and non-decreasing; ``tracker_x``, ``truth_tip``
    (M, 3); ``tracker_ok`` (M,) booleans; finite numbers wherever a sample was
    delivered, and delivered samples inside the encoders' time span (a reading
    is interpolated there, never extrapolated). With ``meta["dof"]``, N must
    match it.
    """
    def fail(msg: str) -> Exception:
        return error(f"{where}: {msg}")

    arrays = {}
    for k in ARRAYS:
        v = np.asarray(getattr(d, k))
        if k == "tracker_ok":
            if v.dtype != bool:
                raise fail(f"tracker_ok must be booleans; got dtype {v.dtype}")
        elif v.dtype.kind not in "fiu":
            raise fail(f"{k} must be real numbers; got dtype {v.dtype}")
        else:
            v = v.astype(float, copy=False)
        arrays[k] = v
        setattr(d, k, v)
    t, q, tt = arrays["t"], arrays["q"], arrays["tracker_t"]
    if t.ndim != 1 or t.size < 1:
        raise fail(f"t must be a non-empty (T,) array; got shape {t.shape}")
    if q.ndim != 2 or q.shape[0] != t.size or q.shape[1] < 1:
        raise fail(f"q must be (T, N) with T = {t.size} encoder times; got shape {q.shape}")
    if arrays["truth_q"].shape != q.shape:
        raise fail(f"truth_q must have q's shape {q.shape}; got {arrays['truth_q'].shape}")
    dof = d.meta.get("dof") if isinstance(d.meta, dict) else None
    if dof is not None and q.shape[1] != dof:
        raise fail(f"q has {q.shape[1]} joints; the dataset's arm has {dof}")
    m = tt.size
    if tt.ndim != 1:
        raise fail(f"tracker_t must be (M,); got shape {tt.shape}")
    for k, shape in (("tracker_x", (m, 3)), ("tracker_ok", (m,)), ("truth_tip", (m, 3))):
        if arrays[k].shape != shape:
            raise fail(f"{k} must be {shape} for {m} tracker times; got {arrays[k].shape}")
    if not (np.isfinite(t).all() and np.isfinite(q).all() and np.isfinite(tt).all()):
        raise fail("t, q and tracker_t must be finite")
    if t.size > 1 and not (np.diff(t) > 0).all():
        i = int(np.flatnonzero(np.diff(t) <= 0)[0])
        raise fail(f"encoder time must run forward; t[{i + 1}] = {t[i + 1]!r} after "
                   f"t[{i}] = {t[i]!r} (two runs joined?)")  # fmt: skip
    if m > 1 and not (np.diff(tt) >= 0).all():
        raise fail("tracker_t must not decrease (two runs joined?)")
    ok = arrays["tracker_ok"]
    if not np.isfinite(arrays["tracker_x"][ok]).all():
        raise fail("tracker_x must be finite at every delivered sample")
    span = (tt[ok] < t[0] - 1e-9) | (tt[ok] > t[-1] + 1e-9)
    if span.any():
        raise fail(f"{int(span.sum())} delivered tracker samples lie outside the encoder "
                   f"times [{t[0]:g}, {t[-1]:g}] s")  # fmt: skip


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
        meta = json.loads(meta_path.read_text())
        if not isinstance(meta, dict):
            raise ConfigError(f"{meta_path}: the metadata must be a mapping")
        digest = meta.pop(HASH_KEY, None)
        if digest is not None and digest != _sha256(path):
            raise ConfigError(f"{path} is not the file its metadata {meta_path.name} was "
                              "written with (changed, truncated or replaced)")  # fmt: skip
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in ARRAYS}
    except KeyError as exc:
        raise ConfigError(f"{path}: not a dataset, missing array {exc}") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise ConfigError(f"{path}: cannot read the dataset ({type(exc).__name__}: "
                          f"{str(exc)[:200]})") from None  # fmt: skip
    return _checked(arrays, meta, str(path))


def _checked(arrays: dict, meta: dict, where: str) -> Dataset:
    try:
        return Dataset(**arrays, meta=meta)
    except InputError as exc:
        raise ConfigError(str(exc).replace("dataset:", f"{where}:", 1)) from None


def metadata(real, kind: str, **extra) -> dict:
    """The metadata block of a dataset drawn from ``real``."""
    return {
        "kind": kind,
        "dof": real.nominal.dof,
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
