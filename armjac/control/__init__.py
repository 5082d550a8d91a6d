"""Controllers: operational-space (OSC), hybrid force/position, joint-space PD.

All take a Jacobian source following :mod:`armjac.protocols` and return joint
torques from ``generate(q, dq, target, ...)``.
"""

from armjac.control.hybrid import HybridForceOSC
from armjac.control.joint_pd import JointPD
from armjac.control.model import ControlModel
from armjac.control.null_space import JointDamping, JointLimitAvoidance, RestingPosture
from armjac.control.osc import OSC

__all__ = [
    "OSC",
    "HybridForceOSC",
    "JointPD",
    "ControlModel",
    "JointDamping",
    "RestingPosture",
    "JointLimitAvoidance",
]
