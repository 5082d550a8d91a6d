"""Secondary tasks run in the null space of the operational-space task.

Each returns a desired joint acceleration (N,) from ``(q, dq)``; the OSC
projects the sum onto the null space of the task Jacobian and turns it into
torques with ``M(q)``, so it cannot disturb the end effector (see
:mod:`armjac.control.osc` for the projection's metric).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from armjac.errors import InputError


class JointDamping:
    """Damp joint motion: ``qdd = -kv * dq``.

    Parameters
    ----------
    kv : float
        Damping gain, 1/s.
    """

    def __init__(self, kv: float = 10.0):
        self.kv = float(kv)

    def generate(self, q: np.ndarray, dq: np.ndarray) -> np.ndarray:
        """Desired joint acceleration (N,), rad/s^2.

        Parameters
        ----------
        q, dq : (N,) arrays
            Joint positions (unused) and velocities.
        """
        return -self.kv * dq


class RestingPosture:
    """Pull the joints toward a resting posture: ``qdd = kp (q_rest - q) - kv dq``.

    Parameters
    ----------
    q_rest : (N,) array
        Preferred posture, rad. ``NaN`` entries leave that joint free.
    kp : float
        Stiffness, 1/s^2.
    kv : float, optional
        Damping, 1/s (default ``2 sqrt(kp)``, critical).
    """

    def __init__(self, q_rest: Sequence[float], kp: float = 10.0, kv: float | None = None):
        q_rest = np.asarray(q_rest, dtype=float)
        self.weights = np.isfinite(q_rest).astype(float)
        self.q_rest = np.nan_to_num(q_rest)
        self.kp = float(kp)
        self.kv = 2.0 * np.sqrt(self.kp) if kv is None else float(kv)

    def generate(self, q: np.ndarray, dq: np.ndarray) -> np.ndarray:
        """Desired joint acceleration (N,), rad/s^2; zero on the free joints.

        Parameters
        ----------
        q, dq : (N,) arrays
            Joint positions and velocities.
        """
        # Shortest angular distance, so a joint never winds the long way round.
        err = (self.q_rest - q + np.pi) % (2.0 * np.pi) - np.pi
        return self.weights * (self.kp * err - self.kv * dq)


class JointLimitAvoidance:
    """Push joints away from their limits once within ``margin`` of them.

    The push ramps linearly from 0 at ``margin`` to ``gain`` at the limit, so it
    is bounded and continuous.

    Parameters
    ----------
    limits : (N, 2) array
        Lower and upper joint limits, rad (infinite entries are ignored), e.g.
        ``arm.joint_limits``.
    margin : float
        Distance from a limit where the push starts, rad.
    gain : float
        Acceleration at the limit, rad/s^2.
    """

    def __init__(self, limits: np.ndarray, margin: float = 0.2, gain: float = 50.0):
        limits = np.asarray(limits, dtype=float)
        if limits.ndim != 2 or limits.shape[1] != 2:
            raise InputError(f"limits must have shape (N, 2); got {limits.shape}")
        if not margin > 0:
            raise InputError(f"margin must be positive; got {margin}")
        self.lower = np.where(np.isfinite(limits[:, 0]), limits[:, 0], -np.inf)
        self.upper = np.where(np.isfinite(limits[:, 1]), limits[:, 1], np.inf)
        self.margin = float(margin)
        self.gain = float(gain)

    def generate(self, q: np.ndarray, dq: np.ndarray) -> np.ndarray:
        """Desired joint acceleration (N,), rad/s^2: zero away from the limits.

        Parameters
        ----------
        q, dq : (N,) arrays
            Joint positions and velocities (unused).
        """
        low = np.maximum(0.0, self.margin - (q - self.lower)) / self.margin
        high = np.maximum(0.0, self.margin - (self.upper - q)) / self.margin
        return self.gain * (np.minimum(low, 1.0) - np.minimum(high, 1.0))
