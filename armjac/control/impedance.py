"""Cartesian impedance control: the hand behaves as a spring and damper about its target.

With the pose error ``e`` (position, and orientation as a rotation vector) and the task
velocity ``xdot = J dq``::

    u = J^T (K e + D (xdot_d - xdot)) + C dq + g + (I - J^T J^{+T}) (-k_n dq)

``K`` (N/m, N·m/rad) and ``D`` (N·s/m, N·m·s/rad) are diagonal, per axis. Unlike the
OSC there is no inertia shaping and no force feedback: in contact the hand pushes with
``K e``, so a target 1 cm into a surface with 500 N/m along the normal presses 5 N, and
an unexpected obstacle meets a spring, not a position servo. With ``damping_ratio``
the damping follows the stiffness and the hand's task-space inertia
``Lambda = (J M^-1 J^T)^-1``: ``D_i = 2 zeta sqrt(K_i Lambda_ii)``, recomputed each step.

Stiffness and damping can change at every step (:meth:`CartesianImpedance.set_impedance`):
variable impedance, soft while approaching and stiff while tracking, or learned.
"""

from __future__ import annotations

import numpy as np

from armjac.control.linalg import damped_inverse_sym
from armjac.control.model import ControlModel
from armjac.control.orientation import orientation_error, pose_quat_tuple
from armjac.control.terms import has_bias
from armjac.errors import InputError
from armjac.validation import as_gains, as_vector, check_gain

# Eigenvalue of J M^-1 J^T below which the task inertia is damped (see control.linalg).
_LAMBDA_THRESHOLD = 1e-3


class CartesianImpedance:
    """A spring and damper between the hand and its target pose (module doc).

    Parameters
    ----------
    source
        Jacobian source (with 6 rows for orientation); dynamics from ``dynamics`` or itself.
    stiffness : float or 6 floats
        ``K`` per axis (x, y, z in N/m; rx, ry, rz in N·m/rad). Default 500 N/m, 50 N·m/rad.
        A light wrist at 1 kHz rings beyond a few hundred N·m/rad (400 diverges on kuka).
    damping : float or 6 floats, optional
        ``D`` per axis; default from ``damping_ratio``.
    damping_ratio : float
        ``zeta`` when ``damping`` is not given (default 1: critical).
    null_damping : float
        Joint damping in the task's null space, N·m·s/rad.
    dynamics, fk_source, link, point
        As for :class:`~armjac.control.model.ControlModel`.
    use_C : bool, optional
        Add ``C dq`` to the gravity compensation (default: when the dynamics give it).
    """

    def __init__(
        self,
        source,
        stiffness=(500.0, 500.0, 500.0, 50.0, 50.0, 50.0),
        damping=None,
        damping_ratio: float = 1.0,
        null_damping: float = 2.0,
        *,
        dynamics=None,
        fk_source="trusted",
        link: str | None = None,
        point=None,
        use_C: bool | None = None,
    ):
        self.model = ControlModel(source, dynamics, fk_source, link=link, point=point)
        self.dof = self.model.dof
        self.rows = 6 if self.model.task_rows == 6 and self.model.has_orientation else 3
        self.null_damping = check_gain("null_damping", null_damping, zero=True)
        if use_C is None:  # when the dynamics can give it
            use_C = self.model.fused or has_bias(self.model.dynamics)
        self._terms = self.model.terms(use_dJ=False, use_C=bool(use_C))
        self.stiffness = self.damping = None
        self.set_impedance(stiffness, damping, damping_ratio)

    def set_impedance(self, stiffness=None, damping=None, damping_ratio: float | None = None):
        """Change ``K``, ``D`` or ``zeta`` (any subset) from the next step on."""
        if stiffness is not None:
            k = as_gains(stiffness, 6, "stiffness", zero=True)
            self.stiffness = k[: self.rows].copy()
        if damping_ratio is not None:
            self.damping_ratio = check_gain("damping_ratio", damping_ratio, zero=True)
            self.damping = None
        if damping is not None:
            self.damping = as_gains(damping, 6, "damping", zero=True)[: self.rows].copy()

    def generate(self, q, dq, target, target_velocity=None, target_acceleration=None):
        """Joint torques (N,) pulling the hand towards ``target``.

        Parameters
        ----------
        q, dq : (N,) arrays
        target : (3,) position, or (7,) position + quaternion (x, y, z, w)
        target_velocity : (3,) or (6,) array, optional
            Feed-forward task velocity (linear, angular).
        target_acceleration : optional
            Accepted for the OSC's call signature and not used: an impedance shapes no
            inertia, so it has no acceleration feed-forward.
        """
        q = as_vector(q, self.dof, "q")
        dq = as_vector(dq, self.dof, "dq")
        target = as_vector(target, np.size(target), "target")
        if target.size not in (3, 7) or (self.rows == 6 and target.size != 7):
            need = "7 (position + quaternion)" if self.rows == 6 else "3 or 7"
            raise InputError(f"target must have {need} numbers; got {target.size}")
        t = self._terms(q, dq)
        jac = np.asarray(t.J)[: self.rows]
        err = np.empty(self.rows)
        err[:3] = target[:3] - np.asarray(t.x)[:3]
        if self.rows == 6:
            err[3:] = orientation_error(target[3:], pose_quat_tuple(t.T))
        xdot = jac @ dq
        vel = np.zeros(self.rows)
        if target_velocity is not None:
            v = as_vector(target_velocity, np.size(target_velocity), "target_velocity")
            vel[: min(v.size, self.rows)] = v[: self.rows]
        mass = np.asarray(t.M)
        damping = self.damping
        if damping is None:
            lam = damped_inverse_sym(jac @ np.linalg.solve(mass, jac.T), _LAMBDA_THRESHOLD)
            damping = 2.0 * self.damping_ratio * np.sqrt(self.stiffness * np.diag(lam))
        wrench = self.stiffness * err + damping * (vel - xdot)
        u = jac.T @ wrench + t.h
        if self.null_damping > 0:
            proj = np.eye(self.dof) - jac.T @ np.linalg.pinv(jac.T)
            u -= self.null_damping * (proj @ dq)
        if not np.isfinite(u).all():
            raise InputError("impedance torques are not finite: check the source and the state")
        return u
