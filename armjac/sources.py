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
    learned model); ``closer`` releases what this function created (the
    PyBullet model's private server, a learned model it loaded) and is None
    for a source object the caller passed in: that one stays the caller's to
    close.
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
        close = getattr(source, "close", None)
        closer = close if callable(close) else None
    else:
        source, label, closer = spec, type(spec).__name__, None
    try:
        trained_on = getattr(source, "arm_name", None)
        if isinstance(trained_on, str) and trained_on != arm.name:
            raise InputError(f"Jacobian source {label} models {trained_on!r}, not {arm.name!r}")
        dof = getattr(source, "dof", arm.dof)
        if dof != arm.dof:
            raise InputError(f"Jacobian source {label} has dof={dof}; {arm.name} has dof={arm.dof}")
    except InputError:
        if closer is not None:
            closer()
        raise
    dynamics = None if has_dynamics(source) else arm
    return source, dynamics, label, closer
