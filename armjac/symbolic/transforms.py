"""Constant transforms from URDF numbers, exact where the URDF means exact.

URDFs write right angles as decimals (1.57079632679) and carry float noise in
axes (0, 1, 6.1e-17). Left as they are, every cos(1.5707963...) and every
6.1e-17 is a tiny non-zero that keeps dead terms alive in the generated code.
So angles within ``SNAP_TOL`` of a multiple of pi/2 are replaced by the exact
value, and constant entries within ``NOISE`` of 0 or +-1 become exact. Either
moves results by less than 1e-11. Constant chains of transforms are multiplied
out numerically, never symbolically.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

SNAP_TOL = 1e-9
NOISE = 1e-14


def _cos_sin(a: float) -> tuple[float, float]:
    """cos and sin of ``a``, exact (0, +-1) when ``a`` is within SNAP_TOL of k*pi/2."""
    k = round(a / (math.pi / 2))
    if abs(a - k * math.pi / 2) < SNAP_TOL:
        return ((1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0))[k % 4]
    return math.cos(a), math.sin(a)


def constant(x: float) -> float:
    """``x`` with float noise around 0 and +-1 removed (those become exact)."""
    x = float(x)
    for exact in (0.0, 1.0, -1.0):
        if abs(x - exact) < NOISE:
            return exact
    return x


def rpy_matrix_numeric(rpy: Sequence[float]) -> np.ndarray:
    """URDF fixed-axis roll-pitch-yaw, R = Rz(yaw) Ry(pitch) Rx(roll), right angles exact."""
    (cr, sr), (cp, s_p), (cy, sy) = (_cos_sin(a) for a in rpy)
    rx = np.array([[1, 0, 0], [0, cr, -sr], [0, sr, cr]])
    ry = np.array([[cp, 0, s_p], [0, 1, 0], [-s_p, 0, cp]])
    rz = np.array([[cy, -sy, 0], [sy, cy, 0], [0, 0, 1]])
    return rz @ ry @ rx


def origin_matrix(xyz: Sequence[float], rpy: Sequence[float]) -> np.ndarray:
    """4x4 transform of a URDF origin, ``xyz`` in m and ``rpy`` in rad."""
    t = np.eye(4)
    t[:3, :3] = rpy_matrix_numeric(rpy)
    t[:3, 3] = xyz
    return t


def axis_rotation(axis: Sequence[float], c, s) -> list[list]:
    """Rodrigues' rotation about a unit ``axis`` by the angle with cosine ``c`` and
    sine ``s``; exact for coordinate axes (float noise in ``axis`` dropped)."""
    a = [constant(v) for v in axis]
    skew = [[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]]
    return [
        [int(i == j) * c + skew[i][j] * s + a[i] * a[j] * (1 - c) for j in range(3)]
        for i in range(3)
    ]
