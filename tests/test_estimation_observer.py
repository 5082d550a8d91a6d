"""The momentum observer against known pushes, PyBullet's contact force, and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from armjac import load_arm
from armjac.errors import InputError
from armjac.estimation import MomentumObserver

pytest.importorskip("pybullet")
from armjac.sim import ArmSim  # noqa: E402
from armjac.sim.pybullet_model import PyBulletModel  # noqa: E402


@pytest.fixture(scope="module")
def kuka():
    return load_arm("kuka_iiwa")


def _hold(arm, q0, q, dq):
    """Computed-torque hold of q0 (stiff, well damped) on the exact model."""
    return arm.gravity(q) + arm.mass_matrix(q) @ (400.0 * (q0 - q) - 40.0 * dq)


def _run_push(arm, force, damping, steps=1500, push_at=300, point=None, gain=50.0):
    q0 = arm.home.copy()
    sim = ArmSim(arm, joint_damping=damping, q0=q0)
    obs = MomentumObserver(arm, sim.dt, gain, damping=damping)
    try:
        for k in range(steps):
            fb = sim.get_feedback()
            obs.update(fb["q"], fb["dq"], fb["u"])
            if k == push_at:
                sim.push(force, duration=10.0, point=point)
            # the hold adds the damping back, so the commanded torque is not the link's
            sim.send_forces(_hold(arm, q0, fb["q"], fb["dq"]) + damping * fb["dq"])
        return obs, sim.get_feedback()["q"]
    finally:
        sim.close()


@pytest.mark.parametrize("damping", [0.0, 0.5])
def test_known_push_is_estimated_within_0_1_newton(kuka, damping):
    rng = np.random.default_rng(17)
    direction = rng.normal(size=3)
    force = 10.0 * direction / np.linalg.norm(direction)
    obs, q = _run_push(kuka, force, damping)
    np.testing.assert_allclose(obs.force(q), force, atol=0.1)
    wrench = obs.wrench(q)
    np.testing.assert_allclose(wrench[:3], force, atol=0.1)
    np.testing.assert_allclose(wrench[3:], 0.0, atol=0.05)  # pushed at the point itself


def test_per_joint_gains_settle_on_the_same_force(kuka):
    force = np.array([-4.0, 7.0, 5.0])
    obs, q = _run_push(kuka, force, 0.5, gain=[30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0])
    np.testing.assert_allclose(obs.wrench(q)[:3], force, atol=0.1)


def test_ignoring_the_damping_is_a_bias(kuka):
    """With damping in the simulator and none in the observer, the hold still works but
    the hand moves while the push settles: the estimate is off while it moves."""
    q0 = kuka.home.copy()
    sim = ArmSim(kuka, joint_damping=2.0, q0=q0)
    right = MomentumObserver(kuka, sim.dt, 50.0, damping=2.0)
    wrong = MomentumObserver(kuka, sim.dt, 50.0)
    errs_right, errs_wrong = [], []
    try:
        for k in range(600):
            fb = sim.get_feedback()
            right.update(fb["q"], fb["dq"], fb["u"])
            wrong.update(fb["q"], fb["dq"], fb["u"])
            target = q0 + 0.3 * np.sin(2 * np.pi * k * sim.dt)  # moving: damping torques
            sim.send_forces(_hold(kuka, target, fb["q"], fb["dq"]) + 2.0 * fb["dq"])
            errs_right.append(np.abs(right.tau_ext).max())
            errs_wrong.append(np.abs(wrong.tau_ext).max())
    finally:
        sim.close()
    assert max(errs_right[100:]) < 0.3 * max(errs_wrong[100:])


def test_offset_contact_point_wrench_force_is_point_independent(kuka):
    """A push 5 cm off the assumed point: the wrench's force is still right."""
    force = np.array([0.0, 6.0, -8.0])
    obs, q = _run_push(kuka, force, 0.0, point=[0.05, 0.0, 0.0])
    np.testing.assert_allclose(obs.wrench(q)[:3], force, atol=0.1)
    # the moment about the EE origin is r x F with r the world offset
    np.testing.assert_allclose(obs.wrench(q)[3:], np.cross([0.05, 0, 0], force), atol=0.05)


