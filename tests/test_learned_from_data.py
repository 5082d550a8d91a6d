"""Learning from measured data: the residual starts at the nominal, J = J_nominal +
J_network and matches finite differences, save/load, pure models, errors."""

from __future__ import annotations

import numpy as np
import pytest

from armjac.errors import ConfigError, InputError
from armjac.learned import DataModel, load, train_from_data
from armjac.mismatch import load_spec, static_samples

TINY = {
    "network": {"ensembles": [{"n_neurons": 24}]},
    "training": {"epochs": 20, "batch_size": 32, "val_every": 2, "progress": False},
}


@pytest.fixture(scope="module")
def real():
    return load_spec("planar2_small").realize(1)


@pytest.fixture(scope="module")
def data(real):
    return static_samples(real, 300, seed=1).pairs()


@pytest.fixture(scope="module")
def residual(real, data):
    return train_from_data(*data, {**TINY, "base": "nominal", "split": "random"},
                           nominal=real.nominal, point=real.assumed_point, log=None)  # fmt: skip


def test_zero_residual_data_leave_the_model_exactly_at_the_nominal(real, data):
    q = data[0]
    x = real.nominal.position(q, point=real.assumed_point)  # measurements = nominal
    model = train_from_data(q, x, {**TINY, "base": "nominal"}, nominal=real.nominal,
                            point=real.assumed_point, log=None)  # fmt: skip
    # zero output decoders and a zero loss gradient: not one bit moves
    assert not model.params["layers"][-1][2].any()
    np.testing.assert_array_equal(model.fk(q), x)
    np.testing.assert_array_equal(
        model.jacobian(q), real.nominal.jacobian(q, point=real.assumed_point)[:, :3]
    )


def test_training_starts_at_the_nominal_and_improves(real, data, residual):
    q, x = data
    va = np.random.default_rng(0).permutation(len(q))[: residual.metrics["n_val"]]
    err = real.nominal.position(q[va], point=real.assumed_point) - x[va]
    start = 1e3 * np.sqrt(np.mean(np.sum(err**2, axis=1)))
    curve = residual.metrics["val_curve_mm"]
    assert curve[0][0] == 0 and curve[0][1] == pytest.approx(start, rel=1e-5)
    assert residual.metrics["best_val_mm"] < start


def test_residual_jacobian_is_nominal_plus_network_and_matches_fd(real, residual):
    q = real.nominal.random_q(8, 4, 0.1)
    jn = real.nominal.jacobian(q, point=real.assumed_point)[:, :3]
    _, jnet = residual._cf.jacobian(q)
    np.testing.assert_allclose(residual.jacobian(q), jn + jnet, atol=1e-12)
    np.testing.assert_allclose(residual.jacobian(q[0]), jn[0] + jnet[0], atol=1e-6)  # float32 path
    h = 1e-5
    for j in range(2):
        e = np.zeros(2)
        e[j] = h
        fd = (residual.fk(q + e) - residual.fk(q - e)) / (2 * h)
        np.testing.assert_allclose(residual.jacobian(q)[:, :, j], fd, atol=1e-6)


@pytest.mark.parametrize("base", ["nominal", "calibrated"])
def test_save_load_round_trip_rebuilds_the_nominal(real, data, residual, base, tmp_path):
    model = residual if base == "nominal" else train_from_data(
        *data, TINY, nominal=real.nominal, point=real.assumed_point, log=None)  # fmt: skip
    model.save(tmp_path / "m")
    back = load(tmp_path / "m")
    assert isinstance(back, DataModel)
    q = real.nominal.random_q(10, 5, 0.1)
    back.out_of_range = model.out_of_range = "ignore"
    np.testing.assert_array_equal(back.fk(q), model.fk(q))
    np.testing.assert_array_equal(back.jacobian(q), model.jacobian(q))
    np.testing.assert_array_equal(back.nominal.position(q), model.nominal.position(q))
    if base == "calibrated":
        assert "calibration" in back.metrics
        # the calibrated chain, not the URDF, comes back
        uncal = real.nominal.position(q, point=real.assumed_point)
        assert np.abs(back.nominal.position(q) - uncal).max() > 1e-4


def test_calibrated_base_is_exact_on_geometric_errors():
    spec = {
        "arm": "planar2",
        "geometry": {"joint_origin_mm": 3.0, "joint_zero_deg": 0.5},
        "tool": {"assumed": [0.05, 0, 0], "error_mm": 2.0},
        "tracker": {"noise_mm": 0.0},
    }
    real = load_spec(spec).realize(2)
    q, x = static_samples(real, 200, seed=1).pairs()
    held = static_samples(real, 100, seed=7)
    err = {}
    for base in ("calibrated", "nominal"):
        m = train_from_data(
            q, x, {**TINY, "base": base}, nominal=real.nominal, point=real.assumed_point, log=None
        )
        m.out_of_range = "ignore"
        err[base] = np.median(np.linalg.norm(m.fk(held.pairs()[0]) - held.truth_tip, axis=1))
    assert err["calibrated"] < 1e-6 < 1e-4 < err["nominal"]


def test_pure_network_from_data(real, data, tmp_path):
    q, x = data
    model = train_from_data(q, x, TINY, log=None)
    assert model.nominal is None and model.fk(q).shape == (300, 3)
    assert model.jacobian(q[0]).shape == (3, 2)
    model.save(tmp_path / "p")
    np.testing.assert_array_equal(load(tmp_path / "p").fk(q), model.fk(q))


def test_bad_input(real, data):
    q, x = data
    with pytest.raises(InputError, match="shape"):
        train_from_data(q, x[:-1], TINY, nominal=real.nominal)
    with pytest.raises(InputError, match=r"shape \(B, 2\)"):
        train_from_data(np.zeros((10, 3)), np.zeros((10, 3)), TINY, nominal=real.nominal)
    with pytest.raises(ConfigError, match="training.epochs"):
        train_from_data(q, x, {"training": {"epochs": 0}})
    with pytest.raises(ConfigError, match="unknown key"):
        train_from_data(q, x, {"optimizer": "sgd"})
    with pytest.raises(ConfigError, match="nominal"):
        train_from_data(q, x, TINY, point=[0, 0, 0.1])


def test_learning_config_point_models_the_tool_tip(arms, tmp_path):
    from armjac.learned import train
    from armjac.learned.data import targets

    arm = arms("planar2")
    q = arm.random_q(20, 0)
    split = targets(arm, q, point=[0.1, 0.0, 0.02])
    np.testing.assert_allclose(split.pos, arm.position(q, point=[0.1, 0.0, 0.02]), atol=1e-12)
    np.testing.assert_allclose(split.jac, arm.jacobian(q, point=[0.1, 0, 0.02])[:, :3], atol=1e-12)
    cfg = {"arm": "planar2", "point": [0.1, 0.0, 0.02], "nominal": {"link_scale_std": 0.05},
           "data": {"n_train": 64, "n_val": 16, "n_test": 16},
           "network": {"ensembles": [{"n_neurons": 16}]},
           "training": {"epochs": 1, "batch_size": 32, "progress": False}}  # fmt: skip
    model = train(None, cfg, log=None)
    # the nominal is evaluated at the tool point: residual targets are tip - nominal tip
    np.testing.assert_allclose(model.nominal.position(q)[:, :], model.nominal.fk(q)[:, :3, 3])
    model.save(tmp_path / "pt")
    back = load(tmp_path / "pt")
    np.testing.assert_array_equal(back.fk(q), model.fk(q))
