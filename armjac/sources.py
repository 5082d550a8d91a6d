"""Jacobian sources by name: the one place a name, a path or an object becomes a source.

A *source* is any object following :mod:`armjac.protocols` (``dof``, ``fk``,
``jacobian``, and optionally ``mass_matrix``/``gravity``). The CLI, the
scenarios and the comparison all turn what the user wrote into one here:

==================  ==========================================================
``"analytic"``      the analytic :class:`~armjac.arm.Arm` itself
``"pybullet"``      :class:`~armjac.sim.PyBulletModel` (PyBullet's own; ``sim`` extra)
a folder            a saved learned model (``armjac.learned.load``; ``learned`` extra)
``"KIND:ARG"``      the factory registered as ``KIND``, given ``ARG``
an object           used as it is (and left for the caller to close)
==================  ==========================================================

Other modules register their kinds when they are imported, this one knowing
none of them: ``adapt:RULE[:BASE]`` (:mod:`armjac.adapt.spec`), ``tool`` and
``calibrated`` (:mod:`armjac.mismatch.scenario`); :mod:`armjac.scenarios`
imports both.

A new kind is one call::

    register_source("calibrated", lambda arm, arg: CalibratedArm(arm, arg))
    resolve_source("calibrated:cal.yaml", arm)
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from armjac.errors import ConfigError, InputError
from armjac.protocols import has_dynamics

Factory = Callable[[object, "str | None"], object]
_FACTORIES: dict[str, Factory] = {}


def register_source(kind: str, factory: Factory) -> None:
    """Make ``kind`` (and ``"kind:ARG"``) name a source.

    Parameters
    ----------
    kind : str
        The name users write (``--jacobian KIND``, ``jacobian: KIND`` in a scenario).
    factory : callable(arm, arg) -> source
        Builds a new source for ``arm`` (the analytic arm the scenario runs on;
        None when there is none, as for ``armjac jacobian MODEL``). ``arg`` is
        the text after ``KIND:``, or None. A source it creates with a
        ``close()`` is closed by whoever resolved it.
    """
    if not isinstance(kind, str) or not kind or ":" in kind:
        raise ValueError(f"a source kind must be a non-empty name without ':'; got {kind!r}")
    if not callable(factory):
        raise TypeError(f"the factory for {kind!r} must be callable; got {factory!r}")
    _FACTORIES[kind] = factory


def source_kinds() -> tuple[str, ...]:
    """The registered kinds, in registration order."""
    return tuple(_FACTORIES)


def _analytic(arm, arg):
    if arm is None:
        raise ConfigError("the 'analytic' source needs an arm")
    return arm


def _pybullet(arm, arg):
    if arm is None:
        raise ConfigError("the 'pybullet' source needs an arm")
    from armjac.sim.pybullet_model import PyBulletModel

    return PyBulletModel(arm)  # its own DIRECT server: fk() resets joint states


def _learned(arm, arg):
    if not arg:
        raise ConfigError("the 'learned' source needs a model folder: 'learned:PATH'")
    from armjac.learned import load  # the ``learned`` extra; a clear ImportError otherwise

    return load(arg)


register_source("analytic", _analytic)
register_source("pybullet", _pybullet)
register_source("learned", _learned)


def _split(spec: str) -> tuple[str, str | None]:
    """``(kind, arg)`` of a source name; a folder on disk is a learned model."""
    if spec in _FACTORIES:
        return spec, None
    kind, sep, arg = spec.partition(":")
    if sep and kind in _FACTORIES:
        return kind, arg
    if Path(spec).is_dir():
        return "learned", spec
    raise ConfigError(
        f"unknown Jacobian source {spec!r}: use {', '.join(map(repr, _FACTORIES))}, "
        "'KIND:ARG', or the folder of a saved learned model"
    )


def make_source(spec: str | os.PathLike, arm=None) -> object:
    """A new source object for ``spec`` (a kind, ``KIND:ARG`` or a model folder).

    The caller owns the result (close it if it has ``close()``), unless it is ``arm``.
    """
    kind, arg = _split(os.fspath(spec))
    return _FACTORIES[kind](arm, arg)


@dataclass
class ResolvedSource:
    """A source ready for a controller.

    Attributes
    ----------
    source : object
        What the controller takes the Jacobian from.
    dynamics : object or None
        ``arm`` when ``source`` has no ``mass_matrix``/``gravity`` of its own.
    label : str
        Names the source in results (``analytic``, ``pybullet``, a path, a class name).
    owned : bool
        Whether ``close()`` releases ``source`` (it was created here).
    """

    source: object
    dynamics: object | None
    label: str
    owned: bool

    def close(self) -> None:
        """Release the source if it was created here (a PyBullet server, a loaded model)."""
        close = getattr(self.source, "close", None)
        if self.owned and callable(close):
            close()

    def __enter__(self) -> ResolvedSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def resolve_source(spec, arm) -> ResolvedSource:
    """Turn ``spec`` into a :class:`ResolvedSource` for ``arm``.

    Parameters
    ----------
    spec : None, str, path or object
        None means ``"analytic"``. A string or path is looked up as described in
        the module docstring; any other object is used as it is and stays the
        caller's to close.
    arm : Arm
        The analytic arm: the reference a source is checked against, and the
        dynamics for a source without them.

    Raises
    ------
    ConfigError
        An unknown name or a missing model folder.
    InputError
        A source for another arm or with another number of joints.
    """
    if spec is None:
        spec = "analytic"
    if isinstance(spec, str | os.PathLike):
        label = os.fspath(spec)
        source = make_source(spec, arm)
        owned = source is not arm
    else:
        source, label, owned = spec, type(spec).__name__, False
    resolved = ResolvedSource(source, None if has_dynamics(source) else arm, label, owned)
    try:
        _check(source, label, arm)
    except InputError:
        resolved.close()
        raise
    return resolved


def _check(source, label: str, arm) -> None:
    """Refuse a source made for another arm or with another number of joints."""
    trained_on = getattr(source, "arm_name", None)
    if isinstance(trained_on, str) and trained_on != arm.name:
        raise InputError(f"Jacobian source {label} models {trained_on!r}, not {arm.name!r}")
    dof = getattr(source, "dof", arm.dof)
    if dof != arm.dof:
        raise InputError(f"Jacobian source {label} has dof={dof}; {arm.name} has dof={arm.dof}")
