"""Physics engines by name: the one place a simulator back end is added.

An engine is an :class:`~armjac.sim.arm_sim.ArmSim` subclass in its own module,
imported only when it is used, so a machine with MuJoCo and no PyBullet (or the
other way round) imports :mod:`armjac.sim` and runs the engine it has.

==========  =====================================  ===========
name        class                                  pip extra
==========  =====================================  ===========
pybullet    :class:`~armjac.sim.pybullet_sim.PyBulletSim`   ``sim``
mujoco      :class:`~armjac.sim.mujoco_sim.MujocoSim`       ``mujoco``
==========  =====================================  ===========

A new engine is one call::

    register_engine("my_engine", "my_package.my_sim:MySim", extra="my_extra")
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from armjac.errors import ConfigError
from armjac.extras import require

DEFAULT_ENGINE = "pybullet"


@dataclass(frozen=True)
class Engine:
    """A registered engine: where its ArmSim subclass lives and the extra it needs."""

    name: str
    target: str  # "module:Class"
    extra: str | None


_ENGINES: dict[str, Engine] = {}


def register_engine(name: str, target: str, extra: str | None = None) -> None:
    """Make ``engine=NAME`` (``ArmSim``, ``engine:`` in scenario files, ``--engine``) build
    the class ``target`` (``"module:Class"``, imported on first use).

    Parameters
    ----------
    name : str
        The engine's name.
    target : str
        ``"package.module:Class"`` of an :class:`~armjac.sim.arm_sim.ArmSim` subclass.
    extra : str, optional
        The pip extra (:data:`armjac.extras.EXTRAS`) that installs what it imports.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"an engine name must be an identifier; got {name!r}")
    if not isinstance(target, str) or target.count(":") != 1:
        raise ValueError(f"an engine target must be 'module:Class'; got {target!r}")
    _ENGINES[name] = Engine(name, target, extra)


def engine_names() -> tuple[str, ...]:
    """The registered engines, in registration order (the default first)."""
    return tuple(_ENGINES)


def check_engine(name: object, where: str = "engine") -> str:
    """``name`` if it is a registered engine; ConfigError naming the known ones otherwise."""
    if isinstance(name, str) and name in _ENGINES:
        return name
    raise ConfigError(f"{where}: unknown engine {name!r}; known: {', '.join(_ENGINES)}")


def engine_class(name: str) -> type:
    """The ArmSim subclass of engine ``name``, imported now.

    Raises
    ------
    ConfigError
        ``name`` is not a registered engine.
    MissingExtraError
        The engine's extra is not installed (the message names it).
    """
    entry = _ENGINES[check_engine(name)]
    if entry.extra is not None:
        require(entry.extra, f"the {name!r} engine")
    module, cls = entry.target.split(":")
    return getattr(importlib.import_module(module), cls)


register_engine("pybullet", "armjac.sim.pybullet_sim:PyBulletSim", extra="sim")
register_engine("mujoco", "armjac.sim.mujoco_sim:MujocoSim", extra="mujoco")
