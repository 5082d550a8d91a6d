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


def test_failed_runs_are_not_cached(tmp_path, monkeypatch):
    from types import SimpleNamespace

    import armjac.compare.control as control
    from armjac.compare.cache import Cache
    from armjac.compare.config import ScenarioSpec

    calls = []

    def run_one(cfg, arm, src, duration):
        calls.append(src.label)
        result = {"status": "error", "reason": "RuntimeError: boom", "passed": False}
        return result, {"t": np.zeros(0), "ee_pos": np.zeros((0, 3))}

    monkeypatch.setattr(control, "run_one", run_one)
    monkeypatch.setattr(
        control, "scenario_config", lambda spec, seed, pos_only: SimpleNamespace(scenario="x")
    )
    arm = SimpleNamespace()
    monkeypatch.setattr(control, "arm_fingerprint", lambda arm: {"arm": "fake"})
    src = control.Source(label="s", kind="analytic", spec="analytic", identity="analytic")
    cache = Cache(tmp_path)
    spec = ScenarioSpec(label="reach", data={}, where="<test>")
    for _ in range(2):
        records, _ = control.run_all(arm, [spec], [0], [src], False, cache, progress=False)
        assert records[0]["outcome"] == "error" and records[0]["cached"] is False
    assert calls == ["s", "s"]
    assert not any(p.is_file() for p in tmp_path.rglob("result.json"))


def test_run_key_covers_the_jacobian_sources_code():
    from armjac.compare.cache import RUN_CODE

    for part in ("armjac/learned", "armjac/arm.py", "armjac/codegen", "armjac/symbolic",
                 "armjac/scenarios", "armjac/sources.py"):  # fmt: skip
        assert part in RUN_CODE
