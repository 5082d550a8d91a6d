"""Unit quaternions (x, y, z, w, PyBullet's order) and the orientation error.

Scalar code on Python floats: for single 3x3 rotations this is several times
faster than numpy's per-call overhead.
"""

from __future__ import annotations

import math

import numpy as np

from armjac.errors import InputError


def quat_from_matrix(rot: np.ndarray) -> np.ndarray:
    """Unit quaternion (x, y, z, w) of a 3x3 rotation matrix (Shepperd's method)."""
    return np.array(quat_tuple(rot))


def quat_tuple(rot: np.ndarray) -> tuple[float, float, float, float]:
    """:func:`quat_from_matrix` as a tuple of floats (no array on the hot path)."""
    (m00, m01, m02), (m10, m11, m12), (m20, m21, m22) = rot.tolist()
    trace = m00 + m11 + m22
    # Divide by the largest of the four candidates, so the square root stays well away from 0.
    if trace > 0.0:
        s = 2.0 * math.sqrt(trace + 1.0)
        q = ((m21 - m12) / s, (m02 - m20) / s, (m10 - m01) / s, 0.25 * s)
    elif m00 > m11 and m00 > m22:
        s = 2.0 * math.sqrt(1.0 + m00 - m11 - m22)
        q = (0.25 * s, (m01 + m10) / s, (m02 + m20) / s, (m21 - m12) / s)
    elif m11 > m22:
        s = 2.0 * math.sqrt(1.0 + m11 - m00 - m22)
        q = ((m01 + m10) / s, 0.25 * s, (m12 + m21) / s, (m02 - m20) / s)
    else:
        s = 2.0 * math.sqrt(1.0 + m22 - m00 - m11)
        q = ((m02 + m20) / s, (m12 + m21) / s, 0.25 * s, (m10 - m01) / s)
    return q


def matrix_from_quat(quat) -> np.ndarray:
    """3x3 rotation matrix of a quaternion (x, y, z, w); it is normalised first."""
    x, y, z, w = normalize_quat(quat).tolist()
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


def normalize_quat(quat) -> np.ndarray:
    """The unit quaternion along ``quat``; refuses a zero or non-finite one."""
    q = np.asarray(quat, dtype=float)
    if q.shape != (4,):
        raise InputError(f"a quaternion must have 4 values (x, y, z, w); got shape {q.shape}")
    n = math.sqrt(float(q @ q))
    if not (n > 1e-9 and math.isfinite(n)):
        raise InputError(f"quaternion must be finite and non-zero; got {q}")
    return q / n


def orientation_error(target, current) -> np.ndarray:
    """Rotation vector (world frame, rad) turning ``current`` into ``target``.

    It is the log map of ``target ⊗ current⁻¹``, taken on the short way round
    (the quaternion's sign is chosen with w >= 0), so its norm is at most pi.
    ``target`` need not be normalised; ``current`` must be a unit quaternion.
    """
    tx, ty, tz, tw = target
    norm = math.sqrt(tx * tx + ty * ty + tz * tz + tw * tw)
    if not (norm > 1e-9 and math.isfinite(norm)):
        raise InputError(f"target quaternion must be finite and non-zero; got {list(target)}")
    tx, ty, tz, tw = tx / norm, ty / norm, tz / norm, tw / norm
    cx, cy, cz, cw = current
    # target ⊗ conj(current)
    x = -tw * cx + tx * cw - ty * cz + tz * cy
    y = -tw * cy + tx * cz + ty * cw - tz * cx
    z = -tw * cz - tx * cy + ty * cx + tz * cw
    w = tw * cw + tx * cx + ty * cy + tz * cz
    if w < 0.0:
        x, y, z, w = -x, -y, -z, -w
    s = math.sqrt(x * x + y * y + z * z)
    # angle / sin(angle/2); tends to 2 as the angle vanishes.
    scale = 2.0 * math.atan2(s, w) / s if s > 1e-12 else 2.0
    return np.array([scale * x, scale * y, scale * z])
