"""An arm with joint zero offsets: the corrected arm a calibration returns.

``OffsetArm(arm, offsets)`` evaluates ``arm`` at ``q + offsets``: a reading of
``q`` is the kinematic angle ``q + offsets``. Kept as a shift of ``q`` rather
than written into the joint origins' rotations because that keeps the origins'
right angles exact, so the corrected arm's kernels generate as fast as the
nominal's; :meth:`OffsetArm.write_urdf` folds the offsets into the rotations
when a URDF file is wanted.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np

from armjac.errors import InputError


def _axis_angle(axis, angle: float) -> np.ndarray:
    a = np.asarray(axis, float)
    k = np.array([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * (k @ k)


def _rpy(rot: np.ndarray) -> tuple[float, float, float]:
    """URDF roll-pitch-yaw of ``rot`` = Rz(yaw) Ry(pitch) Rx(roll)."""
    pitch = float(np.arcsin(np.clip(-rot[2, 0], -1.0, 1.0)))
    if abs(rot[2, 0]) < 1 - 1e-12:
        return (
            float(np.arctan2(rot[2, 1], rot[2, 2])),
            pitch,
            float(np.arctan2(rot[1, 0], rot[0, 0])),
        )
    return float(np.arctan2(-rot[1, 2], rot[1, 1])), pitch, 0.0  # gimbal lock: yaw folded in roll


class OffsetArm:
    """``arm`` evaluated at ``q + offsets``; the numeric API of :class:`~armjac.arm.Arm`.

    Parameters
    ----------
    arm : Arm
        The chain (with corrected joint origins).
    offsets : (N,) array
        Joint zero offsets, rad (prismatic: m).
    """

    def __init__(self, arm, offsets):
        offsets = np.asarray(offsets, float)
        if offsets.shape != (arm.dof,) or not np.isfinite(offsets).all():
            raise InputError(f"offsets must be {arm.dof} finite numbers; got {offsets}")
        self.base = arm
        self.offsets = offsets
        for name in (
            "dof",
            "joint_names",
            "joints",
            "joint_limits",
            "effort_limits",
            "velocity_limits",
            "joint_damping",
            "home",
            "ee_link",
            "gravity_vector",
            "model",
            "spec",
            "link_names",
            "backend",
        ):
            setattr(self, name, getattr(arm, name))
        self.name = f"{arm.name}-calibrated"

    def __repr__(self) -> str:
        return f"OffsetArm({self.base!r}, max |offset| {np.abs(self.offsets).max():.3g})"

    @property
    def urdf_path(self) -> str:
        """The URDF of the base chain (without the offsets; see :meth:`write_urdf`)."""
        return self.base.urdf_path

    def _q(self, q) -> np.ndarray:
        return np.asarray(q, float) + self.offsets

    def fk(self, q, link=None):
        """4x4 world transform of ``link`` at the readings ``q``."""
        return self.base.fk(self._q(q), link)

    def position(self, q, link=None, point=None):
        """World position of ``point`` on ``link`` at the readings ``q``."""
        return self.base.position(self._q(q), link, point)

    def jacobian(self, q, link=None, point=None):
        """6xN geometric Jacobian at the readings ``q`` (d/dq of a shift is the identity)."""
        return self.base.jacobian(self._q(q), link, point)

    def dJdq(self, q, dq, link=None, point=None):
        """dJ/dt dq at the readings ``q``."""
        return self.base.dJdq(self._q(q), dq, link, point)

    def mass_matrix(self, q):
        """M at the readings ``q``."""
        return self.base.mass_matrix(self._q(q))

    def gravity(self, q):
        """g at the readings ``q``."""
        return self.base.gravity(self._q(q))

    def random_q(self, n=None, rng=None, margin: float = 0.0):
        """Uniform readings within the joint limits (as :meth:`Arm.random_q`)."""
        return self.base.random_q(n, rng, margin)

    def sample_bounds(self, margin: float = 0.0):
        """Joint sampling bounds (as :meth:`Arm.sample_bounds`)."""
        return self.base.sample_bounds(margin)

    def folded_model(self):
        """The base RobotModel with each offset folded into its joint origin's rotation."""
        from armjac.model.tree import RobotModel
        from armjac.symbolic.transforms import rpy_matrix_numeric

        index = {n: i for i, n in enumerate(self.joint_names)}
        joints = []
        for j in self.model.joints:
            i = index.get(j.name)
            if i is not None and self.offsets[i]:
                if j.type == "prismatic":
                    shift = np.asarray(j.axis) * self.offsets[i]
                    xyz = np.asarray(j.xyz) + rpy_matrix_numeric(j.rpy) @ shift
                    j = dataclasses.replace(j, xyz=tuple(float(v) for v in xyz))
                else:
                    rot = rpy_matrix_numeric(j.rpy) @ _axis_angle(j.axis, self.offsets[i])
                    j = dataclasses.replace(j, rpy=_rpy(rot))
            joints.append(j)
        name = f"{self.model.name}_calibrated"
        return RobotModel(name, self.model.links, tuple(joints), source=f"<{name}>")

    def write_urdf(self, path: str | os.PathLike) -> Path:
        """Write the calibrated chain (offsets folded into the origins) as a URDF file."""
        from armjac.model.urdf_write import write_urdf

        return write_urdf(self.folded_model(), path)
