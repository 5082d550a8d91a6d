"""Sampling, splits and encodings."""

from __future__ import annotations

import numpy as np
import pytest

from armjac.errors import ConfigError
from armjac.learned import encoding
from armjac.learned.config import resolve_config
from armjac.learned.data import make_splits, sample_q


def test_uniform_samples_respect_limits_and_seeds(arms):
    arm = arms("kuka_iiwa")
    cfg, _ = resolve_config({"arm": "kuka_iiwa", "data": {"margin": 0.1}})
    q = sample_q(arm, cfg["data"], 2000, seed=5)
    lo, hi = arm.sample_bounds(0.1)
    assert q.shape == (2000, 7) and (q >= lo).all() and (q <= hi).all()
    np.testing.assert_array_equal(q, sample_q(arm, cfg["data"], 2000, seed=5))
    assert not np.allclose(q, sample_q(arm, cfg["data"], 2000, seed=6))


def test_normal_samples_and_user_sampler(arms):
    arm = arms("planar2")
    cfg, _ = resolve_config({"arm": "planar2", "data": {"distribution": "normal", "std": 0.1}})
    q = sample_q(arm, cfg["data"], 4000, seed=1)
    np.testing.assert_allclose(q.mean(axis=0), arm.home, atol=0.01)
    np.testing.assert_allclose(q.std(axis=0), 0.1, rtol=0.1)
    fixed = sample_q(arm, cfg["data"], 3, seed=1, sampler=lambda n, rng: np.zeros((n, 2)))
    np.testing.assert_array_equal(fixed, 0.0)
    with pytest.raises(ConfigError, match="sampler returned shape"):
        sample_q(arm, cfg["data"], 3, seed=1, sampler=lambda n, rng: np.zeros((n, 5)))


def test_splits_are_distinct_and_targets_are_the_arms(arms):
    arm = arms("planar2")
    cfg, _ = resolve_config({"arm": "planar2", "data": {"n_train": 50, "n_val": 20, "n_test": 30}})
    s = make_splits(arm, cfg["data"])
    assert [len(s[k].q) for k in ("train", "val", "test")] == [50, 20, 30]
    assert not np.isin(s["test"].q[:, 0], s["train"].q[:, 0]).any()
    np.testing.assert_allclose(s["test"].pos, arm.position(s["test"].q))


@pytest.mark.parametrize("kind", ["sincos", "scaled"])
def test_encoding_chain_rule_matches_finite_differences(kind, rng):
    lo, hi = -np.array([2.0, 1.0, 3.0]), np.array([2.5, 1.0, 3.0])
    q = rng.uniform(lo, hi)
    w = rng.standard_normal((4, encoding.encoded_size(kind, 3)))  # any linear read-out

    def f(qq):
        return w @ encoding.encode(kind, qq, lo, hi)

    h = 1e-6
    fd = np.stack([(f(q + h * e) - f(q - h * e)) / (2 * h) for e in np.eye(3)], axis=1)
    np.testing.assert_allclose(encoding.chain(kind, w, q, lo, hi), fd, atol=1e-8)
