"""Joint-space PD with gravity compensation: the baseline controller."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from armjac.control.model import ControlModel
from armjac.errors import InputError


class JointPD:
    """``u = kp (q_d - q) + kv (dq_d - dq) + g(q)``, clamped to the torque limits.

    Parameters
    ----------
    dynamics : object with ``mass_matrix``/``gravity`` (and ``fk``/``jacobian``)
        Usually the analytic ``Arm``.
    kp, kv : float or (N,) arrays
        Joint stiffness (N·m/rad) and damping (N·m·s/rad); ``kv`` defaults to
        ``2 sqrt(kp)``.
    torque_limits : (N,) array, optional
        Default: the model's ``effort_limits``.
    """

    def __init__(
        self,
        dynamics,
        kp: float | Sequence[float] = 100.0,
        kv: float | Sequence[float] | None = None,
        torque_limits=None,
    ):
        self.model = ControlModel(dynamics, torque_limits=torque_limits)
        n = self.dof = self.model.dof
        self.kp = np.broadcast_to(np.asarray(kp, dtype=float), (n,)).copy()
        self.kv = (
            2.0 * np.sqrt(self.kp)
            if kv is None
            else np.broadcast_to(np.asarray(kv, dtype=float), (n,)).copy()
        )
        if (self.kp < 0).any() or (self.kv < 0).any():
            raise InputError(f"kp and kv must be non-negative; got {self.kp}, {self.kv}")
        self.torque_limits = self.model.torque_limits

    def generate(self, q, dq, target, target_velocity=None) -> np.ndarray:
        """Torques (N,) toward joint target ``target`` (N,) rad."""
        q = np.asarray(q, dtype=float)
        dq = np.asarray(dq, dtype=float)
        target = np.asarray(target, dtype=float)
        n = self.dof
        if q.shape != (n,) or dq.shape != (n,) or target.shape != (n,):
            raise InputError(
                f"q, dq and target must have shape ({n},); got {q.shape}, {dq.shape}, "
                f"{target.shape}"
            )
        vel = -dq if target_velocity is None else np.asarray(target_velocity, dtype=float) - dq
        u = self.kp * (target - q) + self.kv * vel + self.model.gravity(q)
        if not np.isfinite(u).all():
            raise InputError(f"non-finite torques from q={q}, dq={dq}, target={target}")
        lim = self.torque_limits
        return u if lim is None else np.minimum(np.maximum(u, -lim), lim)
