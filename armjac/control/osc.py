"""Khatib's operational-space controller.

With task Jacobian ``J`` (the controlled rows), joint-space inertia ``M`` and
gravity ``g``::

    Mx = (J M^-1 J^T)^-1                       task-space inertia
    u  = J^T Mx (kp e - kv (xdot - xdot_d) + xddot_d - dJ dq) + g + M P qdd_null

``e`` stacks the position error and the orientation error (a rotation vector
from quaternions). ``M^-1 J^T`` comes from one solve; ``Mx`` from one
symmetric eigendecomposition, damped near singularities
(:func:`~armjac.control.linalg.damped_inverse_sym`).

``qdd_null`` is the sum of the null-space tasks' joint accelerations and ``P``
a projector onto the null space of ``J`` (``J P = 0``), so ``J M^-1 M P qdd =
0``: the null-space torque never accelerates the task, whichever ``P``. Two
choices (``null_metric``):

* ``"joint"`` (default): ``P = I - J^T (J J^T)^-1 J``, the null-space
  acceleration closest to ``qdd_null`` with every joint weighted alike.
* ``"inertia"``: ``P = I - Jbar J`` with ``Jbar = M^-1 J^T Mx``, Khatib's
  dynamically consistent projector (``M P = (I - J^T Jbar^T) M``), closest in
  the kinetic-energy metric ``M``.

The inertia metric counts an acceleration of a light joint as cheap, so it
gives up most of what a posture task asks of a light wrist: with only the
position controlled on a 7-joint arm, the wrist then drifts freely with the
task motion (into its joint limits). The joint metric keeps the posture.

The task velocity ``xdot`` is ``J dq`` when ``J`` is the derivative of the
pose sensor's kinematics. When it is not (an approximate Jacobian, the pose
measured elsewhere), ``J dq`` is off by ``(J - J_true) dq``: while the null
space still moves, the damping then pushes the hand against a velocity it does
not have, an error of about ``kv / kp |(J - J_true) dq|``. The controller then
differentiates the measured pose over the last period instead
(``task_velocity``). A source without ``dJdq`` gets ``dJ dq`` from the change of
its Jacobian over the last period. Both assume one ``generate`` call per ``dt``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from armjac.control.linalg import damped_inverse_sym, solve_spd
from armjac.control.model import ControlModel
from armjac.control.orientation import orientation_error, quat_tuple
from armjac.errors import InputError
from armjac.validation import as_float_array, check_finite, check_gain

POSITION_DOF = (True, True, True, False, False, False)
NULL_METRICS = ("joint", "inertia")
TASK_VELOCITIES = ("auto", "jacobian", "sensor")
# Eigenvalue of J J^T (a squared singular value of J) below which the joint-metric
# projector is damped: exact down to 1 mm/rad, bounded at a singularity.
_PROJECTION_THRESHOLD = 1e-6


def _dof_mask(ctrlr_dof: Sequence[bool] | None) -> np.ndarray:
    mask = np.asarray(POSITION_DOF if ctrlr_dof is None else ctrlr_dof, dtype=bool)
    if mask.shape != (6,) or not mask.any():
        raise InputError(
            "ctrlr_dof must be 6 booleans (x, y, z, roll, pitch, yaw), at least one True; "
            f"got {ctrlr_dof!r}"
        )
    return mask


class _Step:
    """The measurements and checked inputs of one control step."""

    __slots__ = ("q", "dq", "e", "xdot", "djdq", "vel", "acc", "jac", "minv_jt", "mx", "mass")

    def __init__(self, q, dq, e, xdot, djdq, vel, acc, jac, minv_jt, mx, mass):
        self.q, self.dq, self.e, self.xdot, self.djdq = q, dq, e, xdot, djdq
        self.vel, self.acc = vel, acc
        self.jac, self.minv_jt, self.mx, self.mass = jac, minv_jt, mx, mass


class OSC:
    """Operational-space controller over any Jacobian source.

    Parameters
    ----------
    source : object with ``fk`` and ``jacobian``
        The Jacobian source: an ``Arm``, a ``PyBulletModel``, a learned model.
    kp : float
        Position stiffness, 1/s^2 (the task behaves as a unit mass).
    ko : float, optional
        Orientation stiffness (default ``kp``).
    kv, kvo : float, optional
        Position and orientation damping (default critical: ``2 sqrt(kp)``).
    ki : float
        Integral gain on the task error, 1/s^3 (0: none). Removes steady-state
        errors from unmodelled loads; the integral is clamped to
        ``integral_limit`` (m or rad·s) per axis.
    ctrlr_dof : 6 booleans, optional
        Which of (x, y, z, rx, ry, rz) are controlled; default position only.
    null_controllers : sequence
        Objects with ``generate(q, dq) -> qdd`` (see :mod:`armjac.control.null_space`).
    null_metric : {"joint", "inertia"}
        Metric of the projection of the null-space accelerations onto the null
        space of the task (see the module docstring).
    task_velocity : {"auto", "jacobian", "sensor"}
        ``xdot`` from ``J dq``, or from the measured pose differenced over the
        last period; ``auto``: the sensor when the pose is not measured by the
        Jacobian source itself (see the module docstring).
    vmax : float or (float, float), optional
        Task-speed limits (m/s, rad/s) on the motion the gains ask for.
    use_dJ : bool
        Subtract ``dJ/dt dq``: the source's ``dJdq``, or, when it has none, the
        change of its Jacobian over the last period times ``dq``.
    use_g : bool
        Add gravity compensation.
    dynamics : object with ``mass_matrix`` and ``gravity``, optional
        Dynamics when the source has none (see :class:`ControlModel`).
    fk_source : {"trusted", "source"} or object
        Where the end-effector pose is measured (see :class:`ControlModel`).
    torque_limits : (N,) array, optional
        Torque clamp; default the sources' ``effort_limits``.
    singular_threshold : float
        Eigenvalue of ``J M^-1 J^T`` below which ``Mx`` is damped.
    dt : float
        Control period, s (for the integral term).
    """

    def __init__(
        self,
        source,
        kp: float = 100.0,
        ko: float | None = None,
        kv: float | None = None,
        kvo: float | None = None,
        ki: float = 0.0,
        ctrlr_dof: Sequence[bool] | None = None,
        null_controllers: Sequence = (),
        vmax: float | Sequence[float] | None = None,
        use_dJ: bool = True,
        use_g: bool = True,
        *,
        dynamics=None,
        fk_source="trusted",
        torque_limits=None,
        singular_threshold: float = 1e-3,
        dt: float = 1e-3,
        integral_limit: float = 0.05,
        null_metric: str = "joint",
        task_velocity: str = "auto",
    ):
        self.model = ControlModel(source, dynamics, fk_source, torque_limits)
        self.dof = self.model.dof
        self.mask = _dof_mask(ctrlr_dof)
        if self.mask[3:].any() and (self.model.task_rows < 6 or not self.model.has_orientation):
            raise InputError(
                "orientation control needs a source with a 6-row Jacobian and a pose sensor "
                f"with a 4x4 fk; {self.model!r} is position-only: use ctrlr_dof with the "
                "last three False"
            )
        self.rows = np.flatnonzero(self.mask)
        self._orient = bool(self.mask[3:].any())
        # The error vector has 6 entries with orientation, 3 without.
        self._all_error_rows = self.rows.size == (6 if self._orient else 3)
        self._all_rows = self.rows.size == self.model.task_rows
        self.n_lin = int(self.mask[:3].sum())
        kp = check_gain("kp", kp, zero=True)
        ko = kp if ko is None else check_gain("ko", ko, zero=True)
        # kv > 0: the speed limit divides by it, and an undamped task oscillates.
        kv = 2.0 * np.sqrt(kp) if kv is None else check_gain("kv", kv)
        kvo = 2.0 * np.sqrt(ko) if kvo is None else check_gain("kvo", kvo)
        if min(kv, kvo) <= 0:
            raise InputError(
                f"kv and kvo must be > 0 (their default 2 sqrt(kp) is 0 when kp is 0); "
                f"got kv={kv}, kvo={kvo}"
            )
        self.kp, self.ko, self.kv, self.kvo = kp, ko, kv, kvo
        self._kp = np.array([kp] * 3 + [ko] * 3)[self.rows]
        self._kv = np.array([kv] * 3 + [kvo] * 3)[self.rows]
        self.ki = check_gain("ki", ki, zero=True)
        self.integral_limit = check_gain("integral_limit", integral_limit)
        self.dt = check_gain("dt", dt)
        self.null_controllers = list(null_controllers)
        if null_metric not in NULL_METRICS:
            raise InputError(f"null_metric must be one of {NULL_METRICS}; got {null_metric!r}")
        self.null_metric = null_metric
        self.vmax = self._vmax(vmax)
        self.use_dJ = bool(use_dJ)
        if task_velocity not in TASK_VELOCITIES:
            raise InputError(
                f"task_velocity must be one of {TASK_VELOCITIES}; got {task_velocity!r}"
            )
        if task_velocity == "auto":
            task_velocity = "jacobian" if self.model.fk_source is self.model.source else "sensor"
        self.task_velocity = task_velocity
        self.use_g = bool(use_g)
        self.singular_threshold = check_gain("singular_threshold", singular_threshold)
        self.torque_limits = self.model.torque_limits
        self._integral = np.zeros(self.rows.size)
        self.error = np.zeros(self.rows.size)  # task error of the last step (controlled rows)
        self._last: tuple | None = None  # (position, quaternion, J) of the previous step

    @staticmethod
    def _vmax(vmax) -> np.ndarray | None:
        if vmax is None:
            return None
        v = np.atleast_1d(as_float_array(vmax, "vmax"))
        if v.size == 1:
            v = np.array([v[0], np.inf])
        if v.shape != (2,) or not (v > 0).all():  # also refuses NaN
            raise InputError(f"vmax must be a positive speed or (linear, angular); got {vmax!r}")
        return v

    def reset(self) -> None:
        """Clear the state: the integral and the previous step's pose and Jacobian."""
        self._integral[:] = 0.0
        self._last = None

    # -- helpers -----------------------------------------------------------------------
    def _state(self, q, dq) -> tuple[np.ndarray, np.ndarray]:
        q = np.asarray(q, dtype=float)
        dq = np.asarray(dq, dtype=float)
        n = self.dof
        if q.shape != (n,) or dq.shape != (n,):
            raise InputError(f"q and dq must have shape ({n},); got {q.shape} and {dq.shape}")
        if not (np.isfinite(q).all() and np.isfinite(dq).all()):
            raise InputError(f"q and dq must be finite; got q={q}, dq={dq}")
        return q, dq

    def _task_vector(self, v, what: str) -> np.ndarray:
        """A velocity/acceleration target of length 3 (linear) or 6, as controlled rows."""
        v = as_float_array(v, what)
        if v.shape == (3,):
            v = np.concatenate((v, np.zeros(3)))
        elif v.shape != (6,):
            raise InputError(
                f"{what} must have 3 (linear) or 6 (linear, angular) values; got shape {v.shape}"
            )
        check_finite(v, what)
        return v[self.rows]

    def _target(self, target) -> np.ndarray:
        """``target`` checked: a finite (7,) pose, or (3,) position when only that is controlled."""
        target = as_float_array(target, "target")
        if self._orient:
            if target.shape != (7,):
                raise InputError(
                    "orientation is controlled: target must be position + quaternion (x, y, z, "
                    f"w), 7 values; got shape {target.shape}"
                )
        elif target.shape not in ((3,), (7,)):
            raise InputError(
                f"target must be a position (3,) or position + quaternion (7,); "
                f"got shape {target.shape}"
            )
        check_finite(target, "target")
        return target

    def task_error(self, q: np.ndarray, target) -> np.ndarray:
        """Error (controlled rows) between ``target`` and the pose measured at ``q``.

        ``target`` is a position (3,) or position + quaternion xyzw (7,).
        """
        pose = self.model.fk(q)
        quat = quat_tuple(pose[:3, :3]) if self._orient else None
        return self._error(pose, quat, self._target(target))

    def _error(self, pose: np.ndarray, quat, target: np.ndarray) -> np.ndarray:
        """:meth:`task_error` from the measured ``pose`` (4x4, or (3,) position).

        ``quat`` is the pose's quaternion when orientation is controlled.
        """
        if self._orient:
            ori = orientation_error(target[3:].tolist(), quat)
            err = np.concatenate((target[:3] - pose[:3, 3], ori))
        else:
            err = target[:3] - (pose[:3, 3] if pose.ndim == 2 else pose)
        if not math.isfinite(float(err.sum())):
            raise InputError(f"the measured end-effector pose is not finite: {pose}")
        return err if self._all_error_rows else err[self.rows]

    # -- the law -------------------------------------------------------------------------
    def _accel(self, e, xdot, target_velocity, target_acceleration) -> np.ndarray:
        """Commanded task acceleration from the PD(+I) law, before dJ dq.

        ``target_velocity`` and ``target_acceleration`` are checked controlled
        rows (:meth:`_task_vector`) or None.
        """
        vel_err = -xdot if target_velocity is None else target_velocity - xdot
        if self.vmax is None:
            a = self._kp * e + self._kv * vel_err
        else:
            # Cap the speed the stiffness asks for, then track it with the damping.
            v = (self._kp / self._kv) * e
            nl = self.n_lin
            for part, limit in ((slice(0, nl), self.vmax[0]), (slice(nl, None), self.vmax[1])):
                speed = np.sqrt(v[part] @ v[part])
                if speed > limit:
                    v[part] *= limit / speed
            a = self._kv * (v + vel_err)
        if self.ki:
            lim = self.integral_limit
            self._integral = np.minimum(np.maximum(self._integral + e * self.dt, -lim), lim)
            a += self.ki * self._integral
        if target_acceleration is not None:
            a += target_acceleration
        return a

    def _dynamics(self, q):
        """J (controlled rows), M^-1 J^T, Mx, M and g at q."""
        m = self.model
        jac = m.jacobian(q)
        if not self._all_rows:
            jac = jac[self.rows]
        mass = m.mass_matrix(q)
        minv_jt = solve_spd(mass, jac.T)
        mx = damped_inverse_sym(jac @ minv_jt, self.singular_threshold)
        return jac, minv_jt, mx, mass

    def _rates(self, pose, quat, q, dq, jac) -> tuple[np.ndarray, np.ndarray | None]:
        """Task velocity (controlled rows) and ``dJ dq`` (None: not subtracted)."""
        position = pose[:3, 3] if pose.ndim == 2 else pose
        last, self._last = self._last, (position, quat, jac)
        djdq = None
        if self.use_dJ:
            if self.model.dJdq is not None:
                djdq = self._djdq(q, dq)
            elif last is not None:
                djdq = ((jac - last[2]) @ dq) / self.dt
        if self.task_velocity == "jacobian" or last is None:
            return jac @ dq, djdq
        xdot = (position - last[0]) / self.dt
        if self._orient:
            # Rotation over the last period, world frame: log(R_now R_last^T) / dt.
            xdot = np.concatenate((xdot, orientation_error(quat, last[1]) / self.dt))
        return xdot[self.rows], djdq

    def _step(self, q, dq, target, target_velocity, target_acceleration) -> _Step:
        """What every control law needs at one step, with all inputs checked first.

        Nothing is measured, and no state changes, until every argument has
        passed its checks.
        """
        q, dq = self._state(q, dq)
        target = self._target(target)
        vel = acc = None
        if target_velocity is not None:
            vel = self._task_vector(target_velocity, "target_velocity")
        if target_acceleration is not None:
            acc = self._task_vector(target_acceleration, "target_acceleration")
        pose = self.model.fk(q)
        quat = quat_tuple(pose[:3, :3]) if self._orient else None  # once per step: hot path
        e = self._error(pose, quat, target)
        self.error = e
        jac, minv_jt, mx, mass = self._dynamics(q)
        xdot, djdq = self._rates(pose, quat, q, dq, jac)
        return _Step(q, dq, e, xdot, djdq, vel, acc, jac, minv_jt, mx, mass)

    def _torques(self, s: _Step, a: np.ndarray, force: np.ndarray | None = None) -> np.ndarray:
        """u = J^T (Mx (a - dJ dq) + force) + projected null-space torques + g, clamped."""
        if s.djdq is not None:
            a = a - s.djdq
        f = s.mx @ a if force is None else s.mx @ a + force
        q, dq, jac, mass = s.q, s.dq, s.jac, s.mass
        u = jac.T @ f
        if self.null_controllers:
            qdd = self.null_controllers[0].generate(q, dq)
            for ctrl in self.null_controllers[1:]:
                qdd = qdd + ctrl.generate(q, dq)
            if self.null_metric == "joint":
                jjt_inv = damped_inverse_sym(jac @ jac.T, _PROJECTION_THRESHOLD)
                qdd = qdd - jac.T @ (jjt_inv @ (jac @ qdd))
                u += mass @ qdd
            else:
                un = mass @ qdd
                # (I - J^T Jbar^T) un with Jbar^T = Mx J M^-1 = Mx (M^-1 J^T)^T
                u += un - jac.T @ (s.mx @ (s.minv_jt.T @ un))
        if self.use_g:
            u += self.model.gravity(q)
        lim = self.torque_limits
        if lim is not None:
            u = np.minimum(np.maximum(u, -lim), lim)
        return u

    def generate(self, q, dq, target, target_velocity=None, target_acceleration=None) -> np.ndarray:
        """Joint torques (N,) driving the end effector to ``target``.

        Parameters
        ----------
        q, dq : (N,) arrays
            Joint positions and velocities.
        target : (3,) or (7,) array
            Position, or position + quaternion (x, y, z, w).
        target_velocity, target_acceleration : (3,) or (6,) arrays, optional
            Feed-forward task velocity [v; w] and acceleration.

        Returns
        -------
        (N,) array
            Joint torques, clamped to ``torque_limits``.

        Raises
        ------
        InputError
            An argument with the wrong shape or non-finite values (named in the
            message); the controller's state is then left as it was.
        """
        s = self._step(q, dq, target, target_velocity, target_acceleration)
        return self._torques(s, self._accel(s.e, s.xdot, s.vel, s.acc))

    def _djdq(self, q, dq) -> np.ndarray:
        djdq = self.model.dJdq(q, dq)
        return djdq if self._all_rows else djdq[self.rows]

    def __repr__(self) -> str:
        return (
            f"OSC(kp={self.kp}, ko={self.ko}, dof={''.join('1' if m else '0' for m in self.mask)})"
        )
