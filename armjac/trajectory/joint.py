"""Joint-space trajectories within an arm's limits."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from armjac.errors import InputError
from armjac.trajectory.poly import PolyPath, quintic
from armjac.validation import as_vector


def joint_quintic(
    arm,
    q0: ArrayLike,
    q1: ArrayLike,
    duration: float | None = None,
    *,
    vmax: ArrayLike | None = None,
    amax: ArrayLike | None = None,
    **rates,
) -> PolyPath:
    """Joint-space quintic from ``q0`` to ``q1`` for ``arm``, all joints on one duration.

    Parameters
    ----------
    arm : Arm
        Gives the dof, the joint limits that ``q0``/``q1`` must respect, and
        the default ``vmax`` (its URDF velocity limits, where positive).
    duration : float, optional
        Seconds; if omitted, the shortest that keeps every joint within ``vmax``
        and ``amax`` (rad/s, rad/s^2; scalars or one per joint).
    **rates
        ``v0``, ``v1``, ``a0``, ``a1`` as for :func:`~armjac.trajectory.quintic`.
    """
    n = arm.dof
    q0 = as_vector(q0, n, "q0")
    q1 = as_vector(q1, n, "q1")
    lo, hi = arm.joint_limits[:, 0], arm.joint_limits[:, 1]
    for name, q in (("q0", q0), ("q1", q1)):
        bad = (q < lo - 1e-12) | (q > hi + 1e-12)
        if bad.any():
            j = int(np.argmax(bad))
            raise InputError(
                f"{name}[{j}] = {q[j]:.4g} is outside joint {arm.joint_names[j]}'s limits "
                f"[{lo[j]:.4g}, {hi[j]:.4g}]"
            )
    if vmax is None and duration is None:
        limits = np.asarray(arm.velocity_limits, float)
        if np.all(np.isfinite(limits) & (limits > 0)):
            vmax = limits
    if vmax is not None:
        vmax = np.broadcast_to(np.asarray(vmax, float), (n,))
    if amax is not None:
        amax = np.broadcast_to(np.asarray(amax, float), (n,))
    return quintic(q0, q1, duration, vmax=vmax, amax=amax, **rates)
