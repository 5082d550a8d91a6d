"""Hybrid position/force control in operational space.

Along a unit direction ``n`` (e.g. the table normal) the controller regulates
the contact force; in the other task directions it is the OSC. With the
selection ``S = n n^T``::

    F = Mx ((I - S) a - S kv_f xdot - dJ dq) + n f_cmd
    f_cmd = f_d + kp_f (f_d - f_m) + ki_f ∫(f_d - f_m) dt

``f_d`` and ``f_m`` are the desired and measured force the end effector
*applies* to the environment, along ``n``. ``f_d`` is the feed-forward; the
integral removes the residual (friction, model error); ``kv_f`` damps motion
along ``n`` so the approach before contact is slow and the impact mild.

The motion law ``a`` is the OSC's, fed with the task error projected onto the
free directions ``(I - S) e``: an error along ``n`` (a target below the table)
neither uses up the speed limit ``vmax`` nor winds up the integral term.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from armjac.control.osc import OSC, OSC_PARAMETERS
from armjac.control.params import Param, ParamTable, non_negative
from armjac.errors import InputError
from armjac.validation import as_float_array, as_vector, check_finite, excerpt

FORCE_PARAMETERS = ParamTable(
    Param("kp_force", 0.5, ">= 0", "proportional force gain (dimensionless)", non_negative),
    Param("ki_force", 5.0, ">= 0", "integral force gain, 1/s", non_negative),
    Param("kv_force", 200.0, ">= 0", "damping along the force direction, 1/s", non_negative),
    Param("force_filter", 0.005, ">= 0 (0: off)",
          "time constant of the low-pass on the measured force, s", non_negative),
    Param("force_integral_limit", 2.0, ">= 0",
          "clamp on the force integral, N·s (bounds the wind-up before contact)", non_negative),
)  # fmt: skip
HYBRID_PARAMETERS = OSC_PARAMETERS | FORCE_PARAMETERS
_P = FORCE_PARAMETERS.default


class HybridForceOSC(OSC):
    """Regulate force along ``force_direction``, position/orientation elsewhere.

    Parameters
    ----------
    source
        Jacobian source, as for :class:`~armjac.control.osc.OSC`.
    force_direction : 3 floats
        Direction along which force is controlled (normalised), in ``force_frame``.
    force_frame : {"world", "tool"}
        ``"world"``: a fixed direction (a table normal). ``"tool"``: fixed in the
        end-effector frame, so it turns with the tool (the measured pose's
        rotation maps it to the world at every step).
    kp_force : float
        Proportional force gain (dimensionless).
    ki_force : float
        Integral force gain, 1/s.
    kv_force : float
        Damping along the force direction, 1/s (task acceleration per m/s). Default 200:
        it stops the hand's rebound after touchdown (measured on kuka at 1 cm/s onto a
        rigid table: 30 lets the hand bounce off and come back at 77 N; 200 leaves the
        first step's impulse, 38 N) and lowers the press's force error (0.50 -> 0.43 N).
    force_filter : float
        Time constant (s) of a first-order low-pass on the measured force
        (PyBullet's contact forces chatter from step to step); 0 disables it.
    force_integral_limit : float
        Clamp on the force integral, N·s. Default 2: with ``ki_force`` 5 it
        bounds the integral's share of the command to 10 N, so a long approach
        in free air (where the force error is the whole target) cannot wind up
        a slam into the surface.
    **osc_kwargs
        Everything else :class:`OSC` takes (kp, ko, ctrlr_dof, dynamics, link,
        point, use_C, ...). ``ctrlr_dof`` must include x, y and z.

    Every scalar parameter is declared once: ``HybridForceOSC.parameters()``
    lists the OSC's and the force parameters (:data:`FORCE_PARAMETERS`).
    """

    PARAMETERS = HYBRID_PARAMETERS

    def __init__(
        self,
        source,
        force_direction: Sequence[float] = (0.0, 0.0, 1.0),
        force_frame: str = "world",
        kp_force: float = _P("kp_force"),
        ki_force: float = _P("ki_force"),
        kv_force: float = _P("kv_force"),
        force_filter: float = _P("force_filter"),
        force_integral_limit: float = _P("force_integral_limit"),
        **osc_kwargs,
    ):
        p = FORCE_PARAMETERS.validate(
            dict(kp_force=kp_force, ki_force=ki_force, kv_force=kv_force,
                 force_filter=force_filter, force_integral_limit=force_integral_limit)
        )  # fmt: skip
        super().__init__(source, **osc_kwargs)
        if not self.mask[:3].all():
            raise InputError("hybrid force control needs x, y and z in ctrlr_dof")
        n = as_vector(force_direction, 3, "force_direction")
        norm = float(np.sqrt(n @ n))
        if not norm > 1e-9:
            raise InputError(
                f"force_direction must be a non-zero 3-vector; got {excerpt(force_direction)}"
            )
        if force_frame not in ("world", "tool"):
            raise InputError(f"force_frame must be 'world' or 'tool'; got {excerpt(force_frame)}")
        self.force_frame = force_frame
        self.local_direction = n / norm
        self._set_direction(self.local_direction)
        self.kp_force, self.ki_force = p["kp_force"], p["ki_force"]
        self.kv_force, self.force_filter = p["kv_force"], p["force_filter"]
        self.force_integral_limit = p["force_integral_limit"]
        self._f_int = 0.0
        self._f_meas: float | None = None
        self.force_command = 0.0  # last f_cmd, N

    def _set_direction(self, direction: np.ndarray) -> None:
        """Point the force axis along the world-frame unit ``direction``."""
        self.direction = direction
        k = self.rows.size
        sel = np.zeros((k, k))
        sel[:3, :3] = np.outer(direction, direction)
        self._free = np.eye(k) - sel  # directions under motion control
        self._sel = sel
        self._n = np.zeros(k)
        self._n[:3] = direction

    def reset(self) -> None:
        """Clear the state: the OSC's, the force integral and the force filter."""
        super().reset()
        self._f_int = 0.0
        self._f_meas = None

    def _along(self, force, name: str) -> float:
        """Component of ``force`` (a 3-vector, or already the scalar) along the direction."""
        if force.__class__ is np.ndarray and force.shape == (3,) and force.dtype.char == "d":
            along = float(force.dot(self.direction))
            if math.isfinite(along) and math.isfinite(force.dot(force)):
                return along  # the usual case, checked cheaply
        elif force.__class__ is float and math.isfinite(force):
            return force
        f = as_float_array(force, name)
        if f.shape == (3,):
            f = f @ self.direction
        elif f.shape not in ((), (1,)):
            raise InputError(
                f"{name} must be a 3-vector (world frame, N) or a scalar (its component "
                f"along force_direction); got shape {f.shape}"
            )
        check_finite(f, name)
        return float(f.sum())

    def _measured(self, f: float) -> float:
        """The measured force along the direction, low-pass filtered."""
        if self._f_meas is None or self.force_filter <= 0:
            self._f_meas = f
        else:
            alpha = self.dt / (self.force_filter + self.dt)
            self._f_meas += alpha * (f - self._f_meas)
        return self._f_meas

    def generate(
        self,
        q,
        dq,
        target,
        force_target=(0.0, 0.0, 0.0),
        force_measured=(0.0, 0.0, 0.0),
        target_velocity=None,
        target_acceleration=None,
    ) -> np.ndarray:
        """Torques (N,) for the motion ``target`` and the contact force ``force_target``.

        Parameters
        ----------
        q, dq : (N,) arrays
            Joint positions and velocities.
        target : (3,) or (7,) array
            Position (+ quaternion); its component along the force direction is ignored.
        force_target, force_measured : 3-vectors or scalars
            Force the end effector applies to the environment (world frame, N);
            only the component along the force direction (in the world, at
            this step) is used. A scalar is that component.
        target_velocity, target_acceleration : (3,) or (6,) arrays, optional
            Feed-forward task velocity and acceleration, as for :meth:`OSC.generate`
            (their components along the force direction are ignored).

        Returns and raises as :meth:`OSC.generate`.
        """
        if self.force_frame == "tool":
            where = {} if self.model.link is None else {"link": self.model.link}
            pose = self.model.fk(as_vector(q, self.dof, "q"), **where)
            if np.shape(pose) != (4, 4):
                raise InputError("force_frame='tool' needs a pose (4x4) from the model's fk")
            self._set_direction(pose[:3, :3] @ self.local_direction)
        f_d = self._along(force_target, "force_target")
        f_raw = self._along(force_measured, "force_measured")
        s = self._step(q, dq, target, target_velocity, target_acceleration)
        free = self._free
        a = free.dot(self._accel(free.dot(s.e), s.xdot, s.vel, s.acc))
        a -= self.kv_force * self._sel.dot(s.xdot)
        f_m = self._measured(f_raw)
        lim = self.force_integral_limit
        self._f_int = min(max(self._f_int + (f_d - f_m) * self.dt, -lim), lim)
        f_cmd = f_d + self.kp_force * (f_d - f_m) + self.ki_force * self._f_int
        self.force_command = f_cmd
        return self._torques(s, a, self._n * f_cmd)
