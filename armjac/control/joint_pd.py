"""Joint-space PD with gravity compensation: the baseline controller."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from armjac.control.model import ControlModel
from armjac.control.params import Param, ParamTable
from armjac.errors import InputError
from armjac.validation import as_float_array, as_vector, excerpt


def check_joint_gains(name: str, value: object) -> np.ndarray:
    """A number or one number per joint, each finite and >= 0 (the length is checked later)."""
    arr = as_float_array(value, name)
    if arr.ndim > 1 or not (np.isfinite(arr).all() and (arr >= 0).all()):
        raise InputError(
            f"{name} must be a finite number >= 0 or one per joint; got {excerpt(value)}"
        )
    return arr


JOINT_PD_PARAMETERS = ParamTable(
    Param("kp", 100.0, ">= 0, scalar or one per joint", "joint stiffness, N·m/rad",
          check_joint_gains),
    Param("kv", None, ">= 0, scalar or one per joint (default: 2 sqrt(kp))",
          "joint damping, N·m·s/rad", check_joint_gains),
)  # fmt: skip
_P = JOINT_PD_PARAMETERS.default


class JointPD:
    """``u = kp (q_d - q) + kv (dq_d - dq) + g(q)``, clamped to the torque limits.

    Parameters
    ----------
    dynamics : object with ``mass_matrix``/``gravity`` (and ``fk``/``jacobian``)
        Usually the analytic ``Arm``.
    kp, kv : float or (N,) arrays
        Joint stiffness (N·m/rad) and damping (N·m·s/rad), finite and >= 0;
        ``kv`` defaults to ``2 sqrt(kp)``.
    torque_limits : (N,) array, optional
        Default: the model's ``effort_limits``.

    Raises
    ------
    InputError
        A gain that is not finite, negative, a string or of the wrong length.
    """

    PARAMETERS = JOINT_PD_PARAMETERS

    def __init__(
        self,
        dynamics,
        kp: float | Sequence[float] = _P("kp"),
        kv: float | Sequence[float] | None = _P("kv"),
        torque_limits=None,
    ):
        p = JOINT_PD_PARAMETERS.validate({"kp": kp, "kv": kv})
        self.model = ControlModel(dynamics, torque_limits=torque_limits)
        n = self.dof = self.model.dof
        self.kp = self._per_joint(p["kp"], "kp")
        self.kv = 2.0 * np.sqrt(self.kp) if p["kv"] is None else self._per_joint(p["kv"], "kv")
        self.torque_limits = self.model.torque_limits
        self._ones = np.ones(n)

    @classmethod
    def parameters(cls) -> ParamTable:
        """The controller's scalar parameters: name -> :class:`~armjac.control.params.Param`."""
        return cls.PARAMETERS

    def _per_joint(self, gains: np.ndarray, name: str) -> np.ndarray:
        if gains.ndim == 0:
            return np.full(self.dof, float(gains))
        if gains.shape != (self.dof,):
            raise InputError(
                f"{name} must be a number or {self.dof} numbers (one per joint); got {gains.size}"
            )
        return gains.copy()

    def generate(self, q, dq, target, target_velocity=None) -> np.ndarray:
        """Torques (N,) toward joint target ``target`` (N,) rad.

        Parameters
        ----------
        q, dq : (N,) arrays
            Joint positions and velocities.
        target : (N,) array
            Joint target, rad.
        target_velocity : (N,) array, optional
            Joint velocity target, rad/s (default zero).

        Returns
        -------
        (N,) array
            Finite torques within ``torque_limits``.

        Raises
        ------
        InputError
            An argument of the wrong shape, not numbers or not finite, or torques
            that overflow (the message names the inputs).
        """
        n = self.dof
        q, dq = as_vector(q, n, "q"), as_vector(dq, n, "dq")
        target = as_vector(target, n, "target")
        vel = -dq
        if target_velocity is not None:
            vel = as_vector(target_velocity, n, "target_velocity") - dq
        u = self.kp * (target - q) + self.kv * vel + self.model.gravity(q)
        if not math.isfinite(self._ones.dot(u)):
            raise InputError(
                f"the joint torques overflow: q={excerpt(q)}, dq={excerpt(dq)}, "
                f"target={excerpt(target)}"
            )
        lim = self.torque_limits
        return u if lim is None else np.minimum(np.maximum(u, -lim), lim)
