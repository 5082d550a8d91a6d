"""Sensor models of the real arm: joint encoders and an external tool-tip tracker.

Encoders (one reading per joint and control step)::

    q_m = q - dtheta + a sin(q + phi) + g(q) / k + noise

with the true link angle ``q``, the joint zero offset ``dtheta`` (a reading of
zero is the kinematic angle ``dtheta``), eccentricity of amplitude ``a`` and
phase ``phi``, and gravity deflection: with the encoder on the motor side of
an elastic joint of stiffness ``k``, the motor holds the gravity torque ``g(q)``
(the holding torque, :meth:`Arm.gravity`) by winding the spring ``g / k`` past
the link, i.e. ``q_m = q_link - tau_gravity / k`` with ``tau_gravity = -g``
the torque gravity exerts. The deflection is quasi-static: the simulated
links are rigid and the spring only bends the reading.

Joint-torque sensors (one reading per joint and control step)::

    tau_m = tau_motor - D dq + bias + noise

A sensor between gearbox and link (LBR iiwa, Franka) reads the torque the joint
passes to the link: the motor's torque less what the gear's friction and damping
take. The simulated joint's viscous damping ``D`` plays that part; the sensor
adds a constant per-joint ``bias`` (offset drift, drawn per arm) and white noise.
An observer fed this reading needs no damping model of its own
(``MomentumObserver(..., damping=0)``); fed the commanded motor torque, it needs ``D``.

Tracker: samples the true tip at ``rate_hz`` (exposure times ``k / rate``),
adds white noise, and delivers each sample ``latency`` seconds later; a
fraction ``dropout`` of samples is lost at random, and none are taken in the
``dropout_windows``.
"""

from __future__ import annotations

from collections import deque

import numpy as np


class Encoders:
    """Joint readings from true link angles (see the module docstring).

    Parameters
    ----------
    gravity : callable or None
        ``gravity(q) -> (N,)/(B, N)`` holding torques of the real arm (needed with
        ``stiffness``).
    zero_offset, ecc_amplitude, ecc_phase : (N,) arrays, rad
    stiffness : (N,) array or None
        N m/rad; None: rigid joints.
    noise : float
        White-noise std, rad.
    """

    def __init__(self, gravity, zero_offset, ecc_amplitude, ecc_phase, stiffness=None, noise=0.0):
        self.gravity = gravity
        self.zero_offset = np.asarray(zero_offset, float)
        self.ecc_amplitude = np.asarray(ecc_amplitude, float)
        self.ecc_phase = np.asarray(ecc_phase, float)
        self.stiffness = None if stiffness is None else np.asarray(stiffness, float)
        self.noise = float(noise)

    def systematic(self, q_link) -> np.ndarray:
        """The noise-free reading error ``q_m - q`` (N,)/(B, N)."""
        q = np.asarray(q_link, float)
        err = -self.zero_offset + self.ecc_amplitude * np.sin(q + self.ecc_phase)
        if self.stiffness is not None:
            err = err + self.gravity(q) / self.stiffness
        return err

    def read(self, q_link, rng: np.random.Generator | None = None) -> np.ndarray:
        """Readings for true angles ``q_link`` (N,)/(B, N); noise only when ``rng`` is given."""
        q = np.asarray(q_link, float)
        out = q + self.systematic(q)
        if rng is not None and self.noise > 0:
            out = out + self.noise * rng.standard_normal(q.shape)
        return out


class JointTorqueSensor:
    """Joint-torque readings (see the module docstring).

    Parameters
    ----------
    bias : (N,) array
        Constant offset per joint, N·m.
    noise : float
        White-noise std, N·m.
    damping : float or (N,) array
        The joints' viscous damping the reading leaves out, N·m·s/rad.
    """

    def __init__(self, bias, noise: float = 0.0, damping=0.0):
        self.bias = np.asarray(bias, float)
        self.noise = float(noise)
        self.damping = damping

    def read(self, tau_motor, dq, rng: np.random.Generator | None = None) -> np.ndarray:
        """The reading for motor torques ``tau_motor`` at joint speeds ``dq``; noise only
        when ``rng`` is given."""
        out = np.asarray(tau_motor, float) - self.damping * np.asarray(dq, float) + self.bias
        if rng is not None and self.noise > 0:
            out = out + self.noise * rng.standard_normal(out.shape)
        return out


class Tracker:
    """An external tool-tip tracker fed the true tip once per simulation step.

    Call :meth:`observe` every step with the simulation time and the true tip;
    it returns the samples delivered at that time as ``(t_exposure, x)`` pairs
    (usually none, at 50 Hz and 1 kHz stepping). :attr:`log` keeps every
    exposure, including lost ones, for datasets and metrics.
    """

    def __init__(self, spec, seed: int = 0):
        self.spec = spec
        self.period = 1.0 / spec.rate_hz
        self.latency = spec.latency_ms * 1e-3
        self.noise = spec.noise_mm * 1e-3
        self.rng = np.random.default_rng(seed)
        self._next = 0.0
        self._pending: deque = deque()
        self.log: list[tuple[float, np.ndarray, np.ndarray, bool]] = []  # t, x, truth, delivered

    def available(self, t: float) -> bool:
        """Whether a sample exposed at ``t`` survives the dropouts (draws the random loss)."""
        if any(t0 <= t <= t1 for t0, t1 in self.spec.dropout_windows):
            return False
        return not (self.spec.dropout > 0 and self.rng.random() < self.spec.dropout)

    def due(self, t: float) -> bool:
        """Whether the tracker takes a sample at time ``t`` (then pass the tip to observe)."""
        return t + 1e-9 >= self._next

    def observe(self, t: float, tip=None) -> list[tuple[float, np.ndarray]]:
        """Feed the true tip at time ``t`` (a (3,) array or a callable giving it, needed
        only when :meth:`due`); returns the samples delivered now."""
        if self.due(t):
            te = t
            self._next += self.period
            tip = np.asarray(tip() if callable(tip) else tip, float)
            x = tip + self.noise * self.rng.standard_normal(3)
            ok = self.available(te)
            self.log.append((te, x, tip.copy(), ok))
            if ok:
                self._pending.append((te, x))
        out = []
        while self._pending and self._pending[0][0] + self.latency <= t + 1e-9:
            out.append(self._pending.popleft())
        return out
