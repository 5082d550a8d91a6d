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

from collections.abc import Sequence

import numpy as np

from armjac.control.osc import OSC
from armjac.errors import InputError
from armjac.validation import as_float_array, check_finite, check_gain


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
        Damping along the force direction, 1/s (task acceleration per m/s).
    force_filter : float
        Time constant (s) of a first-order low-pass on the measured force
        (PyBullet's contact forces chatter from step to step); 0 disables it.
    force_integral_limit : float
        Clamp on the force integral, N·s.
    **osc_kwargs
        Everything else :class:`OSC` takes (kp, ko, ctrlr_dof, dynamics, ...).
        ``ctrlr_dof`` must include x, y and z.
    """

    def __init__(
        self,
        source,
        force_direction: Sequence[float] = (0.0, 0.0, 1.0),
        force_frame: str = "world",
        kp_force: float = 0.5,
        ki_force: float = 5.0,
        kv_force: float = 30.0,
        force_filter: float = 0.005,
        force_integral_limit: float = 20.0,
        **osc_kwargs,
    ):
        super().__init__(source, **osc_kwargs)
        if not self.mask[:3].all():
            raise InputError("hybrid force control needs x, y and z in ctrlr_dof")
        n = np.asarray(force_direction, dtype=float)
        norm = np.linalg.norm(n) if n.shape == (3,) else 0.0
        if not (norm > 1e-9 and np.isfinite(norm)):
            raise InputError(
                f"force_direction must be a non-zero 3-vector; got {force_direction!r}"
            )
        if force_frame not in ("world", "tool"):
            raise InputError(f"force_frame must be 'world' or 'tool'; got {force_frame!r}")
        self.force_frame = force_frame
        self.local_direction = n / norm
        self._set_direction(self.local_direction)
        self.kp_force = check_gain("kp_force", kp_force, zero=True)
        self.ki_force = check_gain("ki_force", ki_force, zero=True)
        self.kv_force = check_gain("kv_force", kv_force, zero=True)
        self.force_filter = check_gain("force_filter", force_filter, zero=True)
        self.force_integral_limit = check_gain(
            "force_integral_limit", force_integral_limit, zero=True
        )
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
            pose = self.model.fk(q)
            if np.shape(pose) != (4, 4):
                raise InputError("force_frame='tool' needs a pose (4x4) from the model's fk")
            self._set_direction(pose[:3, :3] @ self.local_direction)
        f_d = self._along(force_target, "force_target")
        f_raw = self._along(force_measured, "force_measured")
        s = self._step(q, dq, target, target_velocity, target_acceleration)
        free = self._free
        a = free @ self._accel(free @ s.e, s.xdot, s.vel, s.acc)
        a -= self.kv_force * (self._sel @ s.xdot)
        f_m = self._measured(f_raw)
        lim = self.force_integral_limit
        self._f_int = min(max(self._f_int + (f_d - f_m) * self.dt, -lim), lim)
        f_cmd = f_d + self.kp_force * (f_d - f_m) + self.ki_force * self._f_int
        self.force_command = f_cmd
        return self._torques(s, a, self._n * f_cmd)
