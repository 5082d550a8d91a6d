"""Secondary tasks run in the null space of the operational-space task.

Each returns a desired joint acceleration (N,) from ``(q, dq)``; the OSC
projects the sum onto the null space of the task Jacobian and turns it into
torques with ``M(q)``, so it cannot disturb the end effector (see
:mod:`armjac.control.osc` for the projection's metric). The OSC checks every
task's output (shape and finiteness) and names the task that misbehaves.

The tasks precompute their per-joint constants as arrays: at 7 joints an
array-array operation costs about 0.2 us, one with a Python float 0.5 us.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from armjac.control.linalg import clip
from armjac.errors import InputError
from armjac.validation import as_float_array, as_vector, check_gain, excerpt


class JointDamping:
    """Damp joint motion: ``qdd = -kv * dq``.

    The OSC applies this task by default on a redundant arm (its
    ``null_damping`` parameter); add it here only for a second, separate
    damping.

    Parameters
    ----------
    kv : float
        Damping gain, 1/s (>= 0).
    """

    def __init__(self, kv: float = 10.0):
        self.kv = check_gain("kv", kv, zero=True)
        self._neg_kv = np.float64(-self.kv)

    def generate(self, q: np.ndarray, dq: np.ndarray) -> np.ndarray:
        """Desired joint acceleration (N,), rad/s^2.

        Parameters
        ----------
        q, dq : (N,) arrays
            Joint positions (unused) and velocities.
        """
        return dq * self._neg_kv

    def __repr__(self) -> str:
        return f"JointDamping(kv={self.kv:g})"


class RestingPosture:
    """Pull the joints toward a resting posture: ``qdd = kp (q_rest - q) - kv dq``.

    Parameters
    ----------
    q_rest : (N,) array
        Preferred posture, rad. ``NaN`` entries leave that joint free.
    kp : float
        Stiffness, 1/s^2 (>= 0).
    kv : float, optional
        Damping, 1/s (default ``2 sqrt(kp)``, critical).
    """

    def __init__(self, q_rest: Sequence[float], kp: float = 10.0, kv: float | None = None):
        q_rest = as_float_array(q_rest, "q_rest")
        if q_rest.ndim != 1 or np.isinf(q_rest).any():
            raise InputError(
                f"q_rest must be a 1-D posture (NaN: joint free), finite elsewhere; "
                f"got {excerpt(q_rest)}"
            )
        self.weights = np.isfinite(q_rest).astype(float)
        self.q_rest = np.nan_to_num(q_rest)
        self.kp = check_gain("kp", kp, zero=True)
        self.kv = 2.0 * np.sqrt(self.kp) if kv is None else check_gain("kv", kv, zero=True)
        self.dof = q_rest.size
        self._shift = self.q_rest + np.pi
        self._two_pi = np.full(self.dof, 2.0 * np.pi)
        self._pi = np.full(self.dof, np.pi)
        self._wkp = self.weights * self.kp
        self._wkv = self.weights * self.kv

    def generate(self, q: np.ndarray, dq: np.ndarray) -> np.ndarray:
        """Desired joint acceleration (N,), rad/s^2; zero on the free joints.

        Parameters
        ----------
        q, dq : (N,) arrays
            Joint positions and velocities.
        """
        # Shortest angular distance, so a joint never winds the long way round.
        err = np.remainder(self._shift - q, self._two_pi)
        err -= self._pi
        err *= self._wkp
        err -= self._wkv * dq
        return err

    def __repr__(self) -> str:
        return f"RestingPosture(kp={self.kp:g}, kv={self.kv:g})"


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
        Distance from a limit where the push starts, rad (> 0).
    gain : float
        Acceleration at the limit, rad/s^2 (>= 0).
    """

    def __init__(self, limits: np.ndarray, margin: float = 0.2, gain: float = 50.0):
        limits = as_float_array(limits, "limits")
        if limits.ndim != 2 or limits.shape[1] != 2:
            raise InputError(f"limits must have shape (N, 2); got {limits.shape}")
        if np.isnan(limits).any() or not (limits[:, 0] < limits[:, 1]).all():
            raise InputError(
                f"limits must be (lower, upper) pairs with lower < upper (inf: none); "
                f"got {excerpt(limits)}"
            )
        self.margin = check_gain("margin", margin)
        self.gain = check_gain("gain", gain, zero=True)
        self.lower, self.upper = limits[:, 0].copy(), limits[:, 1].copy()
        self.dof = limits.shape[0]
        # A far finite stand-in for a missing limit: inf * a zero gain would be NaN.
        far = 1e300
        lower = np.where(np.isfinite(self.lower), self.lower, -far)
        upper = np.where(np.isfinite(self.upper), self.upper, far)
        # |q - mid| beyond inner: within margin of a limit (or past it).
        self._mid = 0.5 * (lower + upper)
        self._inner = 0.5 * (upper - lower) - self.margin
        self._scale = np.full(self.dof, self.gain / self.margin)
        self._cap = np.full(self.dof, self.gain)
        self._zeros = np.zeros(self.dof)
        self._zeros.flags.writeable = False
        # Where no joint is pushed; low > high when the margins overlap (always pushed).
        self._clear_low, self._clear_high = lower + self.margin, upper - self.margin
        self._clipped = np.empty(self.dof)  # scratch for the clear-of-limits test

    def generate(self, q: np.ndarray, dq: np.ndarray) -> np.ndarray:
        """Desired joint acceleration (N,), rad/s^2: zero away from the limits.

        Parameters
        ----------
        q, dq : (N,) arrays
            Joint positions and velocities (unused).
        """
        push = self.push(q)
        return self._zeros if push is None else push

    def push(self, q: np.ndarray) -> np.ndarray | None:
        """:meth:`generate` for a finite ``q``, or None when every joint is clear of its
        limits (the usual case)."""
        # Every joint clear of its margins: clipping to them leaves q as it is (one ufunc).
        if clip(q, self._clear_low, self._clear_high, self._clipped).tobytes() == q.tobytes():
            return None
        d = q - self._mid
        far = np.abs(d)
        far -= self._inner
        push = np.minimum(np.maximum(far, self._zeros) * self._scale, self._cap)
        # Push towards the middle of the range.
        return np.copysign(push, -d)

    def __repr__(self) -> str:
        return f"JointLimitAvoidance(margin={self.margin:g}, gain={self.gain:g})"


