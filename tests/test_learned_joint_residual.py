"""The joint-space residual: x = base(q + delta(q)). It starts exactly at its base, its
Jacobian J_base(q + delta)(I + d delta/dq) matches finite differences, it learns a
known joint error, and it saves and loads."""

from __future__ import annotations

import numpy as np
import pytest

from armjac.calibration import CalibratedArm
from armjac.errors import ConfigError, InputError
from armjac.learned import load, train_from_data
from armjac.learned.joint_residual import JointResidualModel
from armjac.mismatch import load_spec, static_samples

TINY = {
    "residual": "joint",
    "base": "nominal",
    "network": {"ensembles": [{"n_neurons": 32}]},
    "training": {"epochs": 40, "batch_size": 32, "val_every": 2, "progress": False},
}


CALIBRATED = {k: v for k, v in TINY.items() if k != "residual"} | {"base": "calibrated"}


@pytest.fixture(scope="module")
def real():
    return load_spec("planar2_small").realize(1)


def _delta(q):
    """A known joint error: eccentricity-like, each joint a function of its own angle."""
    return 0.01 * np.sin(q + 0.3)


@pytest.fixture(scope="module")
def joint_data(real):
    q = real.nominal.random_q(400, 2, 0.1)
    return q, real.nominal.position(q + _delta(q), point=real.assumed_point)


@pytest.fixture(scope="module")
def model(real, joint_data):
    return train_from_data(*joint_data, TINY, nominal=real.nominal,
                           point=real.assumed_point, log=None)  # fmt: skip


def test_zero_residual_data_leave_the_model_exactly_at_the_base(real):
    q = real.nominal.random_q(200, 3, 0.1)
    x = real.nominal.position(q, point=real.assumed_point)
    m = train_from_data(q, x, TINY, nominal=real.nominal, point=real.assumed_point, log=None)
    assert isinstance(m, JointResidualModel)
    assert not m.params["layers"][-1][2].any() and not m.params["out_bias"].any()
    np.testing.assert_array_equal(m.fk(q), x)
    np.testing.assert_array_equal(
        m.jacobian(q), real.nominal.jacobian(q, point=real.assumed_point)[:, :3]
    )


def test_learns_a_known_joint_error(real, model):
    q = real.nominal.random_q(300, 5, 0.15)  # held out
    x = real.nominal.position(q + _delta(q), point=real.assumed_point)
    nominal = real.nominal.position(q, point=real.assumed_point)
    before = np.median(np.linalg.norm(nominal - x, axis=1))
    after = np.median(np.linalg.norm(model.fk(q) - x, axis=1))
    assert after < 0.3 * before
    # the correction it learned is the joint error itself, not just a tip fit
    err = np.abs(model.joint_correction(q) - _delta(q))
    assert np.median(err) < 0.3 * np.median(np.abs(_delta(q)))


def test_jacobian_is_the_chain_rule_and_matches_fd(real, model):
    q = real.nominal.random_q(6, 4, 0.15)
    jac = model.jacobian(q)
    eye, h = np.eye(real.nominal.dof), 1e-6
    fd = np.stack(
        [(model.fk(q + h * eye[j]) - model.fk(q - h * eye[j])) / (2 * h) for j in range(len(eye))],
        axis=-1,
    )
    np.testing.assert_allclose(jac, fd, atol=1e-7)
    np.testing.assert_allclose(model.jacobian(q[0]), jac[0])
    # it differs from the base's own Jacobian (the correction moves it)
    assert not np.allclose(jac, real.nominal.jacobian(q, point=real.assumed_point)[:, :3])


def test_save_load_round_trip(real, model, tmp_path):
    model.save(tmp_path / "m")
    back = load(tmp_path / "m")
    assert isinstance(back, JointResidualModel)
    q = real.nominal.random_q(5, 6, 0.15)
    np.testing.assert_array_equal(back.fk(q), model.fk(q))
    np.testing.assert_array_equal(back.jacobian(q), model.jacobian(q))


@pytest.mark.parametrize("residual", ["joint", "task"])
def test_joint_error_calibrated_base_saves_and_loads(real, residual, tmp_path):
    q, x = static_samples(real, 200, seed=3).pairs()
    select = ["joint"] if residual == "joint" else ["joint_errors+residual"]
    cfg = {**CALIBRATED, "select": select}
    m = train_from_data(q, x, cfg, nominal=real.nominal, point=real.assumed_point, log=None)
    assert isinstance(m.nominal.arm, CalibratedArm) and m.metrics["model"] == select[0]
    assert isinstance(m, JointResidualModel) == (residual == "joint")
    m.save(tmp_path / "m")
    back = load(tmp_path / "m")
    assert isinstance(back.nominal.arm, CalibratedArm)
    assert (back.nominal.arm.weights is None) == (m.nominal.arm.weights is None)
    qs = real.nominal.random_q(5, 8, 0.15)
    np.testing.assert_array_equal(back.fk(qs), m.fk(qs))
    np.testing.assert_array_equal(back.jacobian(qs), m.jacobian(qs))


def test_calibrated_base_and_errors(real):
    q, x = static_samples(real, 200, seed=2).pairs()
    m = train_from_data(q, x, {**CALIBRATED, "select": ["joint"]}, nominal=real.nominal,
                        point=real.assumed_point, log=None)  # fmt: skip
    assert "calibration" in m.metrics and m.fk(q).shape == (200, 3)
    with pytest.raises(ConfigError, match="residual"):
        train_from_data(q, x, {**TINY, "base": "calibrated"}, log=None)
    with pytest.raises(ConfigError, match="residual"):
        train_from_data(q, x, {"residual": "cartesian"}, nominal=real.nominal, log=None)
    # residual: is the nominal base's; a calibrated base names its candidates in select:
    with pytest.raises(ConfigError, match="select"):
        train_from_data(q, x, {**TINY, "base": "calibrated"}, nominal=real.nominal, log=None)
    with pytest.raises(Exception, match="backend"):
        m.jacobian(q[0], backend="tf")
    # its decoders map to joint corrections, not to the tip: decoder adaptation refuses it
    from armjac.adapt.models import DecoderAdaptation

    with pytest.raises(InputError, match="position-only"):
        DecoderAdaptation(m, rule=None)
