"""Input encodings: how joint angles reach the network's first ensemble.

Why ``sincos`` (the default): a revolute joint's effect on the end effector is
a rotation, so forward kinematics is a polynomial in ``sin q_i`` and ``cos q_i``.
Feeding ``[sin q, cos q]`` hands the network exactly those features, removes the
need to approximate trigonometric functions with neurons, keeps every input in
[-1, 1] (inside the ensemble's unit radius, where Nengo's tuning curves are
spread), and makes continuous joints wrap correctly at +-pi.

``scaled`` maps each joint range linearly onto [-1, 1]; it is the plain
alternative, kept for comparison.

Both are differentiable in closed form, so the Jacobian with respect to ``q`` is
the network's Jacobian with respect to the encoded input times ``dx/dq``.
"""

from __future__ import annotations

import numpy as np

from armjac.learned import stack


def encoded_size(kind: str, dof: int) -> int:
    """Width of the encoded input: ``2 * dof`` for ``sincos``, ``dof`` otherwise."""
    return 2 * dof if kind == "sincos" else dof


def encode(kind: str, q: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Encode ``q`` (..., N) into the network input (..., encoded_size)."""
    if kind == "sincos":
        return np.concatenate([np.sin(q), np.cos(q)], axis=-1)
    return (q - 0.5 * (lo + hi)) / (0.5 * (hi - lo))


def chain(kind: str, jx: np.ndarray, q: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Jacobian w.r.t. ``q`` from the Jacobian ``jx`` (..., M, X) w.r.t. the encoding."""
    if kind == "sincos":
        n = q.shape[-1]
        return jx[..., :n] * np.cos(q)[..., None, :] - jx[..., n:] * np.sin(q)[..., None, :]
    return jx * (2.0 / (hi - lo))


def encode_tf(kind: str, q, lo, hi):
    """TensorFlow version of :func:`encode` (differentiable in ``q``)."""
    tf = stack.tf()

    if kind == "sincos":
        return tf.concat([tf.sin(q), tf.cos(q)], axis=-1)
    lo = tf.constant(lo, q.dtype)
    hi = tf.constant(hi, q.dtype)
    return (q - 0.5 * (lo + hi)) / (0.5 * (hi - lo))
