"""Small dense linear algebra for the control law, kept to one factorisation each."""

from __future__ import annotations

import numpy as np

from armjac.errors import SingularityError


def damped_inverse_sym(a: np.ndarray, threshold: float) -> np.ndarray:
    """Inverse of a symmetric positive semi-definite matrix, damped near singularity.

    Eigenvalues ``lam >= threshold`` are inverted exactly; below it ``1/lam``
    is replaced by ``lam / threshold**2`` (damped least squares with variable
    damping ``threshold**2 - lam**2``). That is continuous at the threshold, goes
    to 0 at ``lam = 0`` and never exceeds ``1 / threshold``, so the
    operational-space inertia stays finite and bounded at a singularity: the
    singular direction gets no task force instead of an unbounded one.

    Parameters
    ----------
    a : (k, k) array
        Symmetric, e.g. ``J M^-1 J^T``.
    threshold : float
        Eigenvalue below which damping starts (same units as ``a``).
    """
    lam, vec = np.linalg.eigh(a)
    if lam[0] >= threshold:
        inv = 1.0 / lam
    else:
        lam = np.maximum(lam, 0.0)
        inv = np.where(lam >= threshold, 1.0 / np.maximum(lam, threshold), lam / threshold**2)
    return (vec * inv) @ vec.T


def solve_spd(m: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``m^-1 b`` for a symmetric positive definite ``m`` (a mass matrix)."""
    try:
        return np.linalg.solve(m, b)
    except np.linalg.LinAlgError:
        raise SingularityError(
            "the mass matrix is singular; check the dynamics source (inertias)"
        ) from None
