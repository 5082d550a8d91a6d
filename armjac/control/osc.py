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

from armjac.control.linalg import DampedSolver, clip, solve
from armjac.control.model import ControlModel
from armjac.control.null_space import JointLimitAvoidance, NullSpaceSum
from armjac.control.orientation import (
    as_quaternion,
    orientation_error,
    pose_quat_tuple,
    rotation_to,
    unit_quat_tuple,
)
from armjac.control.params import Param, ParamTable, flag, non_negative, one_of, positive
from armjac.errors import InputError, SingularityError
from armjac.validation import as_float_array, as_mask, as_vector, check_finite, excerpt

POSITION_DOF = (True, True, True, False, False, False)
NULL_METRICS = ("joint", "inertia")
TASK_VELOCITIES = ("auto", "jacobian", "sensor")
# Eigenvalue of J J^T (a squared singular value of J) below which the joint-metric
# projector is damped: exact down to 1 mm/rad, bounded at a singularity.
_PROJECTION_THRESHOLD = 1e-6
# Beyond this joint speed (rad/s) a state is no physical arm's: named when terms overflow.
_ABSURD_SPEED = 1e6
# The dtype of native float64 arrays, a singleton: the fast input checks test identity.
_FLOAT64 = np.dtype(np.float64)


def check_ctrlr_dof(name: str, value: object) -> np.ndarray:
    """6 booleans (or 0/1) for (x, y, z, rx, ry, rz), at least one True."""
    mask = as_mask(value, 6, f"{name} (x, y, z, rx, ry, rz)")
    if not mask.any():
        raise InputError(f"{name} must control at least one axis; got {excerpt(value)}")
    return mask


def check_vmax(name: str, value: object) -> np.ndarray:
    """A task speed > 0 (m/s; angular unlimited), (linear m/s, angular rad/s), or None."""
    if value is None:
        return None
    v = np.atleast_1d(as_float_array(value, name))
    if v.size == 1:
        v = np.array([v[0], np.inf])
    if v.shape != (2,) or not (v > 0).all():  # also refuses NaN
        raise InputError(
            f"{name} must be a positive speed or (linear, angular); got {excerpt(value)}"
        )
    return v


OSC_PARAMETERS = ParamTable(
    Param("kp", 200.0, ">= 0", "position stiffness, 1/s^2 (the task behaves as a unit mass)",
          non_negative),
    Param("ko", None, ">= 0 (default: kp)", "orientation stiffness, 1/s^2", non_negative),
    Param("kv", None, "> 0 (default: 2 sqrt(kp), critical)", "position damping, 1/s", positive),
    Param("kvo", None, "> 0 (default: 2 sqrt(ko), critical)", "orientation damping, 1/s",
          positive),
    Param("ki", 0.0, ">= 0", "integral gain on the task error, 1/s^3 (0: none)", non_negative),
    Param("integral_limit", 0.05, "> 0", "clamp on the error integral per axis, m·s or rad·s",
          positive),
    Param("ctrlr_dof", POSITION_DOF, "6 booleans, at least one True",
          "controlled axes (x, y, z, rx, ry, rz)", check_ctrlr_dof),
    Param("vmax", 1.0, "> 0, or (linear, angular) > 0; None: no limit",
          "task-speed limit on the motion the stiffness asks for, m/s (and rad/s)", check_vmax),
    Param("null_damping", 10.0, ">= 0 (0: off)",
          "damping of the self-motion in the null space of the task, 1/s (redundant arms)",
          non_negative),
    Param("null_metric", "joint", "joint or inertia",
          "metric of the null-space projection (see armjac.control.osc)", one_of(*NULL_METRICS)),
    Param("task_velocity", "auto", "auto, jacobian or sensor",
          "task velocity from J dq or from the measured pose's change", one_of(*TASK_VELOCITIES)),
    Param("use_dJ", True, "True or False", "subtract dJ/dt dq", flag),
    Param("use_g", True, "True or False", "compensate gravity", flag),
    Param("use_C", False, "True or False",
          "compensate Coriolis and centrifugal torques C dq (needs dynamics with C)", flag),
    Param("singular_threshold", 1e-3, "> 0",
          "eigenvalue of J M^-1 J^T below which Mx is damped", positive),
    Param("dt", 1e-3, "> 0", "control period, s (integral, differencing)", positive),
)  # fmt: skip
_P = OSC_PARAMETERS.default


