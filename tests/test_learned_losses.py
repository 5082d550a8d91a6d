"""Training losses live in one registry, read by the config checks and the training loop."""

from __future__ import annotations

import numpy as np
import pytest
from learned_factory import TINY_TRAIN

from armjac.errors import ConfigError
from armjac.learned import losses
from armjac.learned.config import validate


@pytest.fixture
def extra_loss():
    """A temporary loss term that records what the training loop handed it."""
    seen = []

    @losses.register("probe_term", needs_jacobian=True)
    def _probe(b):
        import tensorflow as tf

        seen.append(b)
        return tf.reduce_mean(tf.square(b.jac))

    yield seen
    del losses.LOSSES["probe_term"]


def test_config_defaults_come_from_the_registry():
    cfg = validate({"arm": "planar2"})
    assert cfg["training"]["loss"] == {"position": 1.0, "jacobian": 0.0, "contractive": 0.0}
    assert set(cfg["training"]["loss"]) == set(losses.LOSSES)


def test_a_registered_loss_is_accepted_and_defaults_to_zero(extra_loss):
    assert validate({"arm": "planar2"})["training"]["loss"]["probe_term"] == 0.0
    cfg = validate({"arm": "planar2", "training": {"loss": {"probe_term": 0.5}}})
    assert cfg["training"]["loss"]["probe_term"] == 0.5
    with pytest.raises(ConfigError, match=r"training.loss.probe_term: must be >= 0"):
        validate({"arm": "planar2", "training": {"loss": {"probe_term": -1}}})
    with pytest.raises(ConfigError, match=r"'fit' trains only the position loss.*probe_term"):
        validate({"arm": "planar2", "training": {"method": "fit", "loss": {"probe_term": 1}}})


def test_names_are_registered_once():
    with pytest.raises(ValueError, match="already registered"):
        losses.register("position", needs_jacobian=False)(lambda b: 0.0)
    with pytest.raises(ValueError, match="identifier"):
        losses.register("not a name", needs_jacobian=False)


def test_built_in_terms_match_their_formulas():
    tf = pytest.importorskip("tensorflow")
    rng = np.random.default_rng(0)
    y, t = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    j, tj = rng.normal(size=(5, 3, 2)), rng.normal(size=(5, 3, 2))
    batch = losses.Batch(*(tf.constant(a) for a in (y, t, j, tj)), jac_scale=0.5)
    weights = {"position": 2.0, "jacobian": 3.0, "contractive": 0.25}
    expected = (
        2.0 * np.mean((y - t) ** 2)
        + 3.0 * 0.5 * np.mean((j - tj) ** 2)
        + 0.25 * np.mean(np.sum(j**2, axis=(1, 2)))
    )
    assert float(losses.total(weights, batch)) == pytest.approx(expected, rel=1e-12)
    assert losses.needs_jacobian({"position": 1.0, "jacobian": 0.0}) is False
    assert losses.needs_jacobian({"position": 1.0, "contractive": 0.1}) is True


def test_training_loop_uses_a_registered_loss(extra_loss):
    pytest.importorskip("nengo_dl")
    from armjac.learned import train

    training = {**TINY_TRAIN["training"], "loss": {"probe_term": 1.0}, "jacobian_mode": "projected"}
    cfg = {**TINY_TRAIN, "training": training}
    model = train("planar2", cfg, log=None)
    model.close()
    assert extra_loss, "the registered term was never called"
    b = extra_loss[0]
    assert b.jac is not None and tuple(b.jac.shape[1:]) == (1, 2)  # one projected row per sample
    assert model.config["training"]["loss"]["probe_term"] == 1.0
