"""Small dense linear algebra for the control law: few calls, no warnings, no surprises.

At 3x3 to 7x7 the cost of numpy's linear algebra is the Python around LAPACK,
not the arithmetic: ``np.linalg.inv`` takes about 3.3 us, its LAPACK gufunc
called directly 2 us, and ``eigh`` 5 us. So the control law calls the gufuncs
directly (:func:`inverse`) and takes the symmetric eigendecomposition only
near a singularity (:func:`damped_inverse_sym`, :class:`DampedSolver`).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import numpy as np
from numpy.linalg import _umath_linalg

_inv = _umath_linalg.inv
# numpy 1.x gufuncs take an error-handling object; errmask 0 ignores every
# floating-point error, so a singular matrix gives NaN instead of a warning.
# numpy 2 dropped the argument and takes np.errstate instead.
try:
    _inv(np.eye(1), signature="d->d", extobj=[np.getbufsize(), 0, None])
    _EXTOBJ: list | None = [np.getbufsize(), 0, None]
except TypeError:
    _EXTOBJ = None


def _quiet(gufunc):
    """``gufunc`` with floating-point errors ignored (NaN out, no warning).

    The inputs must be float64 (the control law's always are): no ``signature``
    is passed, as parsing one costs more than a small Cholesky factorisation.
    On numpy 1.x this is a ``functools.partial`` (no Python frame per call).
    """
    if _EXTOBJ is not None:
        return partial(gufunc, extobj=_EXTOBJ)

    def call(*args: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return gufunc(*args)

    return call


inverse = _quiet(_inv)
inverse.__doc__ = "Inverse of a small square float64 matrix; NaN (never a warning) when singular."
# clip(x, lo, hi, out=None): numpy's clip ufunc itself, without np.clip's Python
# wrapper (a tenth of its cost on a 7-vector; half that of np.maximum then np.minimum).
try:  # numpy 2
    from numpy._core import umath as _umath
except ImportError:  # numpy 1.x
    from numpy.core import umath as _umath
clip = _umath.clip
solve = _quiet(_umath_linalg.solve)
solve.__doc__ = (
    "``a^-1 b`` for a small square float64 ``a`` and a matrix ``b`` (one LU, no inverse "
    "formed); NaN (never a warning) when ``a`` is singular."
)


def damped_inverse_sym(a: np.ndarray, threshold: float) -> np.ndarray:
    """Inverse of a symmetric positive semi-definite matrix, damped near singularity.

    Eigenvalues ``lam >= threshold`` are inverted exactly; below it ``1/lam``
    is replaced by ``lam / threshold**2`` (damped least squares with variable
    damping ``threshold**2 - lam**2``). That is continuous at the threshold, goes
    to 0 at ``lam = 0`` and never exceeds ``1 / threshold``, so the
    operational-space inertia stays finite and bounded at a singularity: the
    singular direction gets no task force instead of an unbounded one.

    The plain inverse is tried first: when its Frobenius norm is at most
    ``1 / threshold`` every eigenvalue of ``a`` is at least ``threshold`` and
    it is the exact answer. Otherwise the eigendecomposition decides.

    Parameters
    ----------
    a : (k, k) array
        Symmetric, e.g. ``J M^-1 J^T``.
    threshold : float
        Eigenvalue below which damping starts (same units as ``a``).
    """
    inv = inverse(a)
    flat = inv.reshape(-1)
    # NaN (singular) fails the comparison too.
    if flat.dot(flat) * threshold * threshold <= 1.0:
        return inv
    return _damped_eigh(a, threshold)


def _damped_eigh(a: np.ndarray, threshold: float) -> np.ndarray:
    if not np.isfinite(a).all():  # a broken source: let the output check name it
        return np.full_like(a, np.nan)
    lam, vec = np.linalg.eigh(a)
    lam = np.maximum(lam, 0.0)
    inv = np.where(lam >= threshold, 1.0 / np.maximum(lam, threshold), lam / threshold**2)
    return (vec * inv) @ vec.T


_cholesky = _umath_linalg.cholesky_lo
_solve1 = _umath_linalg.solve1


_cholesky_quiet = _quiet(_cholesky)


class DampedSolver:
    """``a^-1 b`` for symmetric positive semi-definite (k, k) ``a``, damped near singularity.

    The damping is that of :func:`damped_inverse_sym`. The usual case costs one
    Cholesky factorisation and one solve: the factorisation of
    ``a - threshold I`` exists exactly when every eigenvalue of ``a`` exceeds
    ``threshold``, and then the plain solve is the answer. Otherwise the
    damped inverse is formed from the eigendecomposition.

    Several systems of the same size are solved in one call (one LAPACK
    gufunc call each for the test and the solve) when ``thresholds`` lists one
    threshold per system: ``a`` is then (m, k, k) and ``b`` (m, k).

    Parameters
    ----------
    k : int
        Size of ``a``.
    thresholds : float or two floats
        Eigenvalue below which damping starts, per system (one or two systems).
    """

    def __init__(self, k: int, thresholds: float | Sequence[float]):
        thr = np.atleast_1d(np.asarray(thresholds, dtype=float))
        self.thresholds = thr
        self._shift = np.eye(k) * thr[:, None, None]
        if thr.size == 1:
            self._shift = self._shift[0]
        self._shifted = np.empty_like(self._shift)  # a - threshold I, rewritten at every solve
        # Flat index of the last diagonal entry of each factor (one or two systems: the
        # control law's cases, checked without a loop).
        last = [(i + 1) * k * k - 1 for i in range(thr.size)]
        self._first, self._second = last[0], (last[1] if len(last) > 1 else None)
        if len(last) > 2:
            raise ValueError("DampedSolver solves one or two systems")

    def solve(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``a^-1 b``, exact when every eigenvalue of ``a`` exceeds its threshold."""
        factor = _cholesky_quiet(np.subtract(a, self._shift, self._shifted))
        # A failed factorisation is all NaN, so its last diagonal entry decides.
        second = self._second
        if factor.item(self._first) > 0.0 and (second is None or factor.item(second) > 0.0):
            return _solve1(a, b)
        if a.ndim == 2:
            return _damped_eigh(a, float(self.thresholds[0])).dot(b)
        return np.stack(
            [
                _damped_eigh(ai, float(t)).dot(bi)
                for ai, bi, t in zip(a, b, self.thresholds, strict=True)
            ]
        )
