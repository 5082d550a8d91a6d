"""The small protocol every Jacobian source follows.

A controller needs ``fk`` and ``jacobian``; it uses ``mass_matrix`` and
``gravity`` when the source has them and otherwise takes dynamics from a
second source. The analytic :class:`~armjac.arm.Arm`, PyBullet's own
(:class:`~armjac.sim.pybullet_model.PyBulletModel`) and learned models all
follow it.

Shapes (``q`` of shape (N,); a leading batch axis where a source supports it):

* ``fk(q)`` -> (4, 4) world transform, or (3,) position for a position-only
  source (a learned model of the end-effector position).
* ``jacobian(q)`` -> (6, N) rows [vx, vy, vz, wx, wy, wz], or (3, N) linear rows
  for a position-only source.
* ``mass_matrix(q)`` -> (N, N); ``gravity(q)`` -> (N,).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike


@runtime_checkable
class KinematicSource(Protocol):
    """What a controller needs of a Jacobian source: ``dof``, ``fk`` and ``jacobian``."""

    dof: int

    def fk(self, q: ArrayLike, link: str | None = None) -> np.ndarray:
        """World transform (4, 4) of ``link`` (default: end effector), or (3,) position."""

    def jacobian(
        self, q: ArrayLike, link: str | None = None, point: ArrayLike | None = None
    ) -> np.ndarray:
        """Jacobian (6, N) at ``point`` (link frame) on ``link``, or (3, N) linear rows."""


def position_of(fk_result: np.ndarray) -> np.ndarray:
    """Position from an ``fk`` result, whether a (…, 4, 4) transform or (…, 3) position."""
    arr = np.asarray(fk_result)
    if arr.shape[-2:] == (4, 4):
        return arr[..., :3, 3]
    if arr.shape[-1] == 3:
        return arr
    raise ValueError(f"fk returned shape {arr.shape}; expected (..., 4, 4) or (..., 3)")


def has_dynamics(source: object) -> bool:
    """Whether ``source`` has callable ``mass_matrix`` and ``gravity``."""
    return callable(getattr(source, "mass_matrix", None)) and callable(
        getattr(source, "gravity", None)
    )
