"""Task-space paths on a shared time law: lines (with SLERP orientation) and circles."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from armjac.errors import InputError
from armjac.rotation import (
    as_quaternion,
    quat_conjugate,
    quat_from_rotvec,
    quat_multiply,
    rotvec_from_quat,
)
from armjac.trajectory.base import Trajectory, check_positive
from armjac.trajectory.poly import MIN_JERK_PEAK_VELOCITY, min_jerk_duration, quintic
from armjac.validation import as_float_array, as_vector, check_finite

PROFILES = ("min_jerk", "quintic", "cruise")


class TimeLaw:
    """Progress s(t) from 0 to 1 over ``duration``, with its first two derivatives."""

    duration: float

    def __call__(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        raise NotImplementedError


class QuinticLaw(TimeLaw):
    """s(t) a quintic with rates ``sd0``/``sd1`` (1/s) at the ends; 0, 0 is minimum jerk."""

    def __init__(self, duration: float | None, sd0: float = 0.0, sd1: float = 0.0,
                 sdmax: float | None = None, sddmax: float | None = None):
        self._path = quintic([0.0], [1.0], duration, v0=sd0, v1=sd1, vmax=sdmax, amax=sddmax)
        self.duration = self._path.duration

    def __call__(self, t):
        s, sd, sdd = self._path._sample(t)
        return s[:, 0], sd[:, 0], sdd[:, 0]


class CruiseLaw(TimeLaw):
    """Constant rate ``speed`` (1/s) between two minimum-jerk blends of ``ramp`` seconds each.

    In a blend the rate follows 10u^3 - 15u^4 + 6u^5 (u the blend's elapsed
    fraction), so acceleration is continuous and peaks at 1.875 speed / ramp.
    """

    def __init__(self, speed: float, ramp: float):
        self.speed = check_positive(speed, "speed")
        self.ramp = float(ramp)
        if not 0.0 <= self.ramp * self.speed <= 1.0 + 1e-12:
            raise InputError(
                f"the blends ({ramp} s each at rate {speed}) cover more than the whole path"
            )
        self.duration = 1.0 / self.speed + self.ramp

    def _up(self, t):
        V, tr = self.speed, self.ramp
        if tr == 0.0:
            return V * t, np.full_like(t, V), np.zeros_like(t)
        u = np.clip(t / tr, 0.0, 1.0)
        s = V * tr * u**4 * (2.5 - 3.0 * u + u * u) + V * np.maximum(t - tr, 0.0)
        sd = V * u**3 * (10.0 - 15.0 * u + 6.0 * u * u)
        sdd = V * u**2 * (30.0 - 60.0 * u + 30.0 * u * u) / tr
        return s, sd, sdd

    def __call__(self, t):
        half = t <= 0.5 * self.duration
        s1, sd1, sdd1 = self._up(t)
        s2, sd2, sdd2 = self._up(self.duration - t)
        return (np.where(half, s1, 1.0 - s2), np.where(half, sd1, sd2),
                np.where(half, sdd1, -sdd2))


def time_law(profile: str, duration: float | None, sdmax: float | None, sddmax: float | None,
             *, ramp: float | None = None, sd0: float = 0.0, sd1: float = 0.0) -> TimeLaw:
    """The normalised time law of ``profile`` meeting the rate limits ``sdmax``/``sddmax``.

    ``duration`` wins when given. ``cruise`` without a duration cruises at
    ``sdmax`` with blends as short as ``sddmax`` allows (or ``ramp`` seconds),
    and lowers the cruise rate when the path is too short to reach it.
    """
    if profile not in PROFILES:
        raise InputError(f"profile must be one of {PROFILES}; got {profile!r}")
    if duration is None and sdmax is None and sddmax is None:
        raise InputError("give a duration, or velocity/acceleration limits to compute one")
    if profile == "min_jerk":
        if sd0 or sd1:
            raise InputError("min_jerk starts and ends at rest; use profile='quintic' for rates")
        if duration is None:
            duration = min_jerk_duration(1.0, sdmax, sddmax)
        return QuinticLaw(check_positive(duration, "duration"))
    if profile == "quintic":
        return QuinticLaw(duration, sd0, sd1, sdmax, sddmax)
    return _cruise(duration, sdmax, sddmax, ramp)


def _cruise(duration, sdmax, sddmax, ramp) -> CruiseLaw:
    if duration is not None:
        duration = check_positive(duration, "duration")
        ramp = 0.2 * duration if ramp is None else float(ramp)
        if not 0.0 <= ramp <= 0.5 * duration:
            raise InputError(f"ramp must be in [0, duration/2]; got {ramp}")
        return CruiseLaw(1.0 / (duration - ramp), ramp)
    if sdmax is None:
        raise InputError("profile 'cruise' needs a duration or a speed limit")
    speed = sdmax
    if ramp is None:
        if sddmax is None:
            raise InputError("profile 'cruise' needs an acceleration limit or a ramp time")
        # Blends meeting sddmax; if both would not fit, cruise slower.
        speed = min(sdmax, float(np.sqrt(sddmax / MIN_JERK_PEAK_VELOCITY)))
        ramp = MIN_JERK_PEAK_VELOCITY * speed / sddmax
    return CruiseLaw(speed, min(float(ramp), 1.0 / speed))


def _rate_limit(limit, length: float) -> float | None:
    return None if limit is None or length == 0 else check_positive(limit, "limit") / length


def _min_limit(*values):
    values = [v for v in values if v is not None]
    return min(values) if values else None


def parse_pose(value: ArrayLike, name: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Position and unit quaternion (or None) from (3,), (7,) [position, xyzw] or 4x4."""
    arr = as_float_array(value, name)
    check_finite(arr, name)
    if arr.shape == (3,):
        return arr, None
    if arr.shape == (7,):
        return arr[:3], as_quaternion(arr[3:], name)
    if arr.shape == (4, 4):
        return arr[:3, 3], as_quaternion(arr[:3, :3], name)
    raise InputError(
        f"{name} must be a position (3,), position + quaternion xyzw (7,) or a 4x4 pose; "
        f"got shape {arr.shape}"
    )


