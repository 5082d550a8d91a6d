"""Edge cases of learned models: save/load fidelity, extrapolation, empty batches, bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("nengo_dl")

from learned_factory import TINY_TRAIN as TINY  # noqa: E402

from armjac import load_arm  # noqa: E402
from armjac.errors import ConfigError, InputError  # noqa: E402
from armjac.learned import load, train  # noqa: E402


def _cfg(**over):
    cfg = {k: (dict(v) if isinstance(v, dict) else v) for k, v in TINY.items()}
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(cfg.get(key), dict):
            cfg[key] = {**cfg[key], **value}
        else:
            cfg[key] = value
    return cfg


@pytest.fixture(scope="module")
def tiny_model():
    model = train("planar2", _cfg(), log=None)
    yield model
    model.close()


def test_nominal_model_with_other_ee_link_survives_save_load(tmp_path):
    arm = load_arm("planar2", ee_link="link2")
    assert arm.ee_link != load_arm("planar2").ee_link
    model = train(arm, _cfg(nominal={"link_scale_std": 0.1, "seed": 3}), log=None)
    q = arm.random_q(5, np.random.default_rng(0))
    model.save(tmp_path / "m")
    back = load(tmp_path / "m")
    assert back.ee_link == "link2"
    np.testing.assert_array_equal(back.fk(q), model.fk(q))
    np.testing.assert_array_equal(back.jacobian(q), model.jacobian(q))
    np.testing.assert_array_equal(back.jacobian(q[0]), model.jacobian(q[0]))


def test_nominal_model_that_cannot_be_rebuilt_is_not_saved(tmp_path):
    from armjac.learned.nominal import perturbed_arm

    other = perturbed_arm(load_arm("planar2"), 0.3, 7)  # not loadable by name
    model = train(other, _cfg(nominal={"link_scale_std": 0.1}), log=None)
    with pytest.raises(ConfigError, match="nominal arm cannot be rebuilt"):
        model.save(tmp_path / "m")


def test_out_of_range_q_warns_once_by_default(tiny_model):
    lo, hi = tiny_model.train_range
    inside = 0.5 * (lo + hi)
    outside = inside.copy()
    outside[1] = hi[1] + 0.5
    assert tiny_model.out_of_range == "warn"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tiny_model.jacobian(inside)
        tiny_model.jacobian(hi + 1e-12)  # within the tolerance
    with pytest.warns(UserWarning, match=r"joint 1 .*outside the training range") as rec:
        tiny_model.jacobian(outside)
    assert tiny_model.joint_names[1] in str(rec[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tiny_model.fk(np.stack([outside, inside]))  # once per model


def test_out_of_range_q_raise_and_ignore(tiny_model, tmp_path):
    lo, hi = tiny_model.train_range
    outside = np.array([lo[0] - 1.0, 0.5 * (lo[1] + hi[1])])
    tiny_model.out_of_range = "raise"
    try:
        with pytest.raises(InputError, match=r"joint 0 .*outside the training range"):
            tiny_model.jacobian(outside)
        with pytest.raises(InputError, match="training range"):
            tiny_model.fk(outside[None])
        tiny_model.out_of_range = "ignore"
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            tiny_model.jacobian(outside)
        with pytest.raises(InputError, match="out_of_range"):
            tiny_model.out_of_range = "clip"
    finally:
        tiny_model.out_of_range = "warn"
    tiny_model.save(tmp_path / "m")
    back = load(tmp_path / "m")
    np.testing.assert_array_equal(back.train_range[0], lo)
    np.testing.assert_array_equal(back.train_range[1], hi)


def test_training_range_follows_margin():
    model = train("planar2", _cfg(data={"margin": 0.2}), log=None)
    lo, hi = load_arm("planar2").sample_bounds(0.2)
    np.testing.assert_array_equal(model.train_range[0], lo)
    np.testing.assert_array_equal(model.train_range[1], hi)


@pytest.mark.parametrize("backend", ["numpy", "tf"])
def test_empty_batch_gives_empty_results(tiny_model, backend):
    empty = np.zeros((0, 2))
    jac = tiny_model.jacobian(empty, backend=backend)
    assert jac.shape == (0, 3, 2) and jac.dtype == np.float64
    assert tiny_model.fk(empty).shape == (0, 3)
    y, jy = tiny_model._cf.jacobian(empty)
    assert y.shape == (0, 3) and jy.shape == (0, 3, 2)
    if backend == "tf":
        y, jy = tiny_model.tf.jacobian(empty)
        assert y.shape == (0, 3) and jy.shape == (0, 3, 2)
        assert tiny_model.tf.predict(empty).shape == (0, 3)


@pytest.mark.parametrize(
    "training, key",
    [
        ("{learning_rate: 0}", "training.learning_rate"),
        ("{learning_rate: 0.001, final_learning_rate: 0.01}", "training.final_learning_rate"),
    ],
)
def test_learning_rates_are_validated(tmp_path, training, key):
    from armjac.learned import resolve_config

    path = tmp_path / "c.yaml"
    path.write_text(f"arm: planar2\ntraining: {training}\n")
    with pytest.raises(ConfigError) as info:
        resolve_config(path)
    assert str(path) in str(info.value) and key in str(info.value)


@pytest.mark.parametrize(
    "q", [["a", "b"], np.array([1 + 1j, 0]), np.array([True, False]), np.array(["1", "2"])]
)
def test_non_numeric_q_is_an_input_error(tiny_model, q):
    with pytest.raises(InputError, match="real numbers"):
        tiny_model.jacobian(q)
    with pytest.raises(InputError, match="real numbers"):
        tiny_model.fk(q)


def test_integer_and_float32_q_are_accepted(tiny_model):
    np.testing.assert_allclose(
        tiny_model.jacobian(np.array([0, 1])), tiny_model.jacobian(np.array([0.0, 1.0]))
    )
    assert tiny_model.jacobian(np.zeros((2, 2), np.float32)).shape == (2, 3, 2)


def test_sampler_outside_the_limits_or_misshapen_is_refused(arms):
    from armjac.learned import resolve_config
    from armjac.learned.data import sample_q

    arm = arms("planar2")
    cfg, _ = resolve_config({"arm": "planar2"})
    hi = arm.sample_bounds()[1]
    with pytest.raises(ConfigError, match=r"sampler returned .*outside the joint limits"):
        sample_q(arm, cfg["data"], 3, seed=1, sampler=lambda n, rng: np.tile(hi + 0.1, (n, 1)))
    with pytest.raises(ConfigError, match="sampler returned shape"):
        sample_q(arm, cfg["data"], 3, seed=1, sampler=lambda n, rng: np.zeros(2 * n))
    with pytest.raises(ConfigError, match="finite"):
        sample_q(arm, cfg["data"], 3, seed=1, sampler=lambda n, rng: np.full((n, 2), np.nan))
    at_limit = sample_q(arm, cfg["data"], 3, seed=1, sampler=lambda n, rng: np.tile(hi, (n, 1)))
    np.testing.assert_array_equal(at_limit, np.tile(hi, (3, 1)))


def test_data_center_of_wrong_length_is_refused_at_train_time():
    with pytest.raises(ConfigError, match=r"data\.center.*2 values"):
        train("planar2", _cfg(data={"center": [0.0, 0.1, 0.2]}), log=None)
    with pytest.raises(ConfigError, match=r"data\.center"):
        train("planar2", _cfg(data={"center": "home"}), log=None)
