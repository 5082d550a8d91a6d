"""Orientations: unit quaternions in (x, y, z, w) order, rotation matrices, rotation vectors.

armjac's one quaternion convention is (x, y, z, w), scalar last: PyBullet's
and scipy's order (Eigen/Pinocchio's coefficient order too; not the w-first
order of MuJoCo or transforms3d). Controllers accept an orientation as a
quaternion, a 3x3 rotation matrix or a rotation vector (:func:`as_quaternion`).

Scalar code on Python floats: for single 3x3 rotations this is several times
faster than numpy's per-call overhead.
"""

from __future__ import annotations

import math

import numpy as np

from armjac.errors import InputError
from armjac.validation import as_float_array, excerpt


def quat_from_matrix(rot: np.ndarray) -> np.ndarray:
    """Unit quaternion (x, y, z, w) of a 3x3 rotation matrix (Shepperd's method)."""
    return np.array(quat_tuple(rot))


def quat_tuple(rot: np.ndarray) -> tuple[float, float, float, float]:
    """:func:`quat_from_matrix` as a tuple of floats (no array on the hot path)."""
    (m00, m01, m02), (m10, m11, m12), (m20, m21, m22) = rot.tolist()
    return _shepperd(m00, m01, m02, m10, m11, m12, m20, m21, m22)


def pose_quat_tuple(tf: np.ndarray) -> tuple[float, float, float, float]:
    """The unit quaternion (x, y, z, w) of a 4x4 homogeneous transform's rotation."""
    r0, r1, r2, _ = tf.tolist()  # one call: cheaper than slicing out the 3x3 block first
    m00, m01, m02, _ = r0
    m10, m11, m12, _ = r1
    m20, m21, m22, _ = r2
    return _shepperd(m00, m01, m02, m10, m11, m12, m20, m21, m22)


def _shepperd(m00, m01, m02, m10, m11, m12, m20, m21, m22) -> tuple[float, float, float, float]:
    """Shepperd's method on a rotation matrix's nine entries (row by row)."""
    trace = m00 + m11 + m22
    # Divide by the largest of the four candidates, so the square root stays well away from 0.
    if trace > 0.0:
        s = 2.0 * math.sqrt(trace + 1.0)
        return ((m21 - m12) / s, (m02 - m20) / s, (m10 - m01) / s, 0.25 * s)
    if m00 > m11 and m00 > m22:
        s = 2.0 * math.sqrt(1.0 + m00 - m11 - m22)
        return (0.25 * s, (m01 + m10) / s, (m02 + m20) / s, (m21 - m12) / s)
    if m11 > m22:
        s = 2.0 * math.sqrt(1.0 + m11 - m00 - m22)
        return ((m01 + m10) / s, 0.25 * s, (m12 + m21) / s, (m02 - m20) / s)
    s = 2.0 * math.sqrt(1.0 + m22 - m00 - m11)
    return ((m02 + m20) / s, (m12 + m21) / s, 0.25 * s, (m10 - m01) / s)


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
    return np.array(rotation_between(target, current))


def rotation_between(target, current) -> tuple[float, float, float]:
    """:func:`orientation_error` as a tuple of floats (no array on the hot path)."""
    return rotation_to(unit_quat_tuple(target, "target quaternion"), current)


def unit_quat_tuple(quat, name: str = "quaternion") -> tuple[float, float, float, float]:
    """``quat`` (4 numbers) normalised, as floats; refuses a zero or non-finite one."""
    x, y, z, w = quat
    norm = math.sqrt(x * x + y * y + z * z + w * w)
    if not (norm > 1e-9 and math.isfinite(norm)):
        raise InputError(f"{name} must be finite and non-zero; got {list(quat)}")
    return (x / norm, y / norm, z / norm, w / norm)


def rotation_to(target, current) -> tuple[float, float, float]:
    """:func:`rotation_between` for a unit ``target`` (normalised once, e.g. per target)."""
    tx, ty, tz, tw = target
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
    return (scale * x, scale * y, scale * z)


def quat_from_rotvec(rotvec) -> tuple[float, float, float, float]:
    """Unit quaternion (x, y, z, w) of a rotation vector (axis times angle, rad)."""
    x, y, z = (float(v) for v in rotvec)
    angle = math.sqrt(x * x + y * y + z * z)
    # sin(angle/2) / angle, by its series near 0 (no 0/0).
    k = math.sin(0.5 * angle) / angle if angle > 1e-8 else 0.5 - angle * angle / 48.0
    return (k * x, k * y, k * z, math.cos(0.5 * angle))


def as_quaternion(orientation, name: str = "orientation") -> tuple[float, float, float, float]:
    """A unit quaternion (x, y, z, w) from any of armjac's orientation forms.

    Parameters
    ----------
    orientation : (4,), (3, 3) or (3,) array
        A quaternion in (x, y, z, w) order (PyBullet's and scipy's; not
        normalised is fine), a rotation matrix, or a rotation vector (axis
        times angle, rad).
    name : str
        Names the argument in error messages.

    Raises
    ------
    InputError
        Another shape, non-finite values, a zero quaternion, or a matrix that
        is not a rotation (``R^T R = I`` and ``det R = 1`` to 1e-6).
    """
    o = as_float_array(orientation, name)
    if not np.isfinite(o).all():
        raise InputError(f"{name} must be finite; got {excerpt(o)}")
    if o.shape == (4,):
        return tuple(normalize_quat(o).tolist())
    if o.shape == (3,):
        return quat_from_rotvec(o)
    if o.shape == (3, 3):
        if not (np.allclose(o.T @ o, np.eye(3), atol=1e-6) and np.linalg.det(o) > 0):
            raise InputError(f"{name} is a 3x3 matrix but not a rotation; got {excerpt(o)}")
        return quat_tuple(o)
    raise InputError(
        f"{name} must be a quaternion (x, y, z, w), a 3x3 rotation matrix or a rotation "
        f"vector (3,); got shape {o.shape}"
    )


def pose_target(position, orientation) -> np.ndarray:
    """A controller target (7,): ``position`` (3,) and ``orientation`` in any form.

    ``orientation`` is read by :func:`as_quaternion`; the result stores it as
    a unit quaternion (x, y, z, w).
    """
    pos = as_float_array(position, "position")
    if pos.shape != (3,) or not np.isfinite(pos).all():
        raise InputError(f"position must be 3 finite numbers; got {excerpt(position)}")
    return np.concatenate((pos, as_quaternion(orientation)))