class Line(Trajectory):
    """Straight line from ``start`` to ``end``, orientation by SLERP on the same time law.

    Parameters
    ----------
    start, end : (3,), (7,) or (4, 4) arrays
        Positions, position + quaternion (x, y, z, w), or 4x4 poses. If one
        has an orientation both must; samples are then (7,) poses with (6,)
        rates, else (3,) positions.
    duration : float, optional
        Seconds; computed from the limits when omitted.
    profile : {"min_jerk", "quintic", "cruise"}
        ``min_jerk`` is the rest-to-rest quintic; ``quintic`` also takes end
        speeds ``v0``/``v1`` (m/s along the line); ``cruise`` moves at constant
        speed between two minimum-jerk blends (``ramp`` s each).
    vmax, amax : float, optional
        Limits on linear speed and acceleration (m/s, m/s^2).
    wmax, alphamax : float, optional
        Limits on angular speed and acceleration (rad/s, rad/s^2).
    """

    def __init__(self, start: ArrayLike, end: ArrayLike, duration: float | None = None, *,
                 profile: str = "min_jerk", vmax: float | None = None,
                 amax: float | None = None, wmax: float | None = None,
                 alphamax: float | None = None, ramp: float | None = None,
                 v0: float = 0.0, v1: float = 0.0):
        self.p0, self.q0 = parse_pose(start, "start")
        self.p1, q1 = parse_pose(end, "end")
        if (self.q0 is None) != (q1 is None):
            raise InputError("start and end must both have an orientation, or neither")
        self.delta = self.p1 - self.p0
        length = float(np.linalg.norm(self.delta))
        self.rotvec = np.zeros(3) if q1 is None else rotvec_from_quat(
            quat_multiply(q1, quat_conjugate(self.q0)))
        angle = float(np.linalg.norm(self.rotvec))
        if length == 0.0 and angle == 0.0 and duration is None:
            raise InputError("start and end are the same pose; give a duration")
        if (v0 or v1) and length == 0.0:
            raise InputError("end speeds v0/v1 need a line of non-zero length")
        sdmax = _min_limit(_rate_limit(vmax, length), _rate_limit(wmax, angle))
        sddmax = _min_limit(_rate_limit(amax, length), _rate_limit(alphamax, angle))
        if duration is None and sdmax is None and sddmax is None:
            raise InputError("give a duration, or limits on the moving part (linear or angular)")
        rates = (v0 / length, v1 / length) if length else (0.0, 0.0)
        self.law = time_law(profile, duration, sdmax, sddmax, ramp=ramp, sd0=rates[0],
                            sd1=rates[1])
        self.duration = self.law.duration

    def _sample(self, t):
        s, sd, sdd = (v[:, None] for v in self.law(t))
        x, xd, xdd = self.p0 + s * self.delta, sd * self.delta, sdd * self.delta
        if self.q0 is None:
            return x, xd, xdd
        quat = quat_multiply(quat_from_rotvec(s * self.rotvec), self.q0)
        return (np.concatenate((x, quat), axis=1), np.concatenate((xd, sd * self.rotvec), axis=1),
                np.concatenate((xdd, sdd * self.rotvec), axis=1))


