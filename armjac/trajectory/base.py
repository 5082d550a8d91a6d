"""What every trajectory shares: the sample type and time handling."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from armjac.errors import InputError
from armjac.validation import as_float_array, check_finite


class Sample(NamedTuple):
    """A trajectory sampled at one time (shapes (n,)) or at k times (shapes (k, n)).

    For a pose trajectory ``x`` is position + quaternion (x, y, z, w), 7 values,
    and ``xd``/``xdd`` are [linear; angular] velocity and acceleration in the
    world frame, 6 values, which is what :class:`~armjac.control.OSC` takes as
    ``target``, ``target_velocity`` and ``target_acceleration``.
    """

    x: np.ndarray
    xd: np.ndarray
    xdd: np.ndarray


def check_times(t: ArrayLike) -> tuple[np.ndarray, bool]:
    """``t`` as a flat float array, and whether it was a scalar."""
    arr = as_float_array(t, "t")
    check_finite(arr, "t")
    if arr.ndim > 1:
        raise InputError(f"t must be a scalar or a 1-D array of times; got shape {arr.shape}")
    return arr.reshape(-1), arr.ndim == 0


def check_positive(value: object, name: str) -> float:
    """A finite, strictly positive float (a duration, a speed, a limit)."""
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a positive number; got {value!r}") from None
    if not (np.isfinite(v) and v > 0.0):
        raise InputError(f"{name} must be finite and > 0; got {value!r}")
    return v


class Trajectory:
    """Base class: a trajectory defined on [0, duration], at rest outside it.

    Subclasses implement :meth:`_sample` on times already clipped to
    [0, duration]; outside that interval the trajectory holds its end points
    with zero velocity and acceleration.
    """

    duration: float

    def sample(self, t: ArrayLike) -> Sample:
        """(x, xd, xdd) at time ``t`` (scalar) or at each time of a 1-D array ``t``."""
        times, scalar = check_times(t)
        inside = (times >= 0.0) & (times <= self.duration)
        x, xd, xdd = self._sample(np.clip(times, 0.0, self.duration))
        if not inside.all():
            xd = np.where(inside[:, None], xd, 0.0)
            xdd = np.where(inside[:, None], xdd, 0.0)
        if scalar:
            return Sample(x[0], xd[0], xdd[0])
        return Sample(x, xd, xdd)

    __call__ = sample

    def _sample(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        raise NotImplementedError
