"""The generalized-momentum observer (De Luca and Mattone): external joint torques
from the joint state and the applied torques, with no joint acceleration.

With ``p = M(q) dq`` and ``n = C(q, dq)^T dq - g(q)`` (:mod:`~armjac.estimation.momentum`),
the residual

    r(t) = K (p(t) - p(0) - integral_0^t (tau - D dq + n + r) ds)

obeys ``dr/dt = K (tau_ext - r)``: a first-order low-pass of the external torque
with bandwidth ``K`` (1/s), whatever the arm does. ``D dq`` is the joint damping the
simulator (or a real joint's viscous friction) takes from the applied torque ``tau``.

Discretised with the torque applied over the last period and the state at its
end, as a controller sees them: ``update(q, dq, tau)`` once per ``dt``, with ``tau``
the torque that was applied while the arm moved to ``(q, dq)`` (ArmSim's
``get_feedback()["u"]``, or a joint-torque sensor's reading).

Everything the dynamics model gets wrong appears in ``r`` as if the world pushed:
an unknown tool's weight, a wrong link mass, friction. That is why a load
identified from static poses (:func:`~armjac.estimation.load.identify_load`) and a
calibrated Jacobian matter for sensorless force.
"""

from __future__ import annotations

import math

import numpy as np

from armjac.errors import InputError
from armjac.estimation.contact import SINGULAR_THRESHOLD, WrenchSolver
from armjac.estimation.momentum import momentum_terms
from armjac.validation import as_gains, as_vector, check_gain, check_point

# K dt at or above this makes the discrete residual overshoot and ring (1 - K dt <= 0).
_MAX_GAIN_DT = 1.0