class _Step:
    """The measurements of one control step (one instance per controller, reused)."""

    __slots__ = ("q", "dq", "e", "xdot", "jdq", "djdq", "vel", "acc", "jac", "minv_jt", "lam",
                 "mass", "bias")  # fmt: skip


class OSC:
    """Operational-space controller over any Jacobian source.

    Every scalar parameter is declared once in :data:`OSC_PARAMETERS`
    (``OSC.parameters()`` lists names, defaults and rules); the keyword
    defaults below are read from it.

    Parameters
    ----------
    source : object with ``fk`` and ``jacobian``
        The Jacobian source: an ``Arm``, a ``PyBulletModel``, a learned model.
    kp : float
        Position stiffness, 1/s^2 (the task behaves as a unit mass). Default 200:
        a 0.07 s time constant, well inside the bundled arms' torque limits.
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
    null_controllers : sequence, optional
        Objects with ``generate(q, dq) -> qdd`` (see :mod:`armjac.control.null_space`).
        Default: joint-limit avoidance
        (:class:`~armjac.control.null_space.JointLimitAvoidance`) when the
        source or the dynamics knows its ``joint_limits``. A given sequence
        replaces it (``()``: no null-space task).
    vmax : float or (float, float) or None
        Task-speed limits (m/s, rad/s) on the motion the gains ask for; a single
        number limits the linear speed only. Default 1 m/s: a step to a target
        1 m away would otherwise ask 200 m/s^2 and spin the light wrist joints
        of a redundant arm. ``None`` removes the limit.
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
        Torque clamp, N·m, > 0 (``inf``: none); default the sources'
        ``effort_limits``. NaN is refused.
    link : str, optional
        The controlled link (default: the source's end effector).
    point : 3 floats, optional
        The controlled point (tool centre point) in ``link``'s frame, m
        (default: the link frame's origin).
    use_C : bool
        Add the Coriolis and centrifugal torques ``C(q, dq) dq`` (the dynamics
        must give them: ``nonlinear_effects`` or a fused ``control_terms``).
    null_damping : float
        Damping (1/s) of the arm's self-motion, in the null space of the task:
        on by default, so a redundant arm's self-motion dies out instead of
        drifting into its joint limits; 0 switches it off. It is applied in the
        dynamically consistent metric, ``-kv (I - J^T Jbar^T) M dq``, under
        which the null-space velocity decays as ``exp(-kv t)`` without
        accelerating the task.
    singular_threshold : float
        Eigenvalue of ``J M^-1 J^T`` below which ``Mx`` is damped.
    dt : float
        Control period, s (for the integral term and differencing).
    integral_limit : float
        Clamp on the integral of the error, per axis.
    null_metric : {"joint", "inertia"}
        Metric of the projection of the null-space accelerations onto the null
        space of the task (see the module docstring).
    task_velocity : {"auto", "jacobian", "sensor"}
        ``xdot`` from ``J dq``, or from the measured pose differenced over the
        last period; ``auto``: the sensor when the pose is not measured by the
        Jacobian source itself (see the module docstring).

    Raises
    ------
    InputError
        A parameter breaking its rule (named in the message).
    """

    PARAMETERS = OSC_PARAMETERS

    def __init__(
        self,
        source,
        kp: float = _P("kp"),
        ko: float | None = _P("ko"),
        kv: float | None = _P("kv"),
        kvo: float | None = _P("kvo"),
        ki: float = _P("ki"),
        ctrlr_dof: Sequence[bool] | None = _P("ctrlr_dof"),
        null_controllers: Sequence | None = None,
        vmax: float | Sequence[float] | None = _P("vmax"),
        use_dJ: bool = _P("use_dJ"),
        use_g: bool = _P("use_g"),
        *,
        dynamics=None,
        fk_source="trusted",
        torque_limits=None,
        link: str | None = None,
        point: Sequence[float] | None = None,
        use_C: bool = _P("use_C"),
        null_damping: float = _P("null_damping"),
        singular_threshold: float = _P("singular_threshold"),
        dt: float = _P("dt"),
        integral_limit: float = _P("integral_limit"),
        null_metric: str = _P("null_metric"),
        task_velocity: str = _P("task_velocity"),
    ):
        p = OSC_PARAMETERS.validate(
            dict(kp=kp, ko=ko, kv=kv, kvo=kvo, ki=ki, vmax=vmax, use_dJ=use_dJ, use_g=use_g,
                 use_C=use_C, null_damping=null_damping, singular_threshold=singular_threshold,
                 dt=dt, integral_limit=integral_limit, null_metric=null_metric,
                 task_velocity=task_velocity,
                 ctrlr_dof=POSITION_DOF if ctrlr_dof is None else ctrlr_dof)
        )  # fmt: skip
        self.model = ControlModel(source, dynamics, fk_source, torque_limits, link, point)
        self.dof = n = self.model.dof
        self.mask = p["ctrlr_dof"]
        if self.mask[3:].any() and (self.model.task_rows < 6 or not self.model.has_orientation):
            raise InputError(
                "orientation control needs a source with a 6-row Jacobian and a pose sensor "
                f"with a 4x4 fk; {self.model!r} is position-only: use ctrlr_dof with the "
                "last three False"
            )
        self.rows = np.flatnonzero(self.mask)
        self._orient = bool(self.mask[3:].any())
        # The error vector has 6 entries with orientation, 3 without.
        err_rows = 6 if self._orient else 3
        self._error_rows = slice(None) if self.rows.size == err_rows else self.rows
        self._jac_rows = _rows_index(self.rows, self.model.task_rows)
        self.n_lin = int(self.mask[:3].sum())
        self.kp, self.ki = p["kp"], p["ki"]
        self.ko = self.kp if p["ko"] is None else p["ko"]
        # kv > 0: the speed limit divides by it, and an undamped task oscillates.
        self.kv = 2.0 * math.sqrt(self.kp) if p["kv"] is None else p["kv"]
        self.kvo = 2.0 * math.sqrt(self.ko) if p["kvo"] is None else p["kvo"]
        if min(self.kv, self.kvo) <= 0:
            raise InputError(
                f"kv and kvo must be > 0 (their default 2 sqrt(kp) is 0 when kp is 0); "
                f"got kv={self.kv}, kvo={self.kvo}"
            )
        self._kp = np.array([self.kp] * 3 + [self.ko] * 3)[self.rows]
        self._kv = np.array([self.kv] * 3 + [self.kvo] * 3)[self.rows]
        self._ki = np.full(self.rows.size, self.ki)
        self.integral_limit, self.dt = p["integral_limit"], p["dt"]
        self.vmax = p["vmax"]
        self._kp_kv = self._kp / self._kv
        nl = self.n_lin
        # (rows, limit) of the linear and angular parts that are controlled and limited.
        limits = (np.inf, np.inf) if self.vmax is None else self.vmax
        parts = ((slice(0, nl), limits[0], nl), (slice(nl, None), limits[1], self.rows.size - nl))
        # (rows, limit) of each part with a finite limit.
        self._speed_parts = [
            (part, float(limit)) for part, limit, size in parts if size and math.isfinite(limit)
        ]
        self.use_dJ, self.use_g, self.use_C = p["use_dJ"], p["use_g"], p["use_C"]
        self.null_metric = p["null_metric"]
        self.null_damping = p["null_damping"]
        self.singular_threshold = p["singular_threshold"]
        task_velocity = p["task_velocity"]
        if task_velocity == "auto":
            task_velocity = "jacobian" if self.model.fk_source is self.model.source else "sensor"
        self.task_velocity = task_velocity
        if null_controllers is None:
            null_controllers = self._default_null_tasks()
        self.null_controllers = list(null_controllers)
        for task in self.null_controllers:
            if not callable(getattr(task, "generate", None)):
                raise InputError(f"a null-space task needs generate(q, dq); {task!r} has none")
        # The null space is empty when as many axes as joints are controlled.
        self._redundant = n > self.rows.size
        self._damp = self._redundant and self.null_damping > 0
        # Checks the tasks' sizes; gives their sum, and with the damping's -kvn dq.
        null_sum = NullSpaceSum(self.null_controllers, n, self.null_damping if self._damp else 0.0)
        self._null = list(self.null_controllers) if self._redundant else []
        self._null_sum = null_sum.generate_damped
        self._damp_task = np.full(self.rows.size, self.null_damping)
        self._damp_joint = np.full(n, -self.null_damping)
        self._terms = self.model.terms(self.use_dJ, self.use_C)
        self._gravity = self.model.gravity
        self.torque_limits = self.model.torque_limits
        lim = self.torque_limits
        self._clamp = None if lim is None or np.isinf(lim).all() else (-lim, lim)
        self._ones = np.ones(n)
        self._task_rows = _rows_index(self.rows, 6)  # picks the controlled rows of a 6-vector
        self._point = self.model.point
        self._differencing = self.task_velocity == "sensor" or (
            self.use_dJ and not self._terms_have_djdq()
        )
        self._s = _Step()
        k = self.rows.size
        self._task_solver = DampedSolver(k, self.singular_threshold)  # Mx = lam^-1
        # Mx a and (J J^T)^-1 J qdd in one call: [lam; J J^T], [a; J qdd].
        self._pair_solver = DampedSolver(k, (self.singular_threshold, _PROJECTION_THRESHOLD))
        self._pair = np.zeros((2, k, k))
        self._rhs = np.zeros((2, k))
        self._lam, self._jjt = self._pair  # views, written in place each step
        self._rhs_a, self._rhs_jq = self._rhs
        self._jt = np.zeros((2, n))  # [J^T f; J^T y]
        self._jt_f, self._jt_y = self._jt
        self._project = bool(self._null) and self.null_metric == "joint"
        self._integral = np.zeros(self.rows.size)
        self.error = np.zeros(self.rows.size)  # task error of the last step (controlled rows)
        self._last: tuple | None = None  # (position, quaternion, J) of the previous step
        self._target_key = self._target_unit = None  # the last target quaternion, normalised

    def _default_null_tasks(self) -> list:
        """Joint-limit avoidance, when the model knows finite joint limits."""
        for obj in (self.model.source, self.model.dynamics):
            limits = getattr(obj, "joint_limits", None)
            if limits is not None:
                limits = np.asarray(limits, dtype=float)
                if limits.shape == (self.dof, 2) and np.isfinite(limits).any():
                    return [JointLimitAvoidance(limits)]
        return []

    @classmethod
    def parameters(cls) -> ParamTable:
        """The controller's scalar parameters: name -> :class:`~armjac.control.params.Param`."""
        return cls.PARAMETERS

    def _terms_have_djdq(self) -> bool:
        return self.model.fused or callable(getattr(self.model.source, "dJdq", None))

    def reset(self) -> None:
        """Clear the state: the integral and the previous step's pose and Jacobian."""
        self._integral[:] = 0.0
        self._last = None

    # -- inputs ----------------------------------------------------------------------
    def _inputs(self, q, dq, target) -> tuple:
        """``q``, ``dq`` and ``target`` checked: ``(q, dq, target position, quaternion or None)``.

        The usual input (float64 arrays of the right shapes) is checked with one
        sum; anything else takes the full checks, which name the bad value.
        """
        n = self.dof
        if (
            q.__class__ is dq.__class__ is target.__class__ is np.ndarray
            and q.dtype is dq.dtype is target.dtype is _FLOAT64
            and q.shape == dq.shape == (n,)
            and (target.shape == (7,) or (target.shape == (3,) and not self._orient))
        ):
            # Finite only if every entry of the three is: a NaN or inf anywhere makes
            # the sum NaN or inf (0 inf is NaN). An overflow takes the full checks.
            if not self._orient:
                if math.isfinite(q.dot(dq) + target.dot(target)):
                    return q, dq, target[:3], None
            else:
                # As floats: the error is formed from scalars (_error); a zero quaternion
                # is refused when it is normalised there.
                t = target.tolist()
                if math.isfinite(q.dot(dq) + sum(t)):
                    return q, dq, t[:3], t[3:]
        q, dq = as_vector(q, n, "q"), as_vector(dq, n, "dq")
        return (q, dq, *self._target(target))

    def _feed_forward(self, vel, acc) -> tuple:
        """The target velocity and acceleration (each None or 3 or 6 values), as controlled rows."""
        if vel is None and acc is None:
            return None, None
        if (
            vel.__class__ is acc.__class__ is np.ndarray
            and vel.dtype is acc.dtype is _FLOAT64
            and vel.shape == acc.shape == (6,)
            and math.isfinite(vel.dot(acc))  # as in _inputs: both finite, or the full checks
        ):
            rows = self._task_rows  # the usual case, checked cheaply
            return (vel, acc) if rows is None else (vel[rows], acc[rows])
        return (
            None if vel is None else self._task_vector(vel, "target_velocity"),
            None if acc is None else self._task_vector(acc, "target_acceleration"),
        )

    def _task_vector(self, v, what: str) -> np.ndarray:
        """A velocity/acceleration target of length 3 (linear) or 6, as controlled rows."""
        if (
            v.__class__ is np.ndarray
            and v.dtype is _FLOAT64
            and v.shape == (6,)
            and math.isfinite(v.dot(v))  # an overflow takes the full check
        ):
            rows = self._task_rows  # the usual case, checked cheaply
            return v if rows is None else v[rows]
        v = as_float_array(v, what)
        if v.shape == (3,):
            v = np.concatenate((v, np.zeros(3)))
        elif v.shape != (6,):
            raise InputError(
                f"{what} must have 3 (linear) or 6 (linear, angular) values; got shape {v.shape}"
            )
        v = as_vector(v, 6, what)
        return v[self.rows]

    def _target(self, target) -> tuple[np.ndarray, tuple | None]:
        """``target`` checked: its position (3,) and unit quaternion (or None).

        Accepted: a position (3,); position + quaternion x, y, z, w (7,);
        position + rotation vector (6,); a 4x4 homogeneous transform.
        """
        if (
            target.__class__ is np.ndarray
            and target.dtype is _FLOAT64
            and (target.shape == (7,) or (target.shape == (3,) and not self._orient))
            and math.isfinite(target.dot(target))  # an overflow takes the full check
        ):
            if not self._orient:
                return target[:3], None
            # Normalised in _error; a zero quaternion is refused there.
            t = target.tolist()
            return t[:3], t[3:]
        t = as_float_array(target, "target")
        check_finite(t, "target")
        if t.shape == (4, 4):
            pos, ori = t[:3, 3], t[:3, :3]
        elif t.shape in ((6,), (7,)):
            pos, ori = t[:3], t[3:]
        elif t.shape == (3,):
            pos, ori = t, None
        else:
            raise InputError(
                "target must be a position (3,), position + quaternion x, y, z, w (7,), "
                f"position + rotation vector (6,) or a 4x4 pose; got shape {t.shape}"
            )
        if self._orient and ori is None:
            raise InputError(
                "orientation is controlled: target must be position + quaternion (x, y, z, w), "
                "7 values (or position + rotation vector, or a 4x4 pose); got shape (3,)"
            )
        pos = as_vector(pos, 3, "target position")
        quat = as_quaternion(ori, "target orientation") if ori is not None else None
        return pos, (quat if self._orient else None)

    # -- measurements ------------------------------------------------------------------
    def _pose(self, tf: np.ndarray) -> tuple[np.ndarray, tuple | None]:
        """Position of the controlled point and (when controlled) its quaternion."""
        if tf.ndim == 1:
            return tf, None
        pos = tf[:3, 3]
        if self._point is not None:
            pos = pos + tf[:3, :3].dot(self._point)
        return pos, self._quat(tf)

    def _quat(self, tf: np.ndarray) -> tuple | None:
        """The link's orientation as a quaternion, when orientation is controlled."""
        return pose_quat_tuple(tf) if self._orient else None

    def task_error(self, q: np.ndarray, target) -> np.ndarray:
        """Error (controlled rows) between ``target`` and the pose measured at ``q``.

        ``target`` takes the forms :meth:`generate` takes.
        """
        q = as_vector(q, self.dof, "q")
        where = {} if self.model.link is None else {"link": self.model.link}
        pos, quat = self._pose(np.asarray(self.model.fk(q, **where)))
        return self._error(pos, quat, *self._target(target))

    def _error(self, pos, quat, t_pos, t_quat) -> np.ndarray:
        """Target minus measured pose: position error and (with orientation) rotation vector.

        With orientation the six entries are formed as floats and make one array; the
        target quaternion is normalised once per target (a target is often held).
        """
        if self._orient:
            if t_quat != self._target_key:  # 4 floats (a list or a tuple): a new target
                self._target_unit = unit_quat_tuple(t_quat, "target quaternion")  # refuses 0
                self._target_key = t_quat
            px, py, pz = pos.tolist()
            tx, ty, tz = t_pos
            rx, ry, rz = rotation_to(self._target_unit, quat)
            err = np.array((tx - px, ty - py, tz - pz, rx, ry, rz))
        else:
            err = t_pos - pos
        return err if self._error_rows.__class__ is slice else err[self._error_rows]

    # -- the law -------------------------------------------------------------------------
    def _accel(self, e, xdot, target_velocity, target_acceleration) -> np.ndarray:
        """Commanded task acceleration from the PD(+I) law, before dJ dq.

        ``target_velocity`` and ``target_acceleration`` are checked controlled
        rows (:meth:`_task_vector`) or None.
        """
        if self.vmax is None:
            a = self._kp * e
            v = xdot if target_velocity is None else xdot - target_velocity
            a -= self._kv * v
        else:
            # Cap the speed the stiffness asks for, then track it with the damping.
            v = self._kp_kv * e
            speeds = v.tolist()
            for part, limit in self._speed_parts:
                speed = math.hypot(*speeds[part])  # does not overflow for huge finite entries
                if speed > limit:
                    v[part] *= limit / speed
            v -= xdot
            if target_velocity is not None:
                v += target_velocity
            a = self._kv * v
        if self.ki:
            lim = self.integral_limit
            self._integral = np.minimum(np.maximum(self._integral + e * self.dt, -lim), lim)
            a += self._ki * self._integral
        if target_acceleration is not None:
            a += target_acceleration
        return a

    def _step(self, q, dq, target, target_velocity, target_acceleration) -> _Step:
        """What every control law needs at one step, with all inputs checked first.

        Nothing is measured, and no state changes, until every argument has
        passed its checks.
        """
        q, dq, t_pos, t_quat = self._inputs(q, dq, target)
        s = self._s
        s.vel, s.acc = self._feed_forward(target_velocity, target_acceleration)
        t = self._terms(q, dq)
        pos, quat = t.x, (pose_quat_tuple(t.T) if self._orient else None)
        s.e = self.error = self._error(pos, quat, t_pos, t_quat)
        rows = self._jac_rows
        jac = t.J if rows is None else t.J[rows]
        s.mass = mass = t.M
        s.minv_jt = minv_jt = solve(mass, jac.T)
        s.lam = lam = self._lam  # J M^-1 J^T, the inverse of the task-space inertia Mx
        jac.dot(minv_jt, lam)  # out positional: cheaper than out=
        s.q, s.dq, s.jac = q, dq, jac
        s.bias = t.h if self.use_g else (self._bias(t, q) if self.use_C else None)
        djdq = t.dJdq if self.use_dJ else None
        if djdq is not None and rows is not None:
            djdq = djdq[rows]
        s.djdq = djdq
        s.xdot = s.jdq = jac.dot(dq)
        if self._differencing:
            self._rates(s, pos, quat)
        return s

    def _bias(self, t, q) -> np.ndarray:
        """The compensated joint torques: ``g``, ``C dq + g`` or ``C dq`` (use_g off)."""
        if self.use_g:
            return t.h
        return t.h - self._gravity(q)  # use_C without gravity: C dq alone

    def _rates(self, s: _Step, pos, quat) -> None:
        """Task velocity from the pose's change, and ``dJ dq`` from the Jacobian's, over dt."""
        last, self._last = self._last, (pos.copy(), quat, s.jac.copy())
        if last is None:
            return
        if self.use_dJ and s.djdq is None:
            s.djdq = (s.jac - last[2]).dot(s.dq) / self.dt
        if self.task_velocity == "sensor":
            xdot = (pos - last[0]) / self.dt
            if self._orient:
                # Rotation over the last period, world frame: log(R_now R_last^T) / dt.
                xdot = np.concatenate((xdot, orientation_error(quat, last[1]) / self.dt))
            s.xdot = xdot[self._error_rows]

    def _torques(self, s: _Step, a: np.ndarray, force: np.ndarray | None = None) -> np.ndarray:
        """u = J^T (Mx (a - dJ dq) + force) + null-space torques + bias, clamped.

        A joint acceleration ``x`` in the dynamically consistent (inertia)
        metric adds ``(I - J^T Jbar^T) M x = M x - J^T Mx J x``: it is folded
        into the task solve as ``a - J x``. One in the joint metric is first
        projected, ``x - J^T (J J^T)^-1 J x``, in the same LAPACK call as the
        task solve.
        """
        jac = s.jac
        # qdd: the tasks' sum (None: all at rest); joint: the joint accelerations in the
        # inertia metric, turned into torques by M: qdd (unprojected) and the damping -kvn dq.
        if self._null:
            qdd, joint = self._null_sum(s.q, s.dq)
        else:
            qdd, joint = None, (self._damp_joint * s.dq if self._damp else None)
        project = qdd is not None and self._project
        into = self._rhs_a if project else None  # the stacked solve's right-hand side
        if s.djdq is not None:
            a = np.subtract(a, s.djdq, into)
        if self._damp:
            a = np.add(a, self._damp_task * s.jdq, into)  # -J (-kvn dq)
        if project:
            jac.dot(jac.T, self._jjt)
            jac.dot(qdd, self._rhs_jq)
            if a is not into:
                into[:] = a
            fy = self._pair_solver.solve(self._pair, self._rhs)  # [Mx a; (J J^T)^-1 J qdd]
            if force is not None:
                fy[0] += force
            fy.dot(jac, self._jt)  # [J^T f; J^T y] in one product
            joint = joint - self._jt_y  # qdd - J^T y = P qdd, with the damping's -kvn dq
            u = s.mass.dot(joint)
            u += self._jt_f
        else:
            if qdd is not None:
                a = a - jac.dot(qdd)
            f = self._task_solver.solve(s.lam, a)  # Mx a
            if force is not None:
                f = f + force
            u = jac.T.dot(f)
            if joint is not None:
                u += s.mass.dot(joint)
        if s.bias is not None:
            u += s.bias
        if not math.isfinite(self._ones.dot(u)):
            self._diagnose(s, a, qdd)
        if self._clamp is not None:
            clip(u, self._clamp[0], self._clamp[1], u)
        return u

    def _diagnose(self, s: _Step, a: np.ndarray, qdd) -> None:
        """Raise an error naming why this step's torques are not finite."""
        q, dq = s.q, s.dq
        speed = float(np.abs(dq).max())
        hint = (
            f"; dq reaches {speed:.3g} rad/s, beyond any physical arm"
            if speed > _ABSURD_SPEED
            else ""
        )
        model = self.model
        for name, value in (("Jacobian", s.jac), ("mass matrix", s.mass),
                            ("gravity/bias torques", s.bias), ("dJ/dt dq", s.djdq)):  # fmt: skip
            if value is not None and not np.isfinite(value).all():
                raise InputError(f"the {name} from {model!r} is not finite at q={excerpt(q)}{hint}")
        if not (np.isfinite(s.lam).all() and np.isfinite(s.minv_jt).all()):
            raise SingularityError(f"the mass matrix from {model!r} is singular at q={excerpt(q)}")
        for task in self._null:
            r = np.asarray(task.generate(q, dq))
            if not np.isfinite(r).all():
                raise InputError(
                    f"null-space task {task!r} returned a non-finite acceleration {excerpt(r)}"
                )
        if not np.isfinite(a).all():
            err = float(np.abs(s.e).max())
            raise InputError(
                f"the task acceleration overflows: the target is {err:.3g} m (or rad) from the "
                f"end effector, or the task velocity {excerpt(s.xdot)} is too large{hint}"
            )
        raise InputError(f"the torques overflow at q={excerpt(q)}, dq={excerpt(dq)}{hint}")

    def generate(self, q, dq, target, target_velocity=None, target_acceleration=None) -> np.ndarray:
        """Joint torques (N,) driving the controlled point to ``target``.

        Parameters
        ----------
        q, dq : (N,) arrays
            Joint positions and velocities.
        target : array
            A position (3,); position + quaternion x, y, z, w (7,); position +
            rotation vector (6,); or a 4x4 pose (its rotation matrix is the
            orientation). With orientation controlled it must carry one. For a
            rotation matrix with a position use
            :func:`~armjac.control.orientation.pose_target`.
        target_velocity, target_acceleration : (3,) or (6,) arrays, optional
            Feed-forward task velocity [v; w] and acceleration.

        Returns
        -------
        (N,) array
            Joint torques: finite, and within ``torque_limits``.

        Raises
        ------
        InputError
            An argument with the wrong shape or non-finite values (named in the
            message), or torques that would not be finite (the message names the
            cause: a source's terms, a null-space task, an overflowing target);
            the controller's state is then left as it was.
        SingularityError
            The dynamics source's mass matrix is singular.
        """
        s = self._step(q, dq, target, target_velocity, target_acceleration)
        return self._torques(s, self._accel(s.e, s.xdot, s.vel, s.acc))

    def __repr__(self) -> str:
        return (
            f"OSC(kp={self.kp}, ko={self.ko}, dof={''.join('1' if m else '0' for m in self.mask)})"
        )


def _rows_index(rows: np.ndarray, task_rows: int):
    """How to pick the controlled rows of J: None (all), a slice (a view) or an index array."""
    if rows.size == task_rows:
        return None
    if (rows == np.arange(rows[0], rows[0] + rows.size)).all():
        return slice(int(rows[0]), int(rows[0]) + rows.size)
    return rows