class Circle(Trajectory):
    """Arc of ``angle`` rad about ``center`` in the plane normal to ``normal``, from ``start``.

    The direction is right-handed about ``normal``. ``vmax`` bounds the speed
    and ``amax`` the acceleration along the path; the centripetal part
    (speed^2 / radius) comes on top. An ``orientation`` (quaternion xyzw,
    3x3 matrix or rotation vector) is held fixed and makes samples (7,) poses.
    Other arguments as for :class:`Line`.
    """

    def __init__(self, center: ArrayLike, normal: ArrayLike, start: ArrayLike,
                 angle: float = 2 * np.pi, duration: float | None = None, *,
                 profile: str = "min_jerk", vmax: float | None = None,
                 amax: float | None = None, ramp: float | None = None,
                 orientation: ArrayLike | None = None):
        self.center = as_vector(center, 3, "center")
        nrm = as_vector(normal, 3, "normal")
        if np.linalg.norm(nrm) < 1e-12:
            raise InputError("normal must be non-zero")
        self.normal = nrm / np.linalg.norm(nrm)
        arm = as_vector(start, 3, "start") - self.center
        self.radius = float(np.linalg.norm(arm))
        if self.radius < 1e-9 or abs(arm @ self.normal) > 1e-6 * max(self.radius, 1e-3):
            raise InputError("start must lie off the centre, in the plane normal to normal")
        self.u = arm / self.radius
        self.w = np.cross(self.normal, self.u)
        self.angle = float(angle)
        if not np.isfinite(self.angle) or self.angle == 0.0:
            raise InputError(f"angle must be finite and non-zero; got {angle!r}")
        length = self.radius * abs(self.angle)
        self.law = time_law(profile, duration, _rate_limit(vmax, length),
                            _rate_limit(amax, length), ramp=ramp)
        self.duration = self.law.duration
        self.quat = None if orientation is None else as_quaternion(orientation, "orientation")

    def _sample(self, t):
        s, sd, sdd = (v[:, None] for v in self.law(t))
        phi, phid, phidd = self.angle * s, self.angle * sd, self.angle * sdd
        radial = np.cos(phi) * self.u + np.sin(phi) * self.w
        tangent = -np.sin(phi) * self.u + np.cos(phi) * self.w
        r = self.radius
        x = self.center + r * radial
        xd = r * phid * tangent
        xdd = r * phidd * tangent - r * phid**2 * radial
        if self.quat is None:
            return x, xd, xdd
        zero = np.zeros_like(x)
        quat = np.broadcast_to(self.quat, (len(t), 4))
        return (np.concatenate((x, quat), axis=1), np.concatenate((xd, zero), axis=1),
                np.concatenate((xdd, zero), axis=1))
