"""Small dense linear algebra for the control law: few calls, no warnings, no surprises.

At 3x3 to 7x7 the cost of numpy's linear algebra is the Python around LAPACK,
not the arithmetic: ``np.linalg.inv`` takes about 3.3 us, its LAPACK gufunc
called directly 2 us, and ``eigh`` 5 us. So the control law calls the gufuncs
directly (:func:`inverse`) and takes the symmetric eigendecomposition only
near a singularity (:func:`damped_inverse_sym`).
"""

from __future__ import annotations

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


def inverse(a: np.ndarray) -> np.ndarray:
    """Inverse of a small square float64 matrix; NaN (never a warning) when singular."""
    if _EXTOBJ is not None:
        return _inv(a, signature="d->d", extobj=_EXTOBJ)
    with np.errstate(all="ignore"):
        return _inv(a, signature="d->d")


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
