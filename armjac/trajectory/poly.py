"""Piecewise quintic polynomials in R^n: point-to-point and through via points.

The same code serves task space (n = 3, a speed limit on the norm of the
velocity) and joint space (n = dof, one limit per joint).
"""

from __future__ import annotations

import numpy as np
from numpy.polynomial import polynomial as P
from numpy.typing import ArrayLike

from armjac.errors import InputError
from armjac.trajectory.base import Trajectory, check_positive
from armjac.validation import as_float_array, check_finite

# Peaks of the rest-to-rest quintic 10t^3 - 15t^4 + 6t^5 over a unit distance and duration.
MIN_JERK_PEAK_VELOCITY = 15.0 / 8.0
MIN_JERK_PEAK_ACCELERATION = 10.0 / np.sqrt(3.0)


def quintic_coefficients(p0, v0, a0, p1, v1, a1, duration: float) -> np.ndarray:
    """Coefficients (n, 6), ascending powers of t, of the quintic meeting both end states.

    Each argument is a scalar or an (n,) array of positions, velocities and
    accelerations at t = 0 and t = ``duration``.
    """
    p0, v0, a0, p1, v1, a1 = np.broadcast_arrays(*(np.atleast_1d(np.asarray(v, float))
                                                   for v in (p0, v0, a0, p1, v1, a1)))
    T = float(duration)
    d = p1 - p0
    c3 = (20 * d - (8 * v1 + 12 * v0) * T - (3 * a0 - a1) * T**2) / (2 * T**3)
    c4 = (-30 * d + (14 * v1 + 16 * v0) * T + (3 * a0 - 2 * a1) * T**2) / (2 * T**4)
    c5 = (12 * d - 6 * (v1 + v0) * T - (a0 - a1) * T**2) / (2 * T**5)
    return np.stack((p0, v0, 0.5 * a0, c3, c4, c5), axis=-1)


def min_jerk_duration(distance, vmax, amax=None) -> float:
    """Shortest rest-to-rest quintic duration keeping |v| <= vmax and |a| <= amax.

    ``distance``, ``vmax`` and ``amax`` broadcast (one per axis, or one for the
    norm); the result is the longest of the per-axis durations.
    """
    distance = np.abs(np.asarray(distance, float))
    t = MIN_JERK_PEAK_VELOCITY * distance / np.asarray(vmax, float) if vmax is not None else 0.0
    if amax is not None:
        t = np.maximum(t, np.sqrt(MIN_JERK_PEAK_ACCELERATION * distance / np.asarray(amax, float)))
    return float(np.max(t))


def peak(coeffs: np.ndarray, duration: float, order: int, norm: bool) -> np.ndarray:
    """Exact peak over [0, duration] of the ``order``-th derivative of polynomials.

    ``coeffs`` is (n, m). With ``norm`` the peak of the Euclidean norm across
    the n rows (a (1,) array), otherwise one peak per row. Extremes lie at the
    ends or where d/dt of the squared value vanishes, so that polynomial's
    real roots give them without sampling.
    """
    der = [P.polyder(c, order) for c in coeffs]
    groups = [der] if norm else [[d] for d in der]
    out = []
    for group in groups:
        square = sum(P.polymul(d, d) for d in group)
        slope = np.trim_zeros(sum(P.polymul(d, P.polyder(d)) for d in group), "b")
        cand = [0.0, duration]
        if len(slope) > 1:
            cand += [r.real for r in P.polyroots(slope)
                     if abs(r.imag) <= 1e-9 * max(1.0, abs(r)) and 0.0 < r.real < duration]
        out.append(np.sqrt(max(float(np.max(P.polyval(np.array(cand), square))), 0.0)))
    return np.array(out)


