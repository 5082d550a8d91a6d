"""The quantities one control step needs, in one buffer (:meth:`Arm.control_terms`)."""

from __future__ import annotations

import math

import numpy as np


class ControlTerms:
    """T, x, J, dJdq, M and h of one configuration (or a batch), as views of one array.

    Attributes
    ----------
    T : (4, 4) array
        World transform of the link's URDF frame (the frame origin, not the point).
    x : (3,) array
        World position of the point (``point`` in the link frame; the origin if None).
    J : (6, N) array
        Geometric Jacobian [v; w] at the point, world axes (``frame="world"``).
    dJdq : (6,) array
        dJ/dt · dq at the point, world axes.
    M : (N, N) array
        Joint-space inertia matrix.
    h : (N,) array
        ``C(q, dq) dq + g(q)``, Coriolis, centrifugal and gravity torques.
    data : array
        The flat storage all of these are views of (leading batch axis if any).

    A batch adds a leading axis B to every attribute.
    """

    __slots__ = ("data", "T", "x", "J", "dJdq", "M", "h")

    def __init__(self, data: np.ndarray, layout: dict[str, tuple[int, ...]]):
        self.data = data
        lead = data.shape[:-1]
        start = 0
        for name, shape in layout.items():
            size = math.prod(shape)
            setattr(self, name, data[..., start : start + size].reshape(lead + shape))
            start += size

    def __repr__(self) -> str:
        return f"ControlTerms(dof={self.M.shape[-1]}, batch={self.data.shape[:-1] or None})"
