"""ArmSim against independent physics: gravity, J^T F, point masses, contact statics,
joint damping; every test runs on each engine."""

from __future__ import annotations

import numpy as np
import pytest

from armjac.errors import ConfigError, InputError, SimulationError
from armjac.sim import ArmSim, PyBulletModel


@pytest.fixture
def kuka_sim(arms, engine):
    sim = ArmSim(arms("kuka_iiwa"), engine=engine)
    assert sim.engine == engine
    yield sim
    sim.disconnect()


def test_analytic_gravity_holds_the_arm_still(kuka_sim):
    arm = kuka_sim.arm
    for _ in range(300):
        kuka_sim.send_forces(arm.gravity(kuka_sim.get_feedback()["q"]))
    fb = kuka_sim.get_feedback()
    np.testing.assert_allclose(fb["q"], arm.home, atol=1e-6)
    assert fb["time"] == pytest.approx(0.3)


def test_pose_and_velocity_match_the_analytic_kinematics(kuka_sim, rng):
    arm = kuka_sim.arm
    q, dq = arm.random_q(rng=rng, margin=0.1), rng.normal(size=7) * 0.5
    kuka_sim.reset(q, dq)
    pos, quat = kuka_sim.ee_pose()
    t = arm.fk(q)
    np.testing.assert_allclose(pos, t[:3, 3], atol=1e-6)
    from armjac.control.orientation import matrix_from_quat

    np.testing.assert_allclose(matrix_from_quat(quat), t[:3, :3], atol=1e-6)
    v, w = kuka_sim.ee_velocity()
    np.testing.assert_allclose(np.concatenate((v, w)), arm.jacobian(q) @ dq, atol=1e-6)


def test_push_acts_as_jacobian_transpose_force(kuka_sim):
    arm = kuka_sim.arm
    q = arm.home
    force = np.array([0.0, 20.0, -5.0])
    kuka_sim.push(force, duration=0.002)
    kuka_sim.send_forces(arm.gravity(q))
    # From rest, one semi-implicit Euler step: dq = dt M^-1 J_v^T F.
    expected = 1e-3 * np.linalg.solve(arm.mass_matrix(q), arm.jacobian(q)[:3].T @ force)
    np.testing.assert_allclose(kuka_sim.get_feedback()["dq"], expected, rtol=1e-3, atol=1e-9)
    kuka_sim.send_forces(arm.gravity(kuka_sim.get_feedback()["q"]))
    before = kuka_sim.get_feedback()["dq"]
    kuka_sim.send_forces(arm.gravity(kuka_sim.get_feedback()["q"]))  # push is over now
    np.testing.assert_allclose(kuka_sim.get_feedback()["dq"], before, atol=1e-4)


def test_payload_weighs_its_mass_at_the_end_effector(kuka_sim):
    arm = kuka_sim.arm
    mass = 2.0
    kuka_sim.add_payload(mass)
    weight = np.array([0.0, 0.0, -9.81 * mass])

    def hold(q):  # analytic compensation of a point mass at the EE origin
        return arm.gravity(q) - arm.jacobian(q)[:3].T @ weight

    for _ in range(200):
        kuka_sim.send_forces(hold(kuka_sim.get_feedback()["q"]))
    np.testing.assert_allclose(kuka_sim.get_feedback()["q"], arm.home, atol=2e-3)
    kuka_sim.reset()
    kuka_sim.add_payload(mass)
    for _ in range(200):
        kuka_sim.send_forces(arm.gravity(kuka_sim.get_feedback()["q"]))
    assert np.abs(kuka_sim.get_feedback()["q"] - arm.home).max() > 0.01  # it sags


def test_contact_force_balances_a_static_push(arms, engine):
    """Tool down on a table: J^T F with F = 10 N down is met by 10 N up from the table."""
    from armjac.control import OSC, RestingPosture

    arm = arms("kuka_iiwa")
    with ArmSim(arm, engine=engine) as sim:
        osc = OSC(arm, kp=200.0, ctrlr_dof=[True] * 6,
                  null_controllers=[RestingPosture(arm.home, kp=10.0)])  # fmt: skip
        target = np.array([0.55, 0.0, 0.35, 0.0, 1.0, 0.0, 0.0])
        for _ in range(1200):
            fb = sim.get_feedback()
            sim.send_forces(osc.generate(fb["q"], fb["dq"], target))
        # lbr_iiwa_link_7's mesh reaches 0.046 m below its frame (wipe.yaml's tool_length)
        z0 = sim.ee_pose()[0][2]
        low = z0 - 0.046
        table = sim.add_box([0.2, 0.2, 0.05], [0.55, 0.0, low - 0.002 - 0.05])
        assert not sim.in_contact(table)
        down = np.array([0.0, 0.0, -10.0])
        for _ in range(800):
            fb = sim.get_feedback()
            q = fb["q"]
            u = arm.gravity(q) + arm.jacobian(q)[:3].T @ down - 0.5 * fb["dq"]
            sim.send_forces(u)
        f = sim.contact_force(table)
        assert sim.in_contact(table)
        np.testing.assert_allclose(f[2], 10.0, atol=0.3)
        np.testing.assert_allclose(f[:2], 0.0, atol=0.3)
        assert sim.ee_pose()[0][2] < z0 - 0.0015  # it came down the 2 mm onto the table


