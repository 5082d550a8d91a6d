"""Controllers: operational-space (OSC), hybrid force/position, Cartesian impedance,
joint-space PD.

All take a Jacobian source following :mod:`armjac.protocols` and return joint
torques from ``generate(q, dq, target, ...)``. Each declares its scalar
parameters once (``OSC.parameters()``, :mod:`armjac.control.params`).
"""

from armjac.control.hybrid import HybridForceOSC
from armjac.control.impedance import CartesianImpedance
from armjac.control.joint_pd import JointPD
from armjac.control.model import ControlModel
from armjac.control.null_space import JointDamping, JointLimitAvoidance, RestingPosture
from armjac.control.orientation import as_quaternion, pose_target
from armjac.control.osc import OSC
from armjac.control.params import Param, ParamTable

__all__ = [
    "OSC",
    "HybridForceOSC",
    "CartesianImpedance",
    "JointPD",
    "ControlModel",
    "Param",
    "ParamTable",
    "as_quaternion",
    "pose_target",
    "JointDamping",
    "RestingPosture",
    "JointLimitAvoidance",
]
