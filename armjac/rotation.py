"""Batched rotations: unit quaternions (x, y, z, w), rotation vectors and matrices.

Every function takes a leading batch shape ``(...)`` and keeps it. Quaternions
use PyBullet's (x, y, z, w) order, as :mod:`armjac.control.orientation` does
for single rotations on the control hot path; this module is the vectorised
counterpart used by trajectories and inverse kinematics.
"""

from __future__ import annotations

import numpy as np

from armjac.errors import InputError
from armjac.validation import as_float_array, check_finite

_SMALL = 1e-12


def as_quaternion(value: object, name: str = "quaternion") -> np.ndarray:
    """A unit quaternion (x, y, z, w) from a quaternion, a 3x3 matrix or a rotation vector.

    Parameters
    ----------
    value : (4,), (3, 3) or (3,) array
        Quaternion in (x, y, z, w) order (normalised here), rotation matrix, or
        rotation vector (axis times angle, rad).

    Raises
    ------
    InputError
        Any other shape, non-finite values, a zero quaternion, or a matrix that
        is not a rotation (not orthonormal with determinant +1, to 1e-6).
    """
    arr = as_float_array(value, name)
    check_finite(arr, name)
    if arr.shape == (4,):
        n = float(np.linalg.norm(arr))
        if n < 1e-9:
            raise InputError(f"{name} must be non-zero; got {arr}")
        return arr / n
    if arr.shape == (3, 3):
        if not np.allclose(arr @ arr.T, np.eye(3), atol=1e-6) or np.linalg.det(arr) < 0:
            raise InputError(f"{name} is not a rotation matrix (orthonormal, det +1): {arr}")
        return quat_from_matrix(arr)
    if arr.shape == (3,):
        return quat_from_rotvec(arr)
    raise InputError(
        f"{name} must be a quaternion (x, y, z, w), a 3x3 rotation matrix or a rotation "
        f"vector (3,); got shape {arr.shape}"
    )


def quat_multiply(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product a ⊗ b of (..., 4) quaternions (x, y, z, w)."""
    ax, ay, az, aw = np.moveaxis(np.asarray(a, float), -1, 0)
    bx, by, bz, bw = np.moveaxis(np.asarray(b, float), -1, 0)
    return np.stack(
        (
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
            aw * bw - ax * bx - ay * by - az * bz,
        ),
        axis=-1,
    )


def quat_conjugate(q: np.ndarray) -> np.ndarray:
    """The inverse of a unit quaternion (..., 4)."""
    q = np.asarray(q, float)
    return np.concatenate((-q[..., :3], q[..., 3:]), axis=-1)


def quat_from_rotvec(v: np.ndarray) -> np.ndarray:
    """Unit quaternions (..., 4) of rotation vectors (..., 3) (the exponential map)."""
    v = np.asarray(v, float)
    angle = np.linalg.norm(v, axis=-1, keepdims=True)
    # sin(angle/2)/angle, with its limit 1/2 at zero.
    safe = np.where(angle > _SMALL, angle, 1.0)
    scale = np.where(angle > _SMALL, np.sin(0.5 * safe) / safe, 0.5 - angle**2 / 48.0)
    return np.concatenate((scale * v, np.cos(0.5 * angle)), axis=-1)


def rotvec_from_quat(q: np.ndarray) -> np.ndarray:
    """Rotation vectors (..., 3) of unit quaternions (..., 4), angle in [0, pi] (the log map)."""
    q = np.asarray(q, float)
    q = np.where(q[..., 3:] < 0.0, -q, q)  # the short way round
    s = np.linalg.norm(q[..., :3], axis=-1, keepdims=True)
    angle = 2.0 * np.arctan2(s, q[..., 3:])
    scale = np.where(s > _SMALL, angle / np.where(s > _SMALL, s, 1.0), 2.0)
    return scale * q[..., :3]


def quat_from_matrix(rot: np.ndarray) -> np.ndarray:
    """Unit quaternions (..., 4) of rotation matrices (..., 3, 3).

    Each one divides by the largest of the four candidate terms (Shepperd), so
    no square root runs near zero.
    """
    rot = np.asarray(rot, float)
    m = {(i, j): rot[..., i, j] for i in range(3) for j in range(3)}
    trace = m[0, 0] + m[1, 1] + m[2, 2]
    cand = np.stack((trace, m[0, 0], m[1, 1], m[2, 2]), axis=-1)
    pick = np.argmax(cand, axis=-1)
    out = np.empty(rot.shape[:-2] + (4,))
    sel = pick == 0
    s = 2.0 * np.sqrt(np.maximum(trace[sel] + 1.0, _SMALL))
    out[sel] = np.stack(
        ((m[2, 1] - m[1, 2])[sel] / s, (m[0, 2] - m[2, 0])[sel] / s,
         (m[1, 0] - m[0, 1])[sel] / s, 0.25 * s), axis=-1)  # fmt: skip
    for k, (i, j, h) in enumerate(((0, 1, 2), (1, 2, 0), (2, 0, 1)), start=1):
        sel = pick == k
        s = 2.0 * np.sqrt(np.maximum(1.0 + m[i, i][sel] - m[j, j][sel] - m[h, h][sel], _SMALL))
        part = np.empty((int(sel.sum()), 4))
        part[:, i] = 0.25 * s
        part[:, j] = (m[i, j] + m[j, i])[sel] / s
        part[:, h] = (m[i, h] + m[h, i])[sel] / s
        part[:, 3] = (m[h, j] - m[j, h])[sel] / s
        out[sel] = part
    return out


def matrix_from_quat(q: np.ndarray) -> np.ndarray:
    """Rotation matrices (..., 3, 3) of unit quaternions (..., 4)."""
    x, y, z, w = np.moveaxis(np.asarray(q, float), -1, 0)
    rows = (
        (1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)),
        (2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)),
        (2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)),
    )
    return np.stack([np.stack(r, axis=-1) for r in rows], axis=-2)


def rotation_error(target: np.ndarray, current: np.ndarray) -> np.ndarray:
    """World-frame rotation vectors (..., 3) turning ``current`` into ``target`` (..., 3, 3).

    The log map of ``target @ current.T``; its norm is the angle between the two, in [0, pi].
    """
    rel = np.asarray(target, float) @ np.swapaxes(np.asarray(current, float), -1, -2)
    return rotvec_from_quat(quat_from_matrix(rel))
