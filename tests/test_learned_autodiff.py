"""Autodiff helpers and the closed form, against hand-derived references."""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from armjac.learned import frobenius_norm, jacobian  # noqa: E402
from armjac.learned.closed_form import ClosedFormNet  # noqa: E402
from armjac.learned.network import init_params  # noqa: E402

# The contractive-autoencoder tutorial's example: F(x) = sigmoid(W x).
W = np.array([[0.1, 0.3, 0.6], [1.5, 0.3, 4.1], [0.2, -0.3, -0.7]])
X = np.array([2.0, 1.0, 1.0])


def test_tutorial_sigmoid_jacobian_matches_hand_derivation():
    jac = jacobian(lambda x: tf.sigmoid(tf.linalg.matvec(tf.constant(W), x)), X)
    y = 1.0 / (1.0 + np.exp(-W @ X))
    by_hand = np.diag(y * (1 - y)) @ W
    assert jac.shape == (3, 3)
    np.testing.assert_allclose(jac, by_hand, atol=1e-7)
    # the tutorial prints J rounded to 4 decimals
    np.testing.assert_allclose(
        jac,
        [[0.0187, 0.0562, 0.1124], [0.0009, 0.0002, 0.0025], [0.0458, -0.0686, -0.1601]],
        atol=5e-5,
    )
    # its "Frobenius norm" 0.0486 is the squared norm, sum J_ij^2
    assert abs(frobenius_norm(jac, squared=True) - 0.0486) < 5e-5
    assert abs(frobenius_norm(jac, squared=True) - frobenius_norm(by_hand, squared=True)) < 1e-7
    assert np.isclose(frobenius_norm(jac), np.linalg.norm(by_hand, "fro"), atol=1e-12)


def test_batched_jacobian():
    xs = np.stack([X, -X, 0.5 * X])
    jac = jacobian(lambda x: tf.sigmoid(x @ tf.constant(W.T)), xs)
    for x, j in zip(xs, jac, strict=True):
        y = 1.0 / (1.0 + np.exp(-W @ x))
        np.testing.assert_allclose(j, np.diag(y * (1 - y)) @ W, atol=1e-12)


def _direct_tf(params):
    """The ensemble chain written directly in TF (independent of NengoDL and numpy code)."""
    layers = [[tf.constant(a, tf.float64) for a in lay] for lay in params["layers"]]

    def f(q):
        u = tf.concat([tf.sin(q), tf.cos(q)], axis=-1)
        for e, b, d in layers:
            u = tf.linalg.matvec(d, tf.tanh(tf.linalg.matvec(e, u) + b))
        return u + params["out_bias"]

    return f


@pytest.mark.parametrize("sizes", [[(40, 6)], [(30, 6), (20, 5)]])
def test_closed_form_matches_tf_autodiff(sizes, rng):
    params = init_params(sizes, 3, 1.5, seed=3)
    params["out_bias"] = rng.standard_normal(3)
    lo, hi = -np.pi * np.ones(3), np.pi * np.ones(3)
    cf = ClosedFormNet(params["layers"], params["out_bias"], "sincos", lo, hi)
    q = rng.uniform(-3, 3, (5, 3))
    y, jac = cf.jacobian(q)
    ref = jacobian(_direct_tf(params), q)
    np.testing.assert_allclose(jac, ref, atol=1e-12)
    np.testing.assert_allclose(y, _direct_tf(params)(tf.constant(q)).numpy(), atol=1e-12)
    cf64 = ClosedFormNet(
        params["layers"], params["out_bias"], "sincos", lo, hi, single_dtype=np.float64
    )
    for qi, ji in zip(q, ref, strict=True):
        np.testing.assert_allclose(cf64.jacobian1(qi), ji, atol=1e-12)
        # the default single-q path runs in float32
        np.testing.assert_allclose(cf.jacobian1(qi), ji, atol=1e-6 * np.abs(ji).max())


def test_closed_form_matches_nengodl_graph(rng):
    """The NengoDL network's autodiff Jacobian equals the closed form (float32)."""
    from armjac.learned.tfnet import TFNet

    params = init_params([(50, 4), (30, 8)], 3, 1.0, seed=1)
    params["out_bias"] = np.array([0.1, -0.2, 0.3])
    lo, hi = -np.pi * np.ones(2), np.pi * np.ones(2)
    net = TFNet(params, "sincos", lo, hi, minibatch_size=8)
    q = rng.uniform(-3, 3, (11, 2))  # not a multiple of the minibatch: exercises padding
    y_tf, j_tf = net.jacobian(q)
    net.close()
    cf = ClosedFormNet(params["layers"], params["out_bias"], "sincos", lo, hi)
    y, jac = cf.jacobian(q)
    np.testing.assert_allclose(y_tf, y, atol=1e-5)
    np.testing.assert_allclose(j_tf, jac, atol=1e-5 * np.abs(jac).max())