class NullSpaceSum:
    """The sum of null-space tasks' accelerations, the built-in ones in one pass.

    The first :class:`RestingPosture` and :class:`JointLimitAvoidance` and
    every :class:`JointDamping` are evaluated together: one
    wrapped posture error, one velocity term for all the damping, and the
    joint-limit push only where a joint is within its margin. Their outputs
    have the right shape by construction. Any other task is called as given and
    its output checked, naming the task.

    Parameters
    ----------
    tasks : sequence
        Objects with ``generate(q, dq) -> (N,) array``.
    dof : int
        The number of joints N.
    damping : float
        A further joint damping ``kv`` (1/s, >= 0) that is not part of the sum:
        :meth:`generate_damped` gives the sum and the sum plus ``-kv dq``
        together (the OSC's own null-space damping, applied unprojected).

    Raises
    ------
    InputError
        A posture or joint-limit task made for another number of joints.
    """

    def __init__(self, tasks: Sequence, dof: int, damping: float = 0.0):
        self.tasks = list(tasks)
        self.dof = dof
        self._damping = damping = check_gain("damping", damping, zero=True)
        self._neg_damping = np.full(dof, -damping)
        self._posture = self._limits = None
        task_kv = []
        self._others = []
        for task in self.tasks:
            kind = type(task)
            if kind in (RestingPosture, JointLimitAvoidance) and task.dof != dof:
                raise InputError(f"{task!r} is for {task.dof} joints; the arm has {dof}")
            if kind is RestingPosture and self._posture is None:
                self._posture = task
            elif kind is JointLimitAvoidance and self._limits is None:
                self._limits = task
            elif kind is JointDamping:
                task_kv.append(task.kv)
            else:
                self._others.append(task)
        kv = np.full(dof, float(sum(task_kv)))
        posture = self._posture
        if posture is not None:
            kv += posture._wkv
            # wkp (wrap - pi) - kv dq, one product: [diag(wkp) | -diag(kv) | -wkp pi] [wrap; dq; 1]
            wkp = posture._wkp
            self._gains = np.hstack((np.diag(wkp), np.diag(-kv), (-np.pi * wkp)[:, None]))
            self._stacked = np.ones(2 * dof + 1)
            self._wrap, self._dq = self._stacked[:dof], self._stacked[dof : 2 * dof]
        if posture is not None and damping > 0:
            # The sum and the sum - damping dq from one product: a second block of rows.
            extra = self._gains.copy()
            extra[:, dof : 2 * dof] -= np.diag(np.full(dof, damping))
            self._both_gains = np.vstack((self._gains, extra))
            self._both = np.zeros((2, dof))
            self._both_flat = self._both.reshape(-1)
            self._both_rows = tuple(self._both)  # views, made once
        self._neg_kv = -kv if (kv != 0).any() else None

    def generate_damped(self, q: np.ndarray, dq: np.ndarray) -> tuple:
        """``(sum, sum - damping dq)``: the sum as :meth:`generate` (None when every
        task gives zero), and with the further damping (None only when both are zero).

        With a posture task both are written into buffers reused at the next call.
        """
        if not self._damping:
            total = self.generate(q, dq)
            return total, total
        if self._posture is None:
            total = self._rest(q, dq, None if self._neg_kv is None else self._neg_kv * dq)
            damped = self._neg_damping * dq
            return total, (damped if total is None else damped + total)
        self._fill(q, dq)
        self._both_gains.dot(self._stacked, self._both_flat)
        total, damped = self._both_rows
        rest = self._rest(q, dq, None)
        if rest is not None:
            self._both += rest  # both rows
        return total, damped

    def _fill(self, q: np.ndarray, dq: np.ndarray) -> None:
        """The posture's wrapped error and dq into the stacked vector [wrap; dq; 1]."""
        wrap = self._wrap
        np.subtract(self._posture._shift, q, wrap)  # out positional (cheaper)
        np.remainder(wrap, self._posture._two_pi, wrap)  # + pi: the shortest way round
        self._dq[:] = dq

    def _rest(self, q: np.ndarray, dq: np.ndarray, total: np.ndarray | None):
        """``total`` plus the joint-limit push and the other tasks' outputs (None: zero)."""
        if self._limits is not None:
            push = self._limits.push(q)
            if push is not None:
                total = push if total is None else total + push
        shape = (self.dof,)
        for task in self._others:
            r = task.generate(q, dq)
            if r.__class__ is not np.ndarray or r.shape != shape or r.dtype.char != "d":
                r = as_vector(r, self.dof, f"the output of null-space task {task!r}", finite=False)
            total = r if total is None else total + r
        return total

    def generate(self, q: np.ndarray, dq: np.ndarray) -> np.ndarray | None:
        """The summed acceleration (N,), rad/s^2, or None when every task gives zero.

        Raises
        ------
        InputError
            A task other than the built-in ones returns something that is not N floats.
        """
        total = None
        if self._posture is not None:
            # RestingPosture.generate, with every damping task's -kv dq folded in.
            self._fill(q, dq)
            total = self._gains.dot(self._stacked)
        elif self._neg_kv is not None:
            total = self._neg_kv * dq
        return self._rest(q, dq, total)
