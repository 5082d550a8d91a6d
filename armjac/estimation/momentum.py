"""The generalized momentum and its rate without the external torque, from any dynamics source.

With ``M qdd + C dq + g = tau + tau_ext`` and ``dM/dt = C + C^T``, the momentum
``p = M dq`` obeys ``dp/dt = tau + tau_ext + C^T dq - g``: no joint acceleration
appears. :func:`momentum_terms` returns ``(p, n)`` with ``n = C^T dq - g`` from
the best a source offers:

* ``momentum_terms(q, dq)`` -- one fused kernel (the analytic :class:`~armjac.arm.Arm`);
* ``coriolis(q, dq)`` -- the Christoffel matrix, transposed;
* only ``mass_matrix`` -- ``C^T dq = 1/2 d(dq^T M dq)/dq`` by central differences of
  ``M`` (2 N evaluations per step: for reference sources such as PyBullet's, not for
  a 1 kHz loop).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from armjac.errors import InputError
from armjac.protocols import has_dynamics

Terms = Callable[[np.ndarray, np.ndarray, np.ndarray], None]

# Relative step of the central differences of M (its truncation error is O(h^2)).
_FD_STEP = 1e-6


def momentum_terms(source: object) -> Terms:
    """A function ``(q, dq, out)`` writing ``p = M(q) dq`` into ``out[0]`` and
    ``n = C(q, dq)^T dq - g(q)`` into ``out[1]`` (``out`` a C-contiguous (2, N) array).

    Parameters
    ----------
    source : object with ``mass_matrix`` and ``gravity``
        Any dynamics source (an Arm, an adjusted or calibrated arm, PyBulletModel).

    Raises
    ------
    InputError
        ``source`` has no dynamics.
    """
    if not has_dynamics(source):
        raise InputError(
            f"{source!r} has no mass_matrix()/gravity(): the momentum observer needs a "
            "dynamics source (an Arm, an adjusted or calibrated arm, a PyBulletModel)"
        )
    fused = getattr(source, "momentum_terms", None)
    if callable(fused):
        return _from_kernel(fused)
    if callable(getattr(source, "coriolis", None)):
        return _from_coriolis(source)
    return _from_mass_differences(source)


def _from_kernel(fused) -> Terms:
    return fused  # ``momentum_terms(q, dq, out)``: the kernel checks q and dq, fills out


def _from_coriolis(source) -> Terms:
    mass, cor, grav = source.mass_matrix, source.coriolis, source.gravity

    def terms(q: np.ndarray, dq: np.ndarray, out: np.ndarray) -> None:
        out[0] = mass(q).dot(dq)
        out[1] = dq.dot(cor(q, dq)) - grav(q)

    return terms


def _from_mass_differences(source) -> Terms:
    mass, grav = source.mass_matrix, source.gravity

    def terms(q: np.ndarray, dq: np.ndarray, out: np.ndarray) -> None:
        n = q.size
        half = np.empty(n)
        for i in range(n):
            h = _FD_STEP * max(1.0, abs(q[i]))
            up, down = q.copy(), q.copy()
            up[i] += h
            down[i] -= h
            dm = (mass(up) - mass(down)) / (2.0 * h)
            half[i] = 0.5 * dq.dot(dm).dot(dq)
        out[0] = mass(q).dot(dq)
        out[1] = half - grav(q)

    return terms