class MomentumObserver:
    """Estimate external joint torques, and the contact force and wrench they imply.

    Parameters
    ----------
    source : object with ``mass_matrix`` and ``gravity``
        The dynamics model: an :class:`~armjac.arm.Arm` (one fused kernel per step),
        an adjusted or calibrated arm, a :class:`~armjac.sim.pybullet_model.PyBulletModel`.
    dt : float
        Update period, s.
    gain : float or (N,) floats
        Observer bandwidth ``K``, 1/s (default 50: a 20 ms time constant). Higher
        follows faster and passes more noise; ``gain * dt`` must stay below 1.
    damping : float or (N,) floats
        Viscous joint damping ``D`` acting against the applied torque, N·m·s/rad
        (an ArmSim's ``joint_damping``); default 0.
    jacobian : Jacobian source, optional
        Where ``force``/``wrench`` take ``J`` (a learned, calibrated or adapting
        model); default ``source``.
    link, point : optional
        Default contact link and point (link frame) for ``force``/``wrench``;
        default the source's end-effector link origin.
    threshold : float
        Squared singular value of ``J`` (m^2) below which the force solve is damped.

    Examples
    --------
    >>> obs = MomentumObserver(arm, dt=1e-3, gain=50.0)
    >>> fb = sim.get_feedback()                     # doctest: +SKIP
    >>> tau_ext = obs.update(fb["q"], fb["dq"], fb["u"])   # doctest: +SKIP
    >>> f = obs.force(fb["q"])                      # world-frame force on the arm, N
    """

    def __init__(
        self,
        source,
        dt: float,
        gain=50.0,
        *,
        damping=0.0,
        jacobian=None,
        link: str | None = None,
        point=None,
        threshold: float = SINGULAR_THRESHOLD,
    ):
        self._terms = momentum_terms(source)
        # a fused kernel checks q and dq itself (shape, type, finiteness)
        self._checked_by_kernel = callable(getattr(source, "momentum_terms", None))
        dof = int(getattr(source, "dof", 0) or 0)
        if dof <= 0:
            raise InputError(f"cannot tell the number of joints of {source!r} (no dof)")
        self.source, self.dof = source, dof
        self.dt = check_gain("dt (s)", dt)
        self.gain = as_gains(gain, dof, "gain (1/s)")
        if float(self.gain.max()) * self.dt >= _MAX_GAIN_DT:
            raise InputError(
                f"gain * dt must be < {_MAX_GAIN_DT:g} for a stable discrete observer; got "
                f"gain {float(self.gain.max()):g} 1/s with dt {self.dt:g} s"
            )
        self.damping = as_gains(damping, dof, "damping (N·m·s/rad)", zero=True)
        self._damped = bool(self.damping.any())
        self.jacobian_source = source if jacobian is None else jacobian
        if not callable(getattr(self.jacobian_source, "jacobian", None)):
            raise InputError(f"jacobian={jacobian!r} has no jacobian(q)")
        jdof = getattr(self.jacobian_source, "dof", dof)
        if jdof != dof:
            raise InputError(f"the Jacobian source has dof={jdof} but the dynamics dof={dof}")
        self.link = link
        self.point = None if point is None else check_point(point)
        threshold = check_gain("threshold", threshold)
        self._force, self._wrench = WrenchSolver(3, threshold), WrenchSolver(6, threshold)
        self.reset()

    def reset(self) -> None:
        """Forget the history: the next :meth:`update` starts the observer afresh."""
        # A step is one product: with the rows [p_k, n_k, tau, r_{k-1}, z_{k-1}, D dq] of a
        # state matrix (z = p(0) + the integral),
        #   z_k = z_{k-1} + dt (tau + n_k + r_{k-1} - D dq),   r_k = K (p_k - z_k),
        # both linear in the rows. Two matrices take turns: (r_k, z_k) land in the next
        # one's rows 3-4 and the momentum terms write rows 0-1 in place, so no row is
        # copied.
        n, dt = self.dof, self.dt
        self._mats = (np.zeros((6, n)), np.zeros((6, n)))
        self._terms_rows = tuple(m[0:2] for m in self._mats)  # views made once
        self._rz_rows = tuple(m[3:5] for m in self._mats)
        self._turn = 0
        k = self.gain
        self._scalar = bool(np.all(k == k[0]))
        kk = float(k[0])
        coef_z = np.array([0.0, dt, dt, dt, 1.0, -dt])
        self._coef = (np.stack([kk * (np.eye(6)[0] - coef_z), coef_z]) if self._scalar
                      else coef_z)  # fmt: skip
        self._started = False
        self.steps = 0

    @property
    def _now(self) -> np.ndarray:
        return self._mats[self._turn]

    @property
    def tau_ext(self) -> np.ndarray:
        """The last estimate of the external joint torques (N,), N·m (a copy)."""
        return self._now[3].copy()

    def _vector(self, value, name: str) -> np.ndarray:
        if (
            value.__class__ is np.ndarray
            and value.shape == (self.dof,)
            and value.dtype.char == "d"
            and math.isfinite(value.dot(value))
        ):
            return value  # the usual case, checked cheaply
        return as_vector(value, self.dof, name)

    def update(self, q, dq, tau) -> np.ndarray:
        """Advance one period and return the external joint torques ``tau_ext`` (N,), N·m.

        Parameters
        ----------
        q, dq : (N,) arrays
            The joint state at the end of the period.
        tau : (N,) array
            The joint torque applied over the period (commanded motor torque, or a
            joint-torque sensor's reading), N·m.

        Raises
        ------
        InputError
            A wrong shape or a non-finite entry (the state is left unchanged).
        """
        if not self._checked_by_kernel:
            q = self._vector(q, "q")
            dq = self._vector(dq, "dq")
        if not (tau.__class__ is np.ndarray and tau.shape == (self.dof,)
                and tau.dtype.char == "d"):  # fmt: skip
            tau = as_vector(tau, self.dof, "tau (applied joint torques)")
        turn = self._turn
        now, nxt = self._mats[turn], self._mats[1 - turn]
        now[2] = tau  # its finiteness is checked through r below
        self._terms(q, dq, self._terms_rows[turn])
        if not self._started:
            now[4] = now[0]  # z(0) = p(0): the residual starts at zero
            self._started, self.steps = True, 1
            return now[3].copy()
        if self._damped:
            np.multiply(self.damping, dq, out=now[5])
        if self._scalar:
            self._coef.dot(now, out=self._rz_rows[1 - turn])  # the method: no dispatch
        else:  # per-joint gains: z, then r = K (p - z)
            self._coef.dot(now, out=nxt[4])
            np.subtract(now[0], nxt[4], out=nxt[3])
            nxt[3] *= self.gain
        r = nxt[3]
        if not math.isfinite(r.dot(r)):  # the state in ``now`` is untouched
            as_vector(tau, self.dof, "tau (applied joint torques)")  # names a bad torque
            raise InputError(
                "the observer's estimate is not finite: the state or torques are beyond any "
                f"physical arm (|dq| = {float(np.abs(dq).max()):.3g})"
            )
        self._turn = 1 - turn
        self.steps += 1
        return r.copy()

    def _jacobian(self, q, link, point) -> np.ndarray:
        q = self._vector(q, "q")
        link = self.link if link is None else link
        point = self.point if point is None else check_point(point)
        kwargs = {} if link is None else {"link": link}
        if point is not None:
            kwargs["point"] = point
        return np.asarray(self.jacobian_source.jacobian(q, **kwargs), dtype=float)

    def force(self, q, point=None, link: str | None = None) -> np.ndarray:
        """The contact force (3,) on the arm at ``point`` of ``link``, world axes, N.

        From the last ``tau_ext`` through the damped pseudo-inverse of the linear rows of
        ``J^T`` at that point (:mod:`~armjac.estimation.contact`). It is the force the
        world exerts on the arm (a table pushing up gives +z), as ``ArmSim.contact_force``.
        """
        return self._force(self._jacobian(q, link, point), self._now[3])

    def wrench(self, q, point=None, link: str | None = None) -> np.ndarray:
        """The contact wrench (6,) on the arm: force (N) and moment about ``point`` (N·m).

        Needs an arm with six or more joints and a Jacobian with angular rows; its force
        part does not depend on the assumed contact point.
        """
        if self.dof < 6:
            raise InputError(
                f"a wrench needs six or more joints to be observable; this arm has {self.dof} "
                "(use force())"
            )
        return self._wrench(self._jacobian(q, link, point), self._now[3])
