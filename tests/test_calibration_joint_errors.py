"""Calibration with the joint-error model (eccentricity, gravity deflection): it recovers
a known joint error exactly from noise-free data, and the corrected arm's Jacobian
matches finite differences of its own tip."""

from __future__ import annotations

import numpy as np
import pytest

from armjac.calibration import CalibratedArm, calibrate
from armjac.calibration.joint_errors import joint_features
from armjac.errors import InputError


@pytest.fixture(scope="module")
def setup(arms):
    arm = arms("kuka_iiwa")
    point = np.array([0.0, 0.0, 0.15])
    rng = np.random.default_rng(0)
    q = arm.random_q(400, rng, 0.1)
    w = np.zeros((4, arm.dof))
    w[0], w[1] = 5e-4 * rng.standard_normal(arm.dof), 5e-4 * rng.standard_normal(arm.dof)
    w[2] = 1.0 / np.array([15e3, 15e3, 8e3, 8e3, 4e3, 4e3, 2e3])  # deflection: 1/k
    w[3] = 9.81 * 1.0 * w[2]  # a 1 kg weight at the tool point, same compliance
    zero = 0.005 * rng.standard_normal(arm.dof)
    q_true = q + zero + np.einsum("kn,bkn->bn", w, joint_features(arm, q, point))
    return arm, point, q, arm.position(q_true, point=point), w, zero


def test_recovers_a_known_joint_error_from_noise_free_data(setup):
    arm, point, q, x, _, _ = setup
    plain = calibrate(arm, q, x, point=point)
    cal = calibrate(arm, q, x, point=point, joint_errors=True)
    assert isinstance(cal.arm, CalibratedArm) and cal.arm.weights is not None
    assert plain.residual_mm["rms"] > 0.1  # geometry alone cannot absorb it
    assert cal.residual_mm["rms"] < 1e-5
    q_new = arm.random_q(200, 7, 0.1)  # off the fitted data
    fresh = calibrate(arm, q, x, point=point, joint_errors=True)
    _, _, _, _, w, zero = setup
    truth = arm.position(
        q_new + zero + np.einsum("kn,bkn->bn", w, joint_features(arm, q_new, point)), point=point
    )
    assert np.abs(fresh.predict(q_new) - truth).max() < 1e-7


def test_jacobian_matches_finite_differences(setup):
    arm, point, q, x, _, _ = setup
    cal = calibrate(arm, q[:150], x[:150], point=point, joint_errors=True)
    qs = arm.random_q(4, 3, 0.1)
    h, eye = 1e-6, np.eye(arm.dof)
    for qq in qs:
        fd = np.stack(
            [
                (cal.arm.position(qq + h * e, point=cal.point)
                 - cal.arm.position(qq - h * e, point=cal.point)) / (2 * h)
                for e in eye
            ],
            axis=-1,
        )  # fmt: skip
        np.testing.assert_allclose(cal.arm.jacobian(qq, point=cal.point)[:3], fd, atol=1e-7)
    with pytest.raises(InputError, match="URDF"):
        cal.write_urdf("/tmp/never.urdf")


def test_weights_the_poses_do_not_excite_stay_at_zero(arms):
    """Joint 1 barely moves: its eccentricity harmonics are (to 1e-3) a base rotation, so
    they are left at zero with a warning; the geometry is still identified."""
    from armjac.calibration import IdentifiabilityWarning

    arm = arms("planar2")
    rng = np.random.default_rng(0)
    q = arm.random_q(120, rng, 0.1)
    q[:, 0] = 0.5 + rng.uniform(-0.001, 0.001, 120)
    x = arm.position(q, point=[0.05, 0.0, 0.0])
    with pytest.warns(IdentifiabilityWarning, match="do not excite"):
        cal = calibrate(arm, q, x, point=[0.05, 0.0, 0.0], joint_errors=True)
    assert {"joint1.sin", "joint1.cos"} <= set(cal.identifiability["unexcited"])
    assert cal.arm.weights[0, 0] == 0.0 and cal.arm.weights[1, 0] == 0.0
    assert cal.residual_mm["max"] < 1e-6
