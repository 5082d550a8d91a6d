"""Inverse kinematics: solutions checked against PyBullet's forward kinematics."""

from __future__ import annotations

import numpy as np
import pytest

from armjac import ik
from armjac.errors import InputError
from armjac.rotation import quat_from_matrix


@pytest.fixture(scope="module")
def pybullet_fk(arms):
    from armjac.sim import PyBulletModel

    models = {}

    def fk(arm, q, link=None):
        if arm.name not in models:
            models[arm.name] = PyBulletModel(arm)
        return models[arm.name].fk(q, link) if link else models[arm.name].fk(q)

    yield fk
    for m in models.values():
        m.close()


def _angle(a, b):
    return np.arccos(np.clip((np.trace(a.T @ b) - 1) / 2, -1, 1))


@pytest.mark.parametrize("name", ["kuka_iiwa", "franka_panda"])
def test_batched_pose_solutions_reach_their_targets_in_pybullet(arms, pybullet_fk, name):
    arm = arms(name)
    targets = arm.fk(arm.random_q(40, rng=7))
    res = ik.solve(arm, targets, rng=0)
    assert res.success.all()
    lo, hi = arm.joint_limits.T
    assert np.all((res.q >= lo) & (res.q <= hi))
    for k in range(len(targets)):
        pose = pybullet_fk(arm, res.q[k])
        # PyBullet's link positions carry about 1e-7 of error.
        assert np.linalg.norm(pose[:3, 3] - targets[k, :3, 3]) < 1e-5 + 1e-6
        assert _angle(pose[:3, :3], targets[k, :3, :3]) < 1e-4 + 1e-6
    np.testing.assert_allclose(res.residual, np.hypot(res.position_error, res.orientation_error))


def test_single_target_and_its_result_fields(arms):
    arm = arms("kuka_iiwa")
    target = arm.fk(arm.random_q(rng=11))
    res = ik.solve(arm, target)
    assert res.q.shape == (7,) and bool(res.success)
    got = arm.fk(res.q)
    assert np.linalg.norm(got[:3, 3] - target[:3, 3]) == pytest.approx(res.position_error)
    assert _angle(got[:3, :3], target[:3, :3]) == pytest.approx(res.orientation_error, abs=1e-7)
    assert res.iterations > 0 and res.restarts >= 0


def test_position_and_quaternion_targets(arms):
    arm = arms("kuka_iiwa")
    poses = arm.fk(arm.random_q(10, rng=2))
    res = ik.solve(arm, poses[:, :3, 3])
    assert res.success.all() and not res.orientation_error.any()
    np.testing.assert_allclose(arm.fk(res.q)[:, :3, 3], poses[:, :3, 3], atol=1e-5)
    seven = np.concatenate((poses[:, :3, 3], quat_from_matrix(poses[:, :3, :3])), axis=1)
    res7 = ik.solve(arm, seven)
    assert res7.success.all()
    assert max(_angle(arm.fk(q)[:3, :3], p[:3, :3]) for q, p in zip(res7.q, poses,
                                                                      strict=True)) < 1e-4


def test_a_point_on_another_link(arms, pybullet_fk):
    arm = arms("kuka_iiwa")
    link, point = "lbr_iiwa_link_5", np.array([0.0, 0.05, 0.1])
    qs = arm.random_q(8, rng=5)
    targets = arm.position(qs, link, point)
    res = ik.solve(arm, targets, link=link, point=point)
    assert res.success.all()
    for q, target in zip(res.q, targets, strict=True):
        pose = pybullet_fk(arm, q, link)
        np.testing.assert_allclose(pose[:3, 3] + pose[:3, :3] @ point, target, atol=1e-5)


def _null_part(arm, q, v):
    """The part of v in the null space of the position Jacobian at q (numpy's pinv)."""
    jac = arm.jacobian(q)[:3]
    return v - np.linalg.pinv(jac) @ (jac @ v)


