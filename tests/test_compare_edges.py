"""Edge cases of the comparison: manipulability of planar arms, caching of failed runs."""

from __future__ import annotations

import math

import numpy as np

from armjac.compare.accuracy import evaluate, manipulability


class _Noisy:
    """The analytic arm's J_v and position plus configuration-dependent noise."""

    def __init__(self, arm):
        self.arm = arm

    def jacobian(self, q):
        j = self.arm.jacobian(q)[:, :3, :]
        return j + 1e-3 * np.sin(7 * q.sum(axis=1))[:, None, None]

    def fk(self, q):
        return self.arm.fk(q)[:, :3, 3] + 1e-4


def test_manipulability_of_planar3_uses_its_task_space_rank(arms):
    arm = arms("planar3")
    q = arm.random_q(300, np.random.default_rng(3))
    j = arm.jacobian(q)[:, :3, :]
    w = manipulability(j)
    s = np.linalg.svd(j, compute_uv=False)
    np.testing.assert_allclose(w, s[:, 0] * s[:, 1], rtol=1e-12)
    assert (w > 0).all() and np.isfinite(w).all()
    summary, _ = evaluate(arm, _Noisy(arm), q)
    corr = summary["vs_manipulability"]["log_correlation"]
    assert math.isfinite(corr)
    assert summary["vs_manipulability"]["bins"][-1]["w_high"] > 0


def test_manipulability_of_full_rank_jacobians_is_unchanged(arms):
    arm = arms("kuka_iiwa")
    j = arm.jacobian(arm.random_q(20, np.random.default_rng(0)))[:, :3, :]
    np.testing.assert_allclose(manipulability(j), np.sqrt(np.linalg.det(j @ j.transpose(0, 2, 1))))
