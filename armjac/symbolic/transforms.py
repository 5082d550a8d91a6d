"""Exact-where-possible sympy transforms built from URDF numbers.

URDFs write right angles as decimals (1.57079632679). Left as floats, every
cos(1.5707963...) becomes a tiny non-zero that keeps dead terms alive and makes
the Jacobian ~40x larger, so angles within ``SNAP_TOL`` of a multiple of pi/2
are replaced by the exact value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import sympy as sp

SNAP_TOL = 1e-9


def exact_angle(a: float) -> sp.Expr:
    """``a`` as a sympy number, snapped to k*pi/2 when within SNAP_TOL of it."""
    k = round(a / (math.pi / 2))
    if abs(a - k * math.pi / 2) < SNAP_TOL:
        return sp.Rational(k, 2) * sp.pi
    return sp.Float(a)


def exact_number(x: float) -> sp.Expr:
    """Integers stay exact so that zeros and ones cancel symbolically."""
    if float(x).is_integer():
        return sp.Integer(int(x))
    return sp.Float(x)


def rpy_matrix(rpy: Sequence[float]) -> sp.Matrix:
    """URDF fixed-axis roll-pitch-yaw: R = Rz(yaw) Ry(pitch) Rx(roll)."""
    r, p, y = (exact_angle(a) for a in rpy)
    cr, sr, cp, s_p, cy, sy = sp.cos(r), sp.sin(r), sp.cos(p), sp.sin(p), sp.cos(y), sp.sin(y)
    rx = sp.Matrix([[1, 0, 0], [0, cr, -sr], [0, sr, cr]])
    ry = sp.Matrix([[cp, 0, s_p], [0, 1, 0], [-s_p, 0, cp]])
    rz = sp.Matrix([[cy, -sy, 0], [sy, cy, 0], [0, 0, 1]])
    return rz * ry * rx


def homogeneous(rot: sp.Matrix, pos: Sequence) -> sp.Matrix:
    """4x4 transform with rotation ``rot`` (3x3) and translation ``pos`` (3 values)."""
    t = sp.eye(4)
    t[:3, :3] = rot
    t[:3, 3] = sp.Matrix(list(pos))
    return t


def origin_transform(xyz: Sequence[float], rpy: Sequence[float]) -> sp.Matrix:
    """4x4 transform of a URDF origin, ``xyz`` in m and ``rpy`` in rad, exact where possible."""
    return homogeneous(rpy_matrix(rpy), [exact_number(v) for v in xyz])


def axis_rotation(axis: Sequence[float], angle: sp.Expr) -> sp.Matrix:
    """Rodrigues' rotation about a unit ``axis``; exact for coordinate axes."""
    a = [exact_number(v) for v in axis]
    ax = sp.Matrix(a)
    c, s = sp.cos(angle), sp.sin(angle)
    skew = sp.Matrix([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])
    return sp.eye(3) * c + skew * s + (ax * ax.T) * (1 - c)


def rpy_matrix_numeric(rpy: Sequence[float]) -> np.ndarray:
    """Numeric twin of :func:`rpy_matrix` for constant frames (inertials)."""
    r, p, y = rpy
    cr, sr, cp, s_p, cy, sy = (
        math.cos(r),
        math.sin(r),
        math.cos(p),
        math.sin(p),
        math.cos(y),
        math.sin(y),
    )
    rx = np.array([[1, 0, 0], [0, cr, -sr], [0, sr, cr]])
    ry = np.array([[cp, 0, s_p], [0, 1, 0], [-s_p, 0, cp]])
    rz = np.array([[cy, -sy, 0], [sy, cy, 0], [0, 0, 1]])
    return rz @ ry @ rx
