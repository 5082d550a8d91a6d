"""Load identification against payloads attached in PyBullet, and its refusals."""

from __future__ import annotations

import numpy as np
import pytest

from armjac import load_arm
from armjac.errors import InputError
from armjac.estimation import design_load_poses, identify_load, load_regressor
from armjac.estimation.load import MAX_CONDITION, _condition


@pytest.fixture(scope="module")
def kuka():
    return load_arm("kuka_iiwa")


def _point_load(m, c):
    about = m * (c @ c * np.eye(3) - np.outer(c, c))
    return np.r_[m, m * c, about[0, 0], about[0, 1], about[0, 2], about[1, 1], about[1, 2],
                 about[2, 2]]


def test_regressor_by_hand_against_a_point_mass_on_one_link():
    """planar2 (two links in a vertical plane): a point mass m at distance c along the
    last link's x axis adds m g (l1 cos q1 + c cos(q1+q2)) and m g c cos(q1+q2), by hand."""
    arm = load_arm("planar2")
    q = np.array([0.3, -0.7])
    y = load_regressor(arm, q)[0]
    pose = arm.fk(q)
    # the load's weight torque from the link origin's position and the gravity direction
    g = np.asarray(arm.gravity_vector)
    m, c = 1.5, np.array([0.2, 0.0, 0.0])
    tip = pose[:3, 3] + pose[:3, :3] @ c
    # joint axes and origins from the model's own FK of each joint frame
    torques = []
    for name in arm.joint_names:
        j = next(jj for jj in arm.joints if jj.name == name)
        frame = arm.fk(q, link=j.child)
        axis = frame[:3, :3] @ np.asarray(j.axis)
        torques.append(-axis @ np.cross(tip - frame[:3, 3], m * g))
    np.testing.assert_allclose(y @ np.r_[m, m * c], torques, atol=1e-12)


def test_regressor_matches_an_adjusted_arm_carrying_the_load(kuka):
    rng = np.random.default_rng(11)
    m, c = rng.uniform(0.3, 3.0), rng.uniform(-0.1, 0.1, 3)
    loaded = kuka.adjusted(load=_point_load(m, c))
    q = kuka.random_q(25, rng=rng)
    delta = np.asarray(loaded.gravity(q)) - np.asarray(kuka.gravity(q))
    np.testing.assert_allclose(load_regressor(kuka, q) @ np.r_[m, m * c], delta, atol=1e-10)


def test_noise_free_torques_give_the_load_exactly(kuka):
    rng = np.random.default_rng(2)
    m, c = rng.uniform(0.5, 2.0), rng.uniform(-0.08, 0.08, 3)
    truth = kuka.adjusted(load=_point_load(m, c))
    q = design_load_poses(kuka, 8)
    est = identify_load(kuka, q, truth.gravity(q))
    assert est.mass == pytest.approx(m, rel=1e-9)
    np.testing.assert_allclose(est.com, c, atol=1e-9)
    # the returned arm carries it: its gravity is the truth's at new poses
    q2 = kuka.random_q(5, rng=rng)
    np.testing.assert_allclose(est.arm.gravity(q2), truth.gravity(q2), atol=1e-9)


def test_designed_poses_are_better_conditioned_than_random_ones(kuka):
    designed = _condition(load_regressor(kuka, design_load_poses(kuka, 6)).reshape(-1, 4))
    rng = np.random.default_rng(0)
    randoms = [_condition(load_regressor(kuka, kuka.random_q(6, rng=rng)).reshape(-1, 4))
               for _ in range(20)]
    assert designed < np.median(randoms)


def test_degenerate_pose_sets_are_refused(kuka):
    q = kuka.home
    tau = kuka.gravity(q)
    with pytest.raises(InputError, match="at least"):
        identify_load(kuka, np.tile(q, (2, 1)), np.tile(tau, (2, 1)))
    with pytest.raises(InputError, match="condition number"):
        identify_load(kuka, np.tile(q, (10, 1)), np.tile(tau, (10, 1)))
    # the same link orientation reached by joint 1 alone: gravity sees no difference
    spin = np.tile(q, (6, 1))
    spin[:, 0] = np.linspace(-1, 1, 6)
    with pytest.raises(InputError, match="orientations"):
        identify_load(kuka, spin, kuka.gravity(spin))
    assert MAX_CONDITION > 1


def test_bad_torques_are_refused(kuka):
    q = design_load_poses(kuka, 5)
    tau = np.asarray(kuka.gravity(q))
    bad = tau.copy()
    bad[2, 3] = np.nan
    with pytest.raises(InputError, match="tau"):
        identify_load(kuka, q, bad)
    with pytest.raises(InputError, match="shape"):
        identify_load(kuka, q, tau[:4])
    with pytest.raises(InputError, match="q"):
        identify_load(kuka, q[:, :6], tau)


def test_no_load_gives_zero_mass_not_a_negative_one(kuka):
    rng = np.random.default_rng(4)
    q = design_load_poses(kuka, 10)
    est = identify_load(kuka, q, np.asarray(kuka.gravity(q)) + rng.normal(0, 0.05, (10, 7)))
    assert est.mass == 0.0 and np.all(est.com == 0.0)
    assert np.isfinite(est.residual_rms)


@pytest.mark.parametrize("seed", [5, 8])
def test_payload_in_pybullet_is_identified_from_12_static_poses(kuka, seed):
    """A payload the test draws (0.5-2 kg, centre up to 12 cm off), attached in PyBullet;
    the torques come from holding designed poses in the simulator."""
    pytest.importorskip("pybullet")
    from armjac.mismatch.static_torques import measure_static_torques
    from armjac.sim import ArmSim

    rng = np.random.default_rng(seed)
    m = rng.uniform(0.5, 2.0)
    offset = np.r_[rng.uniform(-0.05, 0.05, 2), rng.uniform(0.02, 0.12)]
    poses = design_load_poses(kuka, 12)
    with ArmSim(kuka, q0=poses[0]) as sim:
        sim.add_payload(m, offset)
        q, tau = measure_static_torques(sim, poses, kuka)
    est = identify_load(kuka, q, tau)
    assert abs(est.mass - m) / m < 0.02
    assert np.linalg.norm(est.com - offset) < 0.003


def test_torque_sensor_bias_is_separated_from_the_load(kuka):
    """A bias per joint (drawn here) passes for load unless it is fitted too."""
    from armjac.mismatch.sensors import JointTorqueSensor

    rng = np.random.default_rng(21)
    m, c = 1.4, np.array([0.02, 0.01, 0.07])
    truth = kuka.adjusted(load=_point_load(m, c))
    q = design_load_poses(kuka, 16)
    sensor = JointTorqueSensor(bias=rng.normal(0, 0.5, 7), noise=0.05)
    tau = sensor.read(truth.gravity(q), np.zeros((16, 7)), rng)
    naive = identify_load(kuka, q, tau)
    fitted = identify_load(kuka, q, tau, offsets=True)
    assert abs(fitted.mass - m) / m < 0.02
    assert np.linalg.norm(fitted.com - c) < 0.003
    np.testing.assert_allclose(fitted.offsets, sensor.bias, atol=0.05)
    assert abs(naive.mass - m) > abs(fitted.mass - m)
    with pytest.raises(InputError, match="offsets"):
        identify_load(kuka, q, tau, offsets="yes")
