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


@runtime_checkable
class KinematicSource(Protocol):
    dof: int

    def fk(self, q, link: str | None = None) -> np.ndarray: ...

    def jacobian(self, q, link: str | None = None, point=None) -> np.ndarray: ...


@runtime_checkable
class DynamicSource(Protocol):
    def mass_matrix(self, q) -> np.ndarray: ...

    def gravity(self, q) -> np.ndarray: ...


def position_of(fk_result: np.ndarray) -> np.ndarray:
    """Position from an ``fk`` result, whether a (…, 4, 4) transform or (…, 3) position."""
    arr = np.asarray(fk_result)
    if arr.shape[-2:] == (4, 4):
        return arr[..., :3, 3]
    if arr.shape[-1] == 3:
        return arr
    raise ValueError(f"fk returned shape {arr.shape}; expected (..., 4, 4) or (..., 3)")


def has_dynamics(source: object) -> bool:
    return callable(getattr(source, "mass_matrix", None)) and callable(
        getattr(source, "gravity", None)
    )