def test_observer_matches_pybullet_contact_force_on_a_table(kuka):
    """The hand pressed down on a table by a known command: the observer's wrench force
    against the simulator's contact force."""
    q0 = kuka.home.copy()
    q0[1], q0[3], q0[5] = 0.5, -1.4, 1.2
    sim = ArmSim(kuka, q0=q0)
    try:
        pos, _ = sim.ee_pose()
        table = sim.add_box([0.2, 0.2, 0.05], [pos[0], pos[1], pos[2] - 0.06 - 0.05])
        obs = MomentumObserver(kuka, sim.dt, 100.0)
        est, truth = [], []
        for k in range(2500):
            fb = sim.get_feedback()
            q, dq = fb["q"], fb["dq"]
            obs.update(q, dq, fb["u"])
            jac = kuka.jacobian(q)
            # hold the posture softly and push down with 12 N at the EE origin
            u = kuka.gravity(q) + kuka.mass_matrix(q) @ (20.0 * (q0 - q) - 10.0 * dq)
            u += jac[:3].T @ np.array([0.0, 0.0, -12.0])
            sim.send_forces(u)
            if k > 1500:
                est.append(obs.wrench(q)[:3])
                truth.append(sim.contact_force(table))
    finally:
        sim.close()
    est, truth = np.array(est), np.array(truth)
    assert truth[:, 2].mean() > 5.0  # it really presses
    np.testing.assert_allclose(est.mean(axis=0), truth.mean(axis=0), atol=0.1)


def test_pybullet_model_as_dynamics_source_agrees_with_the_arm(kuka):
    """Finite differences of PyBullet's mass matrix give the same residual as the kernels."""
    rng = np.random.default_rng(3)
    with PyBulletModel(kuka) as ref:
        a = MomentumObserver(kuka, 1e-3, 50.0)
        b = MomentumObserver(ref, 1e-3, 50.0)
        q, dq = kuka.home.copy(), np.zeros(7)
        for _ in range(30):
            qdd = rng.normal(0, 2.0, 7)
            dq = dq + 1e-3 * qdd
            q = q + 1e-3 * dq
            tau = kuka.inverse_dynamics(q, dq, qdd) + rng.normal(0, 0.5, 7)
            ra, rb = a.update(q, dq, tau), b.update(q, dq, tau)
        np.testing.assert_allclose(rb, ra, atol=1e-4)


def test_free_motion_on_the_exact_model_reads_no_external_torque(kuka):
    """Torques from the exact inverse dynamics of a smooth motion: the residual is the
    discretisation error only."""
    obs = MomentumObserver(kuka, 1e-3, 50.0)
    t = np.arange(0, 1.0, 1e-3)
    q = kuka.home + 0.5 * np.sin(2 * np.pi * t)[:, None] * np.ones(7)
    dq = 0.5 * 2 * np.pi * np.cos(2 * np.pi * t)[:, None] * np.ones(7)
    qdd = -0.5 * (2 * np.pi) ** 2 * np.sin(2 * np.pi * t)[:, None] * np.ones(7)
    worst = 0.0
    for k in range(1, t.size):
        # the torque applied over the step that ended at k: the mid-step inverse dynamics
        tau = kuka.inverse_dynamics(0.5 * (q[k] + q[k - 1]), 0.5 * (dq[k] + dq[k - 1]),
                                    0.5 * (qdd[k] + qdd[k - 1]))
        worst = max(worst, float(np.abs(obs.update(q[k], dq[k], tau)).max()))
    assert worst < 0.15  # 0.1 N·m measured: O(dt) at 20 rad/s^2 (torques of tens of N·m)


def test_bad_input_is_refused_with_clear_errors(kuka):
    obs = MomentumObserver(kuka, 1e-3)
    q = kuka.home
    with pytest.raises(InputError, match="tau"):
        obs.update(q, np.zeros(7), [np.nan] * 7)
    with pytest.raises(InputError, match="shape"):
        obs.update(q, np.zeros(6), np.zeros(7))
    with pytest.raises(InputError, match="gain"):
        MomentumObserver(kuka, 1e-2, gain=200.0)
    with pytest.raises(InputError, match="gain"):
        MomentumObserver(kuka, 1e-3, gain=-1.0)
    with pytest.raises(InputError, match="damping"):
        MomentumObserver(kuka, 1e-3, damping=[0.1] * 3)
    with pytest.raises(InputError, match="dynamics"):
        MomentumObserver(object(), 1e-3)
    with pytest.raises(InputError, match="point"):
        obs.force(q, point=[0, 0])
    assert np.isfinite(obs.tau_ext).all()


def test_wrench_needs_six_joints():
    planar = load_arm("planar2")
    obs = MomentumObserver(planar, 1e-3)
    obs.update(planar.home, np.zeros(2), planar.gravity(planar.home))
    with pytest.raises(InputError, match="six"):
        obs.wrench(planar.home)


def test_force_near_a_singularity_stays_bounded(kuka):
    """Stretched straight up, J's linear rows lose rank: the estimate fades, it does not blow up."""
    obs = MomentumObserver(kuka, 1e-3)
    q = np.zeros(7)
    obs.update(q, np.zeros(7), kuka.gravity(q))
    obs._now[3] = np.array([0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0]) * 1e-3 + 1.0  # a residual
    f = obs.force(q)
    assert np.isfinite(f).all() and np.linalg.norm(f) < 1e4