def test_posture_preference_acts_in_the_null_space(arms):
    arm = arms("kuka_iiwa")
    targets = arm.position(arm.random_q(20, rng=9, margin=0.2))
    rest = arm.random_q(rng=4, margin=0.3)
    plain = ik.solve(arm, targets)
    pulled = ik.solve(arm, targets, posture=rest)
    assert plain.success.all() and pulled.success.all()
    gap_plain = np.linalg.norm(plain.q - rest, axis=1)
    gap_pulled = np.linalg.norm(pulled.q - rest, axis=1)
    assert np.median(gap_pulled) < 0.8 * np.median(gap_plain)
    # At the closest solution to the posture, q - rest has no part left in the null space
    # (unless a joint limit stops it).
    lo, hi = arm.joint_limits.T
    free = np.all((pulled.q > lo + 1e-6) & (pulled.q < hi - 1e-6), axis=1)
    left = [np.linalg.norm(_null_part(arm, q, rest - q)) for q in pulled.q[free]]
    before = [np.linalg.norm(_null_part(arm, q, rest - q)) for q in plain.q[free]]
    assert free.sum() >= 10 and np.median(left) < 0.05 * np.median(before)


def test_restarts_rescue_what_one_start_misses(arms):
    arm = arms("franka_panda")
    targets = arm.fk(arm.random_q(200, rng=3))
    tol = dict(tol_position=1e-4, tol_orientation=np.deg2rad(0.1))
    once = ik.solve(arm, targets, restarts=0, **tol)
    more = ik.solve(arm, targets, restarts=20, rng=1, **tol)
    assert once.success.mean() < 1.0  # from home alone, some poses are missed
    assert more.success.mean() >= 0.995
    assert np.all(more.restarts[once.success] == 0)


def test_unreachable_target_fails_cleanly(arms):
    arm = arms("kuka_iiwa")
    res = ik.solve(arm, [3.0, 0.0, 0.5], restarts=2, max_iterations=30)
    assert not res.success
    assert np.isfinite(res.q).all() and res.position_error > 1.5
    assert res.restarts == 2


@pytest.mark.parametrize(
    "kwargs, words",
    [
        (dict(target=np.zeros(5)), "target must be"),
        (dict(target=[np.nan, 0, 0]), "target must be finite"),
        (dict(target=np.diag([1.0, 1.0, -1.0, 1.0])), "rotation"),
        (dict(target=[0.5, 0, 0.5], q0=np.zeros(3)), "q0 must have shape"),
        (dict(target=np.zeros((2, 3)), q0=np.zeros((3, 7))), "3 rows for 2 targets"),
        (dict(target=[0.5, 0, 0.5], max_iterations=0), "max_iterations"),
        (dict(target=[0.5, 0, 0.5], restarts=-1), "restarts"),
        (dict(target=[0.5, 0, 0.5], tol_position=-1.0), "tol_position"),
        (dict(target=[0.5, 0, 0.5], posture=np.zeros(3)), "posture must have shape"),
        (dict(target=[0.5, 0, 0.5], link="nope"), "nope"),
    ],
)
def test_bad_input_is_refused(arms, kwargs, words):
    with pytest.raises((InputError, KeyError), match=words):
        ik.solve(arms("kuka_iiwa"), **kwargs)


def test_the_default_is_reproducible(arms):
    """rng=None restarts from a fixed seed: two runs of a batch that needs restarts agree."""
    arm = arms("franka_panda")
    targets = arm.fk(arm.random_q(60, rng=3))
    a = ik.solve(arm, targets, max_iterations=8)
    b = ik.solve(arm, targets, max_iterations=8)
    assert a.restarts.sum() > 0  # the restarts, where chance enters, were used
    np.testing.assert_array_equal(a.q, b.q)
    np.testing.assert_array_equal(a.success, b.success)


def test_targets_on_the_workspace_boundary_are_solved(arms, pybullet_fk):
    """Poses with kuka's elbow all but stretched (joint 4 within 0.02 rad of 0, the smallest
    singular value of J about 1e-3): what the default solver used to miss."""
    arm = arms("kuka_iiwa")
    q = arm.random_q(40, rng=np.random.default_rng(21))
    q[:, 3] = np.linspace(-0.02, 0.02, 40)
    assert max(np.linalg.svd(arm.jacobian(qk), compute_uv=False)[-1] for qk in q) < 0.01
    targets = arm.fk(q)
    for seed in (0, 1):
        res = ik.solve(arm, targets, rng=seed)
        assert res.success.all(), np.flatnonzero(~res.success)
    for k in range(0, 40, 8):
        pose = pybullet_fk(arm, res.q[k])
        assert np.linalg.norm(pose[:3, 3] - targets[k, :3, 3]) < 1e-5 + 1e-6
