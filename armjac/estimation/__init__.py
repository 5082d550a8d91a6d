"""Estimation from joint torques: external torques, contact forces and wrenches, loads.

* :class:`MomentumObserver` -- external joint torques from ``q``, ``dq`` and the applied
  torques (the generalized-momentum observer), and the contact force or wrench they imply.
* :func:`identify_load` -- an unknown tool's or payload's mass and centre of mass from
  joint torques at static poses; :func:`design_load_poses` picks such poses.
"""

from armjac.estimation.load import LoadEstimate, design_load_poses, identify_load, load_regressor
from armjac.estimation.observer import MomentumObserver

__all__ = [
    "LoadEstimate",
    "MomentumObserver",
    "design_load_poses",
    "identify_load",
    "load_regressor",
]
