"""Orientation outputs (``outputs: pose``): from 9 network outputs to a pose and a 6xN Jacobian.

The network outputs ``[p, r1, r2]``: the position and the first two columns of
the rotation matrix (a continuous 6-D rotation representation; unlike Euler
angles or quaternions it has no wrap-around or sign ambiguity). The rotation
is their Gram-Schmidt frame ``b1, b2, b3 = b1 x b2``. The angular rows of the
Jacobian follow exactly from the derivative of that frame: for an orthonormal
frame with ``db_k = w x b_k``, ``w = 1/2 sum_k b_k x db_k``.
"""

from __future__ import annotations

import numpy as np


def targets(tf_: np.ndarray, jac: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Network targets from transforms (B, 4, 4) and geometric Jacobians (B, 6, N).

    Returns outputs (B, 9) and their Jacobian (B, 9, N): ``d r_k / dq_j = w_j x r_k``.
    """
    r1 = tf_[:, :3, 0]
    r2 = tf_[:, :3, 1]
    w = jac[:, 3:, :]  # (B, 3, N)
    y = np.concatenate([tf_[:, :3, 3], r1, r2], axis=1)
    dr1 = np.cross(w, r1[:, :, None], axis=1)
    dr2 = np.cross(w, r2[:, :, None], axis=1)
    return y, np.concatenate([jac[:, :3, :], dr1, dr2], axis=1)


def _unit(v):
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / n, n


def _dunit(b, n, dv):
    """Derivative of v/|v| given b = v/|v|, n = |v| and dv (B, 3, N)."""
    return (dv - b[:, :, None] * np.einsum("bi,bij->bj", b, dv)[:, None, :]) / n[:, :, None]


def frame(y: np.ndarray) -> np.ndarray:
    """Rotation matrices (B, 3, 3) from outputs (B, 9)."""
    b1, _ = _unit(y[:, 3:6])
    w = y[:, 6:9] - np.sum(b1 * y[:, 6:9], axis=1, keepdims=True) * b1
    b2, _ = _unit(w)
    return np.stack([b1, b2, np.cross(b1, b2)], axis=2)


def transform(y: np.ndarray) -> np.ndarray:
    """Homogeneous transforms (B, 4, 4) from outputs (B, 9)."""
    out = np.zeros((len(y), 4, 4))
    out[:, :3, :3] = frame(y)
    out[:, :3, 3] = y[:, :3]
    out[:, 3, 3] = 1.0
    return out


def geometric_jacobian(y: np.ndarray, jy: np.ndarray) -> np.ndarray:
    """Rows [v; w] (B, 6, N) from outputs (B, 9) and their Jacobian (B, 9, N)."""
    r1, r2 = y[:, 3:6], y[:, 6:9]
    dr1, dr2 = jy[:, 3:6, :], jy[:, 6:9, :]
    b1, n1 = _unit(r1)
    db1 = _dunit(b1, n1, dr1)
    c = np.sum(b1 * r2, axis=1)  # (B,)
    dc = np.einsum("bij,bi->bj", db1, r2) + np.einsum("bi,bij->bj", b1, dr2)
    w = r2 - c[:, None] * b1
    dw = dr2 - b1[:, :, None] * dc[:, None, :] - c[:, None, None] * db1
    b2, n2 = _unit(w)
    db2 = _dunit(b2, n2, dw)
    b3 = np.cross(b1, b2)
    db3 = np.cross(db1, b2[:, :, None], axis=1) + np.cross(b1[:, :, None], db2, axis=1)
    omega = 0.5 * (
        np.cross(b1[:, :, None], db1, axis=1)
        + np.cross(b2[:, :, None], db2, axis=1)
        + np.cross(b3[:, :, None], db3, axis=1)
    )
    return np.concatenate([jy[:, :3, :], omega], axis=1)
