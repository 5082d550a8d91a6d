"""Jacobian sources by name: ``analytic``, ``pybullet``, a learned model's path, or an object."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from armjac.errors import ConfigError, InputError
from armjac.protocols import has_dynamics


def load_learned(path: str | os.PathLike):
    """A learned model through ``armjac.learned.load(path)``, imported on first use."""
    try:
        learned = importlib.import_module("armjac.learned")
    except ImportError as exc:
        raise ConfigError(
            f"cannot load the learned model {os.fspath(path)!r}: armjac.learned is not "
            f"available ({exc})"
        ) from None
    load = getattr(learned, "load", None)
    if not callable(load):
        raise ConfigError(
            f"cannot load the learned model {os.fspath(path)!r}: armjac.learned has no load()"
        )
    return load(path)


def resolve_source(spec, arm) -> tuple[object, object | None, str, object | None]:
    """Turn ``spec`` into ``(source, dynamics, label, closer)`` for ``arm``.

    ``dynamics`` is ``arm`` when the source has no dynamics of its own (a
    learned model); ``closer`` is a callable releasing the source's resources
    (the PyBullet model's private server) or None.
    """
    if spec is None or spec == "analytic":
        return arm, None, "analytic", None
    if spec == "pybullet":
        from armjac.sim.pybullet_model import PyBulletModel

        model = PyBulletModel(arm)  # its own DIRECT server: fk() resets joint states
        return model, None, "pybullet", model.close
    if isinstance(spec, str | os.PathLike):
        path = Path(spec)
        if not path.exists():
            raise ConfigError(
                f"unknown Jacobian source {os.fspath(spec)!r}: use 'analytic', 'pybullet' or "
                "the path to a learned model"
            )
        source, label = load_learned(path), os.fspath(spec)
    else:
        source, label = spec, type(spec).__name__
    trained_on = getattr(source, "arm_name", None)
    if isinstance(trained_on, str) and trained_on != arm.name:
        raise InputError(f"Jacobian source {label} models {trained_on!r}, not {arm.name!r}")
    dof = getattr(source, "dof", arm.dof)
    if dof != arm.dof:
        raise InputError(f"Jacobian source {label} has dof={dof}; {arm.name} has dof={arm.dof}")
    dynamics = None if has_dynamics(source) else arm
    return source, dynamics, label, getattr(source, "close", None) if label != "analytic" else None
