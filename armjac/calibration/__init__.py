"""Kinematic calibration: the classical alternative to learning.

``calibrate(nominal, q, x, point=None)`` identifies a complete, minimal set of kinematic
parameters (the measurement frame, every joint's origin, axis orientation and zero
offset, the tool; :mod:`armjac.calibration.chain`) from joint readings and measured tool
positions or poses, with a robust loss and an identifiability report
(:mod:`armjac.calibration.identify`). ``result.predict(q)`` predicts the tip and
``result.write_urdf(path)`` writes the calibrated URDF. ``joint_errors=True`` also
identifies encoder eccentricity and gravity deflection
(:mod:`armjac.calibration.joint_errors`). :func:`design_poses` picks configurations that
identify the parameters well.
"""

from armjac.calibration import identify
from armjac.calibration.calibrate import CalibrationResult, calibrate
from armjac.calibration.calibrated_arm import CalibratedArm
from armjac.calibration.chain import KinematicModel
from armjac.calibration.design import design_poses
from armjac.calibration.identify import CONDITION_WARNING, IdentifiabilityWarning

__all__ = ["CONDITION_WARNING", "CalibratedArm", "CalibrationResult", "IdentifiabilityWarning",
           "KinematicModel", "calibrate", "design_poses", "identify"]
