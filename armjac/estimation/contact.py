"""The contact wrench from external joint torques: ``tau_ext = J^T F``, solved for ``F``.

A torque-controlled arm without a wrist sensor knows the torques the world
exerts on its joints (:class:`~armjac.estimation.observer.MomentumObserver`);
the force at a point follows from the transposed Jacobian at that point. With
``J`` the rows used (3 linear rows for a force, 6 for a wrench), the estimate is
the damped least-squares solution

    F = (J J^T + lambda^2 I)^-1 J tau_ext

with ``lambda`` zero wherever every singular value of ``J`` exceeds
``sqrt(threshold)`` (:class:`~armjac.control.linalg.DampedSolver`): away from
singularities it is the exact pseudo-inverse. Near one, the force along the
direction the arm cannot feel is no longer amplified by ``1/sigma``; it fades to
zero instead (an arm stretched out cannot tell a pull along its length from
nothing: its joints do not feel it).

Where the contact point is unknown, ``wrench`` is the safer estimate for an arm
with six or more joints: the force part of a wrench does not depend on the point
it is expressed at, only its moment does. ``force`` with the 3 linear rows alone
assumes the contact is at ``point``; a contact elsewhere adds the moment
``r x F`` to ``tau_ext``, which the least-squares fit then folds into the force.
"""

from __future__ import annotations

import numpy as np

from armjac.control.linalg import DampedSolver
from armjac.errors import InputError

# Squared singular value (m^2) of the Jacobian rows below which the solve is damped:
# 1 mm of hand motion per radian.
SINGULAR_THRESHOLD = 1e-6


class WrenchSolver:
    """``F = J^{+T} tau`` for the linear rows (a force) or all six rows (a wrench).

    Parameters
    ----------
    rows : {3, 6}
        3: a force from the linear rows; 6: force and moment.
    threshold : float
        Squared singular value of ``J`` below which the solve is damped, m^2.
    """

    def __init__(self, rows: int, threshold: float = SINGULAR_THRESHOLD):
        if rows not in (3, 6):
            raise ValueError(f"rows must be 3 or 6; got {rows}")
        self.rows = rows
        self._solver = DampedSolver(rows, threshold)

    def __call__(self, jac: np.ndarray, tau: np.ndarray) -> np.ndarray:
        """The force (3,) or wrench (6,) whose ``J^T`` image is closest to ``tau``."""
        if jac.shape[0] < self.rows:
            raise InputError(
                f"a {'wrench' if self.rows == 6 else 'force'} needs {self.rows} Jacobian rows; "
                f"the source gives {jac.shape[0]} (a position-only source has no moment rows: "
                "use force())"
            )
        j = jac[: self.rows]
        out = self._solver.solve(j.dot(j.T), j.dot(tau))
        if not np.isfinite(out).all():
            raise InputError(f"the contact estimate is not finite (J^T rows {j.shape}); check J")
        return out
