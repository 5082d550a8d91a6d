"""PyBulletModel: its private server's lifetime, link frames, and input checks."""

from __future__ import annotations

import gc

import numpy as np
import pytest

from armjac.errors import InputError
from armjac.sim import ArmSim, PyBulletModel
from armjac.sim.pybullet_model import body_index


@pytest.fixture
def model_of(arms):
    """``model_of(name)``: a PyBulletModel of a bundled arm, closed after the test."""
    made = []

    def make(name: str) -> PyBulletModel:
        made.append(PyBulletModel(arms(name)))
        return made[-1]

    yield make
    for m in made:
        m.close()


def test_closed_model_does_not_disconnect_a_later_server(arms):
    arm = arms("kuka_iiwa")
    model = PyBulletModel(arm)
    model.close()
    # PyBullet hands the freed client id to the next server.
    sim = ArmSim(arm)
    try:
        del model
        gc.collect()
        assert sim.connected
        sim.send_forces(arm.gravity(sim.get_feedback()["q"]))
    finally:
        sim.disconnect()


def test_closed_model_refuses_queries(arms):
    arm = arms("planar2")
    model = PyBulletModel(arm)
    model.close()
    model.close()  # twice is fine
    with pytest.raises(RuntimeError, match="closed"):
        model.jacobian(arm.home)


@pytest.mark.parametrize("name", ["kuka_iiwa", "franka_panda"])
def test_root_frame_is_the_urdf_link_frame_not_the_base_inertial(model_of, rng, name):
    # kuka's root link has its <inertial> 10 cm away from the link frame.
    model = model_of(name)
    arm = model.arm
    q = arm.random_q(rng=rng)
    root = arm.model.root
    np.testing.assert_allclose(model.fk(q, link=root), arm.fk(q, link=root), atol=1e-7)
    np.testing.assert_allclose(model.fk(q), arm.fk(q), atol=1e-6)


def test_model_cannot_be_attached_to_a_shared_server(arms):
    # fk() resets joints and gravity() sets the world's gravity: only a private body is safe.
    arm = arms("kuka_iiwa")
    sim = ArmSim(arm)
    try:
        with pytest.raises(TypeError):
            PyBulletModel(arm, client=sim.client_id, body=sim.body_id)
        model = PyBulletModel(arm)
        model.gravity(arm.random_q(rng=0))
        model.fk(arm.random_q(rng=1))
        model.close()
        for _ in range(50):  # the sim's gravity and posture are untouched
            sim.send_forces(arm.gravity(sim.get_feedback()["q"]))
        np.testing.assert_allclose(sim.get_feedback()["q"], arm.home, atol=1e-6)
    finally:
        sim.disconnect()


@pytest.mark.parametrize(
    ("point", "words"),
    [([np.nan, 0.0, 0.1], "finite"), ([0.0, 0.1], "3-vector"), ("abc", "point")],
)
def test_jacobian_point_is_checked(model_of, point, words):
    model = model_of("kuka_iiwa")
    arm = model.arm
    with pytest.raises(InputError, match=words):
        model.jacobian(arm.home, point=point)
    p = [0.01, -0.02, 0.1]
    np.testing.assert_allclose(model.jacobian(arm.home, point=p),
                               arm.jacobian(arm.home, point=p), atol=1e-6)  # fmt: skip


def test_body_index_names_joints_links_and_movable_joints(arms):
    arm = arms("franka_panda")
    sim = ArmSim(arm)
    try:
        index = body_index(sim.client_id, sim.body_id, arm.model.root)
        assert [index.joints[n] for n in arm.joint_names] == sim.chain
        assert index.links[arm.model.root] == -1
        assert index.links[arm.ee_link] == sim.ee_index
        assert set(sim.chain) < set(index.movable)  # the fingers move too
        assert sorted(sim.others) == sorted(set(index.movable) - set(sim.chain))
    finally:
        sim.disconnect()


def test_move_marker_checks_position_and_connection(arms):
    sim = ArmSim(arms("planar2"))
    marker = sim.add_marker([0.1, 0.0, 0.2])
    with pytest.raises(InputError, match="position"):
        sim.move_marker(marker, [0.1, np.nan, 0.2])
    sim.move_marker(marker, [0.2, 0.0, 0.3])
    sim.disconnect()
    with pytest.raises(RuntimeError, match="not connected"):
        sim.move_marker(marker, [0.2, 0.0, 0.3])
