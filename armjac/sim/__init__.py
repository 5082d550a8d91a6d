"""Simulation: a torque-controlled arm in PyBullet, and PyBullet as a Jacobian source.

* :class:`~armjac.sim.arm_sim.ArmSim` -- one arm in a PyBullet world
  (``connect``/``get_feedback``/``send_forces``/``disconnect``).
* :class:`~armjac.sim.pybullet_model.PyBulletModel` -- PyBullet's own
  fk/jacobian/mass_matrix/gravity behind the armjac numeric API.
"""

from armjac.extras import require

require("sim", "armjac.sim")  # before anything imports pybullet or matplotlib

from armjac.sim.arm_sim import ArmSim
from armjac.sim.pybullet_model import PyBulletModel

__all__ = ["ArmSim", "PyBulletModel"]
