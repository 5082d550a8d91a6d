"""Parametric calibration: parameter derivatives, recovery from noise-free data, URDF output."""

from __future__ import annotations

import numpy as np
import pytest

import armjac
from armjac.calibration import ChainModel, OffsetArm
from armjac.errors import InputError
from armjac.mismatch import load_spec, static_samples

NOISE_FREE = {"encoders": {"noise_deg": 0.0}, "tracker": {"noise_mm": 0.0}}


def _spec(arm: str, **geometry) -> dict:
    return {"arm": arm, "geometry": geometry, "tool": {"assumed": [0.05, 0.01, 0.1],
            "error_mm": 3.0, "mass": 0.2}, **NOISE_FREE}  # fmt: skip


@pytest.mark.parametrize("name", ["planar2", "kuka_iiwa"])
def test_parameter_jacobian_matches_finite_differences(arms, name):
    arm = arms(name)
    model = ChainModel(arm)
    rng = np.random.default_rng(0)
    theta = rng.normal(0, 0.01, model.n_params)
    q = arm.random_q(6, 1)
    tip, jac = model.tip(q, theta)
    for k in range(model.n_params):
        e = np.zeros(model.n_params)
        e[k] = 1e-6
        fd = (model.tip(q, theta + e, False)[0] - model.tip(q, theta - e, False)[0]) / 2e-6
        np.testing.assert_allclose(jac[:, :, k], fd, atol=1e-8)
    # at theta = 0 with a point, the model is the arm itself
    th0 = np.zeros(model.n_params)
    th0[-3:] = [0.1, 0.0, 0.05]
    np.testing.assert_allclose(model.tip(q, th0, False)[0],
                               arm.position(q, point=[0.1, 0.0, 0.05]), atol=1e-12)  # fmt: skip


def test_planar2_zero_offsets_tool_and_the_redundant_direction():
    real = load_spec(_spec("planar2", joint_zero_deg=1.0)).realize(2)
    q, x = static_samples(real, 60, seed=1).pairs()
    res = armjac.calibrate(real.nominal, q, x, point=real.assumed_point, origin_offsets=False)
    # Joint 2's zero offset turns the last link and the tool together; a different
    # tool point (x, z) makes the same tips, so one direction is unidentifiable.
    assert (res.rank, res.n_params) == (4, 5)
    np.testing.assert_allclose(res.zero_offsets[0], real.truth["joint_zero_offset"][0], atol=1e-10)
    np.testing.assert_allclose(res.point[1], real.tool_point[1], atol=1e-12)
    held = static_samples(real, 50, seed=4)
    err = np.linalg.norm(res.predict(held.pairs()[0]) - held.truth_tip, axis=1)
    assert err.max() < 1e-9
    assert res.residual_mm["max"] < 1e-6
    assert res.initial_mm["median"] > 1.0


def test_recovers_kuka_geometry_from_noise_free_data():
    real = load_spec(_spec("kuka_iiwa", joint_origin_mm=5.0, joint_zero_deg=0.5)).realize(0)
    q, x = static_samples(real, 300, seed=1).pairs()
    res = armjac.calibrate(real.nominal, q, x, point=real.assumed_point)
    assert res.rank < res.n_params  # some offsets cannot be told apart
    held = static_samples(real, 200, seed=9)
    qh, _ = held.pairs()
    err = np.linalg.norm(res.predict(qh) - held.truth_tip, axis=1)
    assert err.max() < 1e-8
    nominal_err = np.linalg.norm(real.nominal.position(qh, point=real.assumed_point)
                                 - held.truth_tip, axis=1)  # fmt: skip
    assert np.median(nominal_err) > 5e-3
    # the identified parameters reproduce the true chain's Jacobian too
    truth_j = np.array([real.measured_jacobian(ql) for ql in held.truth_q[:5]])
    np.testing.assert_allclose(res.arm.jacobian(qh[:5], point=res.point)[:, :3], truth_j,
                               atol=1e-7)  # fmt: skip


def test_calibrated_urdf_reproduces_the_offset_arm(tmp_path):
    real = load_spec(_spec("planar2", joint_origin_mm=4.0, joint_zero_deg=2.0)).realize(1)
    q, x = static_samples(real, 80, seed=1).pairs()
    res = armjac.calibrate(real.nominal, q, x, point=real.assumed_point)
    path = res.write_urdf(tmp_path / "cal.urdf")
    again = armjac.load_arm(path, ee_link=real.nominal.ee_link)
    qh = real.nominal.random_q(10, 3)
    np.testing.assert_allclose(again.position(qh, point=res.point), res.predict(qh), atol=1e-12)
    assert isinstance(res.arm, OffsetArm)
    np.testing.assert_allclose(res.arm.gravity(qh[0]), again.gravity(qh[0]), atol=1e-12)


def test_bad_inputs_are_refused(arms):
    arm = arms("planar2")
    with pytest.raises(InputError, match="shape"):
        armjac.calibrate(arm, np.zeros((10, 3)), np.zeros((10, 3)))
    with pytest.raises(InputError, match="finite"):
        armjac.calibrate(arm, np.full((10, 2), np.nan), np.zeros((10, 3)))
    with pytest.raises(InputError, match="at least 4"):
        armjac.calibrate(arm, np.zeros((2, 2)), np.zeros((2, 3)))
