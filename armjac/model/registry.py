"""Where arms come from: bundled names, URDF paths and YAML arm configs.

A YAML arm config (``configs/arms/*.yaml``) looks like::

    name: kuka_iiwa
    urdf: pybullet_data:kuka_iiwa/model.urdf   # or a path relative to this file
    ee_link: lbr_iiwa_link_7
    home: [0, 0.5, 0, -1.2, 0, 0.8, 0]         # optional resting posture

``pybullet_data:`` resolves inside the ``pybullet_data`` package, which ships
the bundled robot descriptions offline.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from armjac import configs
from armjac.errors import ConfigError
from armjac.model.tree import STANDARD_GRAVITY


@dataclass(frozen=True)
class ArmSpec:
    """A resolved arm description."""

    name: str
    urdf: Path
    ee_link: str | None = None
    home: tuple[float, ...] | None = None
    gravity: tuple[float, float, float] = STANDARD_GRAVITY
    source: str = ""


def bundled_arms() -> list[str]:
    """Names of the arms shipped in ``configs/arms``."""
    return configs.bundled("arms")


def _pybullet_data(name: str) -> Path:
    """``pybullet_data``'s copy of ``name`` (with meshes, for the simulator) when
    PyBullet is installed, else the verbatim copy of the URDF bundled in
    ``configs/arms/pybullet_data`` (kinematics and dynamics need no meshes)."""
    try:
        import pybullet_data
    except ImportError:
        return configs.folder("arms") / "pybullet_data" / name
    return Path(pybullet_data.getDataPath()) / name


def _resolve_urdf(ref: str, relative_to: Path) -> Path:
    if ref.startswith("pybullet_data:"):
        return _pybullet_data(ref.split(":", 1)[1])
    path = Path(ref)
    return path if path.is_absolute() else (relative_to / path)


def load_arm_config(path: str | os.PathLike) -> ArmSpec:
    """Read an arm YAML file into an :class:`ArmSpec`.

    ``urdf`` is required: a path relative to the YAML's folder, an absolute path,
    or ``pybullet_data:FILE``. ``name`` defaults to the file's stem.

    Raises
    ------
    ConfigError
        When the file cannot be read or parsed, or a key is unknown or malformed.
    """
    path = Path(path)
    cfg = configs.Reader(configs.read_mapping(path, "arm config"), str(path))
    cfg.check_keys({"name", "urdf", "ee_link", "home", "gravity", "description"})
    urdf = cfg.string("urdf", ...)
    home = cfg.vector("home")
    gravity = cfg.vector("gravity", 3, list(STANDARD_GRAVITY))
    return ArmSpec(
        name=cfg.string("name", path.stem),
        urdf=_resolve_urdf(urdf, path.parent),
        ee_link=cfg.string("ee_link"),
        home=None if home is None else tuple(home),
        gravity=tuple(gravity),
        source=str(path),
    )


def resolve(spec: str | os.PathLike) -> ArmSpec:
    """Turn a bundled name, a URDF path or a YAML path into an :class:`ArmSpec`."""
    text = os.fspath(spec)
    bundled = configs.bundled_path("arms", text)
    if bundled is not None:
        return load_arm_config(bundled)
    path = Path(text)
    if path.suffix.lower() in (".yaml", ".yml"):
        return load_arm_config(path)
    if path.suffix.lower() == ".urdf" or path.is_file():
        return ArmSpec(name=path.stem, urdf=path, source=str(path))
    raise ConfigError(
        f"unknown arm {text!r}: not a bundled arm ({', '.join(bundled_arms())}) "
        "nor a path to a .urdf or .yaml file"
    )
