"""The wrist force/torque sensor against known applied wrenches and contact forces,
on each engine."""

from __future__ import annotations

import numpy as np
import pytest

from armjac.errors import InputError, UnknownLinkError
from armjac.sim import ArmSim


def _hold(sim, q0, steps, extra=None, jac_point=None, force=None):
    """Joint-space PD with gravity (and the external force's) compensation, held still."""
    arm = sim.arm
    for _ in range(steps):
        if extra is not None:
            extra()
        fb = sim.get_feedback()
        q, dq = fb["q"], fb["dq"]
        u = arm.gravity(q) + arm.mass_matrix(q) @ (100 * (q0 - q) - 20 * dq)
        if force is not None:
            u -= arm.jacobian(q, point=jac_point)[:3].T @ force
        sim.send_forces(u)


def test_at_rest_the_tared_sensor_reads_zero_and_the_raw_one_the_tool_weight(arms, engine):
    arm = arms("kuka_iiwa")
    q0 = arm.random_q(rng=1, margin=0.2)
    with ArmSim(arm, q0=q0, engine=engine) as sim:
        sensor = sim.ft_sensor()
        _hold(sim, q0, 300)
        np.testing.assert_allclose(sensor.wrench(), 0.0, atol=1e-4)
        raw = sensor.wrench(compensate=False)
        # The raw sensor carries the tool's weight: it holds m g up.
        np.testing.assert_allclose(raw[:3], -sensor.tool_mass * np.asarray(arm.gravity_vector),
                                   atol=1e-4)
        rot = arm.fk(sim.get_feedback()["q"])[:3, :3]
        np.testing.assert_allclose(sensor.wrench(compensate=False, frame="sensor")[:3],
                                   rot.T @ raw[:3], atol=1e-6)
    assert sensor.tool_mass == pytest.approx(0.3)  # lbr_iiwa_link_7 in the URDF


def test_a_known_external_force_is_read_back_with_its_moment(arms, engine):
    arm = arms("kuka_iiwa")
    q0 = arm.random_q(rng=4, margin=0.2)
    push = np.array([3.0, -2.0, 5.0])
    offset = np.array([0.05, 0.0, 0.1])  # in the flange frame
    with ArmSim(arm, q0=q0, engine=engine) as sim:
        sensor = sim.ft_sensor()

        def apply():  # for the next step, at the offset point (world-frame offset)
            pose = arm.fk(sim.get_feedback()["q"])
            sim.push(push, point=pose[:3, :3] @ offset)

        _hold(sim, q0, 400, apply, offset, push)
        pose = arm.fk(sim.get_feedback()["q"])
        w = sensor.wrench()
    # The tool applies -push to the world, at the offset point.
    np.testing.assert_allclose(w[:3], -push, atol=1e-3)
    np.testing.assert_allclose(w[3:], -np.cross(pose[:3, :3] @ offset, push), atol=1e-3)


def test_pressing_on_a_table_matches_the_contact_force(arms, engine):
    """At rest on a table, pushed down by J^T F: the sensor reads what the table pushes back."""
    arm = arms("kuka_iiwa")
    q0 = np.array([0.0, 0.6, 0.0, -1.2, 0.0, 1.3, 0.0])
    down = np.array([0.0, 0.0, -15.0])
    with ArmSim(arm, q0=q0, engine=engine) as sim:
        tip = arm.fk(q0)[:3, 3]
        table = sim.add_box([0.2, 0.2, 0.05], [tip[0], tip[1], tip[2] - 0.1])
        sensor = sim.ft_sensor()
        for _ in range(1500):
            fb = sim.get_feedback()
            q = fb["q"]
            sim.send_forces(arm.gravity(q) + arm.jacobian(q)[:3].T @ down - 0.5 * fb["dq"])
        assert np.abs(sim.get_feedback()["dq"]).max() < 0.02  # (nearly) at rest
        contact = sim.contact_force(table)
        ft = sensor.wrench()
    np.testing.assert_allclose(contact[2], 15.0, atol=0.3)
    np.testing.assert_allclose(ft[:3], -contact, atol=0.02 * np.linalg.norm(contact))


def test_bad_sensor_arguments(arms, engine):
    with ArmSim(arms("kuka_iiwa"), engine=engine) as sim:
        with pytest.raises(UnknownLinkError, match="nope"):
            sim.ft_sensor("nope")
        sensor = sim.ft_sensor("lbr_iiwa_joint_7")
        with pytest.raises(InputError, match="frame"):
            sensor.wrench(frame="tool")