def test_bad_torques_are_refused_before_reaching_the_simulator(kuka_sim):
    with pytest.raises(InputError, match=r"shape \(7,\)"):
        kuka_sim.send_forces(np.zeros(6))
    with pytest.raises(InputError, match="finite"):
        kuka_sim.send_forces([0, 0, np.nan, 0, 0, 0, 0])
    with pytest.raises(InputError, match="finite"):
        kuka_sim.send_forces([0, 0, np.inf, 0, 0, 0, 0])
    assert kuka_sim.time == 0.0  # nothing was stepped


def test_unknown_arm_and_engine_are_config_errors(engine):
    with pytest.raises(ConfigError, match="no_such_arm"):
        ArmSim("no_such_arm", engine=engine)
    with pytest.raises(ConfigError, match=r"unknown engine 'bullet'.*pybullet, mujoco"):
        ArmSim("planar2", engine="bullet")


def test_diverging_simulation_stops_with_simulation_error(kuka_sim):
    u = np.zeros(7)
    u[6] = 300.0  # the wrist's tiny inertia spins up far beyond any sane speed
    with pytest.raises(SimulationError, match="diverged.*lbr_iiwa_joint_7"):
        for _ in range(50):
            kuka_sim.send_forces(u)


def test_disconnected_sim_refuses_commands(arms, engine):
    sim = ArmSim(arms("planar2"), connect=False, engine=engine)
    with pytest.raises(SimulationError, match="connect"):
        sim.send_forces([0.0, 0.0])
    with pytest.raises(SimulationError, match="connect"):
        sim.ee_pose()
    with sim:
        assert sim.connected
        sim.send_forces([0.0, 0.0])
    assert not sim.connected


def test_panda_fingers_are_held_and_camera_renders(arms, engine):
    arm = arms("franka_panda")
    with ArmSim(arm, engine=engine) as sim:
        for _ in range(100):
            sim.send_forces(arm.gravity(sim.get_feedback()["q"]))
        np.testing.assert_allclose(sim.get_feedback()["q"], arm.home, atol=1e-5)
        img = sim.camera_image(64, 48, target=[0.4, 0.0, 0.4], distance=1.2)
        assert img.shape == (48, 64, 3) and img.dtype == np.uint8 and img.std() > 1.0


def test_private_pybullet_model_leaves_the_running_sim_alone(kuka_sim, rng):
    arm = kuka_sim.arm
    model = PyBulletModel(arm)
    try:
        before = kuka_sim.get_feedback()["q"]
        model.fk(arm.random_q(rng=rng))
        kuka_sim.send_forces(arm.gravity(before))
        np.testing.assert_allclose(kuka_sim.get_feedback()["q"], before, atol=1e-6)
    finally:
        model.close()


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"dt": "abc"}, "dt"),
        ({"dt": np.nan}, "dt"),
        ({"dt": 0.0}, "dt"),
        ({"dt": True}, "dt"),
        ({"max_joint_speed": np.nan}, "max_joint_speed"),
        ({"max_joint_speed": -1.0}, "max_joint_speed"),
        ({"max_joint_speed": np.inf}, "max_joint_speed"),
        ({"max_joint_speed": "fast"}, "max_joint_speed"),
        ({"joint_damping": np.nan}, "joint_damping"),
        ({"joint_damping": -0.5}, "joint_damping"),
        ({"link_damping": np.nan}, "link_damping"),
        ({"link_damping": -1.0}, "link_damping"),
    ],
)
def test_bad_simulator_settings_are_refused_before_connecting(arms, kwargs, name, engine):
    with pytest.raises(InputError, match=rf"\b{name}\b"):
        ArmSim(arms("planar2"), connect=False, engine=engine, **kwargs)


def test_joint_damping_is_the_damping_the_engine_applies(arms, engine):
    """A spinning base joint under exact gravity compensation and no other torque slows
    down as M dq' = -c dq (small speed, so C dq is second order)."""
    arm, c = arms("kuka_iiwa"), 0.5
    dq0 = np.zeros(7)
    dq0[0] = 0.05
    with ArmSim(arm, engine=engine, joint_damping=c) as sim:
        assert sim.joint_damping == c
        sim.reset(arm.home, dq0)
        for _ in range(200):
            sim.send_forces(arm.gravity(sim.get_feedback()["q"]))
        dq = sim.get_feedback()["dq"]
        q = sim.get_feedback()["q"]
    lam, vec = np.linalg.eigh(arm.mass_matrix(q))  # M does not depend on joint 1
    expected = vec @ np.diag(np.exp(-0.2 * c / lam)) @ vec.T @ dq0  # expm(-t c M^-1) dq0
    np.testing.assert_allclose(dq, expected, atol=0.02 * dq0[0])
    assert dq[0] < 0.9 * dq0[0]  # it did slow down


def test_string_and_wrong_torques_are_input_errors(kuka_sim):
    for u in (["1"] * 7, "1234567", np.zeros(6), [True] * 7, np.full(7, np.inf)):
        with pytest.raises(InputError, match="torques"):
            kuka_sim.send_forces(u)
