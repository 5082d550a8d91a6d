"""Parametric kinematic calibration: the classical alternative to learning.

``calibrate(nominal, q, x, point=None)`` identifies joint-origin offsets, joint
zero offsets and the tool point by Levenberg-Marquardt on the symbolic model
(derivatives from sympy); ``result.arm.position(q, point=result.point)``
predicts the tip and ``result.write_urdf(path)`` writes the calibrated URDF.
``joint_errors=True`` also identifies encoder eccentricity and gravity deflection
(:mod:`armjac.calibration.joint_errors`; the arm is then a :class:`JointErrorArm`).
"""

from armjac.calibration.calibrate import CalibrationResult, calibrate
from armjac.calibration.joint_errors import JointErrorArm
from armjac.calibration.kinematics import ChainModel
from armjac.calibration.offset_arm import OffsetArm

__all__ = ["CalibrationResult", "ChainModel", "JointErrorArm", "OffsetArm", "calibrate"]