class PolyPath(Trajectory):
    """Piecewise polynomial trajectory in R^n.

    Parameters
    ----------
    breaks : (k + 1,) array
        Segment start times, from 0 to the duration, strictly increasing.
    coeffs : (k, n, m) array
        Per segment and axis, ascending powers of the time since the segment's start.
    """

    def __init__(self, breaks: ArrayLike, coeffs: ArrayLike):
        self.breaks = np.asarray(breaks, float)
        self.coeffs = np.asarray(coeffs, float)
        if self.breaks[0] != 0.0 or np.any(np.diff(self.breaks) <= 0):
            raise InputError(f"breaks must start at 0 and increase; got {self.breaks}")
        self.duration = float(self.breaks[-1])
        self.dim = self.coeffs.shape[1]
        m = self.coeffs.shape[2]
        powers = np.arange(m)
        self._d1 = self.coeffs[..., 1:] * powers[1:]
        self._d2 = self._d1[..., 1:] * powers[1:-1]

    def _sample(self, t):
        seg = np.clip(np.searchsorted(self.breaks, t, side="right") - 1, 0, len(self.coeffs) - 1)
        dt = (t - self.breaks[seg])[:, None]
        return tuple(_horner(c[seg], dt) for c in (self.coeffs, self._d1, self._d2))

    def peaks(self, norm: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Exact peak |velocity| and |acceleration|: per axis, or of the norm with ``norm``."""
        durations = np.diff(self.breaks)
        segs = list(zip(self.coeffs, durations, strict=True))
        v = np.max([peak(c, T, 1, norm) for c, T in segs], axis=0)
        a = np.max([peak(c, T, 2, norm) for c, T in segs], axis=0)
        return v, a


def _horner(c: np.ndarray, dt: np.ndarray) -> np.ndarray:
    """Evaluate (k, n, m) ascending coefficients at (k, 1) times."""
    out = c[..., -1].copy()
    for j in range(c.shape[-1] - 2, -1, -1):
        out = out * dt + c[..., j]
    return out


def _points(value, name: str, n: int | None = None) -> np.ndarray:
    arr = as_float_array(value, name)
    check_finite(arr, name)
    if arr.ndim != 1 or (n is not None and arr.shape != (n,)):
        want = f"({n},)" if n is not None else "a 1-D vector"
        raise InputError(f"{name} must have shape {want}; got shape {arr.shape}")
    return arr


def _limits(vmax, amax, n: int) -> tuple[np.ndarray | None, np.ndarray | None, bool]:
    """Limits as arrays; a scalar limit applies to the norm, an (n,) one per axis."""
    out = []
    norm = True
    for name, lim in (("vmax", vmax), ("amax", amax)):
        if lim is None:
            out.append(None)
            continue
        arr = np.atleast_1d(as_float_array(lim, name))
        if arr.shape not in ((1,), (n,)) or not np.all(np.isfinite(arr) & (arr > 0)):
            raise InputError(f"{name} must be > 0, one value or {n}; got {lim!r}")
        norm = norm and arr.shape == (1,)
        out.append(arr)
    return out[0], out[1], norm


def _scale_to_limits(breaks_durations, build, vmax, amax, norm: bool):
    """Stretch all segment durations by one factor so the binding limit is met exactly.

    Valid when positions stay fixed and every boundary rate scales with the
    durations (rest ends, via velocities from secants): velocities then scale
    as 1/k and accelerations as 1/k^2.
    """
    path = build(breaks_durations)
    v, a = path.peaks(norm)
    k = 0.0
    if vmax is not None:
        k = max(k, float(np.max(v / vmax)))
    if amax is not None:
        k = max(k, float(np.sqrt(np.max(a / amax))))
    return build(breaks_durations * k)


def quintic(
    start: ArrayLike,
    end: ArrayLike,
    duration: float | None = None,
    *,
    v0: ArrayLike = 0.0,
    v1: ArrayLike = 0.0,
    a0: ArrayLike = 0.0,
    a1: ArrayLike = 0.0,
    vmax: ArrayLike | None = None,
    amax: ArrayLike | None = None,
) -> PolyPath:
    """Quintic from ``start`` to ``end`` in R^n meeting velocities and accelerations at both ends.

    With zero boundary rates (the default) this is the minimum-jerk profile
    10s^3 - 15s^4 + 6s^5 along the straight line.

    Parameters
    ----------
    start, end : (n,) arrays
    duration : float, optional
        Seconds. If omitted, the shortest duration that keeps the peaks within
        ``vmax``/``amax``: in closed form at rest ends, by bisection on the
        exact peaks otherwise.
    v0, v1, a0, a1 : scalar or (n,) arrays
        Boundary velocities and accelerations.
    vmax, amax : scalar or (n,) arrays, optional
        A scalar bounds the norm (a task-space speed); (n,) bounds each axis
        (joint limits).

    Raises
    ------
    InputError
        Bad shapes or values, neither ``duration`` nor ``vmax``/``amax``, or
        boundary velocities already above ``vmax``.
    """
    p0 = _points(start, "start")
    n = p0.shape[0]
    p1 = _points(end, "end", n)
    rates = [np.broadcast_to(_rate(v, name, n), (n,)) for v, name in
             ((v0, "v0"), (a0, "a0"), (v1, "v1"), (a1, "a1"))]
    vm, am, norm = _limits(vmax, amax, n)

    def build(T: float) -> PolyPath:
        c = quintic_coefficients(p0, rates[0], rates[1], p1, rates[2], rates[3], T)
        return PolyPath([0.0, T], c[None])

    if duration is not None:
        return build(check_positive(duration, "duration"))
    if vm is None and am is None:
        raise InputError("quintic needs a duration, or vmax/amax to compute one")
    at_rest = not any(np.any(r) for r in rates)
    dist = np.linalg.norm(p1 - p0) if norm else p1 - p0
    if not np.any(dist):
        raise InputError("start and end are the same point; give a duration")
    if at_rest:
        return build(min_jerk_duration(dist, vm, am))
    return build(_fit_duration(build, min_jerk_duration(dist, vm, am), vm, am, norm, rates))


def _rate(v, name, n):
    arr = np.atleast_1d(as_float_array(v, name))
    check_finite(arr, name)
    if arr.shape not in ((1,), (n,)):
        raise InputError(f"{name} must be a scalar or have shape ({n},); got shape {arr.shape}")
    return arr


def _fit_duration(build, guess: float, vm, am, norm: bool, rates) -> float:
    """Shortest duration whose exact peaks meet the limits (bisection)."""
    if vm is not None:
        for name, r in (("v0", rates[0]), ("v1", rates[2])):
            size = np.linalg.norm(r) if norm else np.abs(r)
            if np.any(size > vm):
                raise InputError(f"boundary velocity {name}={r} already exceeds vmax={vm}")

    def ok(T: float) -> bool:
        v, a = build(T).peaks(norm)
        return (vm is None or np.all(v <= vm * (1 + 1e-12))) and (
            am is None or np.all(a <= am * (1 + 1e-12)))

    hi = max(guess, 1e-6)
    for _ in range(60):
        if ok(hi):
            break
        hi *= 2.0
    else:
        raise InputError("no duration meets the limits with these boundary rates")
    lo = hi / 2.0
    while ok(lo) and lo > 1e-9:
        hi, lo = lo, lo / 2.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if ok(mid) else (mid, hi)
    return hi


def via_points(
    points: ArrayLike,
    times: ArrayLike | None = None,
    *,
    vmax: ArrayLike | None = None,
    amax: ArrayLike | None = None,
) -> PolyPath:
    """A path through ``points`` (k + 1, n), starting and ending at rest.

    Each segment is a quintic. The velocity at an inner point is, per axis,
    the mean of the two neighbouring secant velocities, or zero where they
    differ in sign (the path then does not overshoot that point on that
    axis); the acceleration there is zero. Velocity and acceleration are
    therefore continuous everywhere.

    Parameters
    ----------
    points : (k + 1, n) array, k >= 1
        Consecutive points must differ.
    times : (k + 1,) array, optional
        Arrival times, starting at 0. If omitted, all segment durations are
        stretched by one common factor until the binding limit is met exactly.
    vmax, amax : scalar or (n,) arrays, optional
        As in :func:`quintic`.
    """
    pts = as_float_array(points, "points")
    check_finite(pts, "points")
    if pts.ndim != 2 or pts.shape[0] < 2:
        raise InputError(f"points must have shape (k + 1, n) with k >= 1; got shape {pts.shape}")
    n = pts.shape[1]
    steps = np.diff(pts, axis=0)
    if np.any(np.all(steps == 0, axis=1)):
        raise InputError("consecutive via points must differ")
    vm, am, norm = _limits(vmax, amax, n)

    def build(durations: np.ndarray) -> PolyPath:
        secant = steps / durations[:, None]
        vel = np.zeros_like(pts)
        same = np.sign(secant[:-1]) == np.sign(secant[1:])
        vel[1:-1] = np.where(same, 0.5 * (secant[:-1] + secant[1:]), 0.0)
        zero = np.zeros(n)
        coeffs = [quintic_coefficients(pts[i], vel[i], zero, pts[i + 1], vel[i + 1], zero, T)
                  for i, T in enumerate(durations)]
        return PolyPath(np.concatenate(([0.0], np.cumsum(durations))), coeffs)

    if times is not None:
        tt = as_float_array(times, "times")
        if tt.shape != (len(pts),) or tt[0] != 0.0 or np.any(np.diff(tt) <= 0):
            raise InputError(f"times must be {len(pts)} increasing values from 0; got {tt}")
        return build(np.diff(tt))
    if vm is None and am is None:
        raise InputError("via_points needs times, or vmax/amax to compute them")
    dist = np.linalg.norm(steps, axis=1) if norm else steps
    first = np.array([min_jerk_duration(d, vm, am) for d in dist])
    return _scale_to_limits(first, build, vm, am, norm)
