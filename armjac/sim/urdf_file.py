"""The URDF file an engine loads for an arm, checked to hold the arm's model."""

from __future__ import annotations

import os

from armjac.arm import Arm
from armjac.errors import InputError


def urdf_for(arm: Arm) -> str:
    """The URDF file a simulator loads for ``arm``. An adjusted arm's file
    (``Arm.adjusted(..., source=)``) is written by its user, so it is checked to hold
    the arm's model: a simulator must never run another arm than the kernels."""
    path = arm.urdf_path
    if getattr(arm, "adjustment", None) is None:
        return path
    from armjac.model.urdf import load_urdf

    how = "write arm.model with armjac.model.urdf_write.write_urdf and pass its path as source="
    if not os.path.isfile(path):
        raise InputError(f"{arm.name} is an adjusted arm without a URDF file ({path}): {how}")
    if load_urdf(path) != arm.model:
        raise InputError(f"{path} does not hold the adjusted model of {arm.name}: {how}")
    return path
