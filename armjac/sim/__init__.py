"""Simulation: a torque-controlled arm in PyBullet or MuJoCo, and each engine as a
Jacobian source.

* :class:`~armjac.sim.arm_sim.ArmSim` -- one arm in a physics engine
  (``connect``/``get_feedback``/``send_forces``/``disconnect``);
  ``ArmSim(arm, engine="mujoco")`` picks the engine (:mod:`armjac.sim.engines`).
* :class:`~armjac.sim.pybullet_model.PyBulletModel` and
  :class:`~armjac.sim.mujoco_model.MujocoModel` -- each engine's own
  fk/jacobian/mass_matrix/gravity behind the armjac numeric API.

Needs the ``sim`` extra (PyBullet) or the ``mujoco`` extra (MuJoCo); an engine
whose extra is missing names it when it is asked for.
"""

from armjac.extras import require_any

require_any(("sim", "mujoco"), "armjac.sim")  # before anything imports an engine

from armjac.sim.arm_sim import ArmSim  # noqa: E402
from armjac.sim.engines import engine_names, register_engine  # noqa: E402
from armjac.sources import register_source  # noqa: E402

__all__ = ["ArmSim", "MujocoModel", "PyBulletModel", "engine_names", "register_engine"]

_LAZY = {  # imported on first use: each needs its own engine's extra
    "PyBulletModel": ("armjac.sim.pybullet_model", "sim"),
    "MujocoModel": ("armjac.sim.mujoco_model", "mujoco"),
}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'armjac.sim' has no attribute {name!r}")
    import importlib

    from armjac.extras import require

    module, extra = _LAZY[name]
    require(extra, f"armjac.sim.{name}")
    return getattr(importlib.import_module(module), name)


def _mujoco_source(arm, arg):
    from armjac.errors import ConfigError

    if arm is None:
        raise ConfigError("the 'mujoco' source needs an arm")
    return __getattr__("MujocoModel")(arm)


register_source("mujoco", _mujoco_source)  # MuJoCo's own kinematics beside "pybullet"
