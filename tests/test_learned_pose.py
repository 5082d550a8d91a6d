"""Models with orientation outputs (``outputs: pose``): a 4x4 fk and a 6xN Jacobian."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("nengo_dl")

from armjac.learned import relative_error, train  # noqa: E402
from armjac.learned.pose import geometric_jacobian, transform  # noqa: E402


def _vee_skew(m):
    return 0.5 * np.array([m[2, 1] - m[1, 2], m[0, 2] - m[2, 0], m[1, 0] - m[0, 1]])


def test_pose_jacobian_is_the_derivative_of_the_frame(rng):
    """The angular rows equal finite differences of the Gram-Schmidt frame (any outputs)."""
    n = 3
    a = rng.standard_normal((9, n))
    b = rng.standard_normal(9)

    def outputs(q):  # a smooth map R^3 -> R^9, standing in for the network
        return np.tanh(a @ q + b) + np.r_[0, 0, 0, 1, 0, 0, 0, 1, 0]

    def d_outputs(q):
        return (1 - np.tanh(a @ q + b) ** 2)[:, None] * a

    q = rng.standard_normal(n)
    jac = geometric_jacobian(outputs(q)[None], d_outputs(q)[None])[0]
    t0 = transform(outputs(q)[None])[0]
    h = 1e-6
    for j in range(n):
        e = np.eye(n)[j] * h
        tp = transform(outputs(q + e)[None])[0]
        tm = transform(outputs(q - e)[None])[0]
        d_rot = (tp[:3, :3] - tm[:3, :3]) / (2 * h)
        np.testing.assert_allclose(jac[3:, j], _vee_skew(d_rot @ t0[:3, :3].T), atol=1e-6)
        np.testing.assert_allclose(jac[:3, j], (tp[:3, 3] - tm[:3, 3]) / (2 * h), atol=1e-6)
    r = t0[:3, :3]
    np.testing.assert_allclose(r.T @ r, np.eye(3), atol=1e-12)


def test_pose_model_trains_and_follows_the_arm_api(arms, rng):
    arm = arms("planar2")
    cfg = {
        "arm": "planar2",
        "outputs": "pose",
        "data": {"n_train": 3000, "n_test": 500},
        "network": {"ensembles": [{"n_neurons": 96}, {"n_neurons": 96, "dimensions": 16}]},
        "training": {"epochs": 30, "batch_size": 50, "loss": {"jacobian": 1.0}},
    }
    model = train(arm, cfg, progress=False, log=None)
    q = arm.random_q(200, rng)
    assert model.fk(q[0]).shape == (4, 4) and model.jacobian(q[0]).shape == (6, 2)
    assert model.jacobian(q).shape == (200, 6, 2)
    rel = relative_error(model.jacobian(q), arm.jacobian(q))
    assert np.median(rel) < 0.05
    j_tf = model.jacobian(q[:20], backend="tf")
    j_np = model.jacobian(q[:20])
    assert np.max(np.abs(j_tf - j_np)) <= 1e-5 * np.max(np.abs(j_np))
    assert "rot_rmse_deg" in model.metrics and model.metrics["rot_rmse_deg"] < 5
    model.close()
